"""The report of one firmware holding several generated models: each model's arena, whether
they share it, and what sharing obliges the application to (never run two at once)."""

from __future__ import annotations

from .elf import Elf
from .linker import Layout
from .shared_arena import ModelArenas, SharedArena

#: Written next to the multi-model firmware.
REPORT = "models.md"


def _placed(elf: Elf, lay: Layout, symbol: str) -> tuple[str, str]:
    """(bytes, where) of an array as linked: the ELF is what the board gets."""
    if not elf.has_symbol(symbol):
        return "-", "not in the image"
    sym = elf.symbol(symbol)
    region = lay.region_of(sym.addr)
    return f"{sym.size:,}", f"0x{sym.addr:08x} ({region.name if region else 'outside the board'})"


def _each(models, bytes_of) -> str:
    return ", ".join(f"{m.prefix} {bytes_of(m):,} B" for m in models)


def render_models_report(board: str, models: tuple[ModelArenas, ...], shared: SharedArena | None,
                         elf: Elf | None = None, lay: Layout | None = None, memory: dict | None = None) -> str:
    """Markdown: the firmware's flash and RAM, then every arena array as the ELF has it; with a
    shared arena, its bytes against what each model alone needs, and that the models must not
    run at the same time. Without ``elf`` (an application's own build, before its link) the
    arrays are the plans' and the firmware's figures are left out."""
    names = ", ".join(m.prefix for m in models)
    lines = [f"# {names} in one firmware on {board}", ""]
    if elf is not None:
        lines.append(f"- flash: {memory['flash_bytes']:,} B; static RAM: {memory['static_ram_bytes']:,} B "
                     f"(stack reserve and arena included)")
    placed = (lambda symbol, size: _placed(elf, lay, symbol)) if elf is not None else (lambda symbol, size: (f"{size:,}",))
    columns = "bytes (ELF) | at" if elf is not None else "bytes"
    rule = "|---" * len(columns.split("|"))
    if shared is None:
        lines += [f"- the arenas are separate: {sum(m.bytes for m in models):,} B in all "
                  f"({_each(models, lambda m: m.bytes)}); a model's run leaves the others' tensors alone", "",
                  f"| model | pool | array | section | {columns} |", "|---|---|---|---" + rule + "|"]
        for m in models:
            for name, use in m.pools.items():
                lines.append(f"| {m.prefix} | {name} | {use.symbol} | {use.section} | "
                             + " | ".join(placed(use.symbol, use.bytes)) + " |")
        return "\n".join(lines) + "\n"
    lines += [f"- **the arena is shared** by {names}: {shared.bytes:,} B, the largest model's per pool, where "
              f"separate arenas would take {shared.separate_bytes:,} B (each model alone: "
              f"{_each(models, lambda m: m.bytes)})",
              f"- **{names} must not run at the same time**: each run overwrites the others' activations, inputs "
              f"and outputs (copy a model's output out before running another)", "",
              f"| pool | array | section | {columns} | " + " | ".join(f"{m.prefix} alone" for m in models) + " |",
              "|---|---|---" + rule + "|" + "---|" * len(models)]
    for pool in shared.pools:
        alone = [f"{pool.users[m.prefix].bytes:,}" if m.prefix in pool.users else "-" for m in models]
        lines.append(f"| {pool.name} | {pool.symbol} | {pool.section} | " + " | ".join(placed(pool.symbol, pool.bytes))
                     + " | " + " | ".join(alone) + " |")
    return "\n".join(lines) + "\n"
