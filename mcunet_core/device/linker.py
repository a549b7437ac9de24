"""Board memory layout and the linker script rendered from it.

One template (``firmware/linker/board.ld.j2``) serves both build variants:

- ``hardware``: the board's regions at their real origins;
- ``emulator``: the same regions with the board's *sizes* at the QEMU mps2 origins
  (flash at 0x0, RAM regions packed in spec order from 0x20000000), so a program over
  the real board's budget fails the link and one that fits runs on the stand-in.

Placement: the stack (lowest addresses, so an overflow runs off the region and
faults), .data, .bss, .noinit and the heap reserve go to the *data region* (the board's
``reserve_region``, where the spec reserves stack and heap); the tensor arena to the
board's ``arena_region``. In emulator builds the data region is mapped first, at
0x20000000, so that a stack overflow faults there as it does on the chip.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import jinja2

from ..errors import UserError
from ..paths import FIRMWARE_DIR
from ..spec import EMULATOR_FLASH_BYTES, EMULATOR_RAM_BYTES

VARIANTS = ("emulator", "hardware")

LINKER_TEMPLATE = FIRMWARE_DIR / "linker" / "board.ld.j2"

MPS2_FLASH_ORIGIN = 0x00000000
MPS2_RAM_ORIGIN = 0x20000000

_OVERFLOW_RE = re.compile(r"region [`'\"]?([A-Za-z0-9_.]+)'? overflowed by (\d+) bytes")


@dataclass(frozen=True)
class PlacedRegion:
    """A board region and the origin it gets in one build variant."""

    name: str
    kind: str  # "flash" | "ram"
    base: int  # the real board's address
    size: int
    origin: int  # where this build places it

    @property
    def section(self) -> str:
        """Name fragment for per-region sections: ``.region.<section>`` / ``.ram_<section>``."""
        return re.sub(r"[^a-z0-9_]", "_", self.name.lower())

    def contains(self, addr: int) -> bool:
        return self.origin <= addr < self.origin + self.size


@dataclass(frozen=True)
class Layout:
    board: str
    variant: str
    placement: str  # "board" (real origins) | "mps2" (QEMU origins)
    regions: tuple[PlacedRegion, ...]
    flash: PlacedRegion
    data: PlacedRegion
    arena: PlacedRegion
    stack_size: int
    heap_size: int

    @property
    def ram_regions(self) -> tuple[PlacedRegion, ...]:
        return tuple(r for r in self.regions if r.kind == "ram")

    def region_of(self, addr: int) -> PlacedRegion | None:
        return next((r for r in self.regions if r.contains(addr)), None)


def _check_variant(variant: str) -> None:
    if variant not in VARIANTS:
        raise UserError(f"unknown build variant {variant!r}; expected one of {', '.join(VARIANTS)}")


def data_region(board):
    """The RAM region for stack, .data, .bss: the board's reserve region (else its first RAM)."""
    ram = [r for r in board.regions if r.kind == "ram"]
    if not ram:
        raise UserError(f"board {board.name}: no RAM region in the spec")
    wanted = getattr(board, "reserve_region", None)
    if wanted is None:
        return ram[0]
    for r in ram:
        if r.name == wanted.name:
            return r
    raise UserError(f"board {board.name}: reserve region {wanted.name} is not one of its RAM regions")


PLACEMENTS = ("board", "mps2")


def layout(board, variant: str, placement: str | None = None) -> Layout:
    """Place the board's flash region and RAM regions for ``variant``.

    ``placement`` defaults to the variant's: real origins ("board") for hardware builds,
    the QEMU mps2 origins ("mps2") for emulator builds. (A hardware build at mps2 origins
    lets tests run the hardware runtime on QEMU's Cortex-M7.)"""
    _check_variant(variant)
    placement = placement or ("board" if variant == "hardware" else "mps2")
    if placement not in PLACEMENTS:
        raise UserError(f"unknown placement {placement!r}; expected one of {', '.join(PLACEMENTS)}")
    flash = board.flash_region
    ram = [r for r in board.regions if r.kind == "ram"]
    placed: list[PlacedRegion] = []
    if placement == "board":
        placed.append(PlacedRegion(flash.name, "flash", flash.base, flash.size, flash.base))
        placed += [PlacedRegion(r.name, "ram", r.base, r.size, r.base) for r in ram]
    else:
        if flash.size > EMULATOR_FLASH_BYTES:
            raise UserError(
                f"board {board.name}: flash region {flash.name} ({flash.size} bytes) exceeds the "
                f"emulator's {EMULATOR_FLASH_BYTES} byte flash window"
            )
        placed.append(PlacedRegion(flash.name, "flash", flash.base, flash.size, MPS2_FLASH_ORIGIN))
        origin = MPS2_RAM_ORIGIN
        first = data_region(board)
        for r in [first] + [r for r in ram if r.name != first.name]:
            placed.append(PlacedRegion(r.name, "ram", r.base, r.size, origin))
            origin += (r.size + 7) & ~7
        if origin - MPS2_RAM_ORIGIN > EMULATOR_RAM_BYTES:
            raise UserError(
                f"board {board.name}: RAM regions total {origin - MPS2_RAM_ORIGIN} bytes, more than "
                f"the emulator's {EMULATOR_RAM_BYTES} byte RAM window"
            )
    by_name = {r.name: r for r in placed}
    arena_name = board.arena_region.name
    if arena_name not in by_name:
        raise UserError(f"board {board.name}: arena_region {arena_name} is not a RAM region")
    stack = int(board.stack_reserve)
    heap = int(board.heap_reserve or 0)
    return Layout(
        board=board.name,
        variant=variant,
        placement=placement,
        regions=tuple(placed),
        flash=by_name[flash.name],
        data=by_name[data_region(board).name],
        arena=by_name[arena_name],
        stack_size=(stack + 7) & ~7,
        heap_size=(heap + 7) & ~7,
    )


def render_linker_script(board, variant: str, placement: str | None = None) -> str:
    """The linker script text for ``board`` in ``variant`` (deterministic)."""
    lay = layout(board, variant, placement)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(LINKER_TEMPLATE.parent)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    emulator = getattr(board, "emulator", None)
    source = getattr(board, "source_file", None)
    return env.get_template(LINKER_TEMPLATE.name).render(
        board=board.name,
        variant=variant,
        mps2=lay.placement == "mps2",
        machine=getattr(emulator, "machine", None) or "mps2",
        source=Path(source).name if source else f"board {board.name}",
        regions=lay.regions,
        ram_regions=lay.ram_regions,
        flash=lay.flash.name,
        data_region=lay.data.name,
        arena_region=lay.arena.name,
        stack_size=lay.stack_size,
        heap_size=lay.heap_size,
    )


def overflow_messages(board, linker_output: str) -> list[str]:
    """Turn GNU ld's ``region `X' overflowed by N bytes`` lines into one line per region,
    with what to change for that region's kind (flash: weights and code; RAM: the arena,
    stack and static data)."""
    seen: dict[str, int] = {}
    for region, nbytes in _OVERFLOW_RE.findall(linker_output):
        seen[region] = max(seen.get(region, 0), int(nbytes))
    kinds = {r.name: r.kind for r in board.regions}
    hints = {"flash": "the model's weights and the code do not fit the board's flash; shrink the model, or give "
                      "it a flash budget (a search's constraints.flash) so kernels keep int8 weights",
             "ram": "the arena, stack and static data do not fit the board's RAM; shrink the model or its arena"}
    return [f"board {board.name}: region {region} overflowed by {n} bytes ({hints[kinds.get(region, 'ram')]})"
            for region, n in seen.items()]
