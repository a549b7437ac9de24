"""ELF facts the host needs: symbol addresses, constant data, and the size report."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile

from ..errors import UserError
from .linker import Layout

# Reservations in RAM that are not "used" by the program as such but count for peak SRAM.
STACK_SECTION = ".stack"
HEAP_SECTION = ".heap"
ARENA_SECTION = ".arena"
INPUT_SECTION = ".mcunet_input"
#: a model input held outside the arena (the application's frame buffer; harness.c)
FRAME_SECTION = ".mcunet_frame"


@dataclass(frozen=True)
class Section:
    name: str
    addr: int  # run address (VMA)
    load_addr: int  # load address (LMA)
    size: int
    nobits: bool  # occupies no flash (NOLOAD / .bss)


@dataclass(frozen=True)
class Symbol:
    name: str
    addr: int
    size: int
    is_function: bool = False


class Elf:
    """A firmware image on disk (read once; cheap to query)."""

    def __init__(self, path):
        self.path = Path(path)
        if not self.path.is_file():
            raise UserError(f"{self.path}: firmware image not found")
        with open(self.path, "rb") as fh:
            try:
                elf = ELFFile(fh)
                segments = [(s["p_vaddr"], s["p_paddr"], s["p_memsz"]) for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]
                self.sections = self._read_sections(elf, segments)
                self._symbols = self._read_symbols(elf)
                self._data = {s.name: elf.get_section_by_name(s.name).data() for s in self.sections if not s.nobits}
            except Exception as exc:  # malformed file
                if isinstance(exc, UserError):
                    raise
                raise UserError(f"{self.path}: not a readable ELF file ({exc})") from None

    @staticmethod
    def _read_sections(elf, segments) -> list[Section]:
        out = []
        for sec in elf.iter_sections():
            if not sec["sh_flags"] & SH_FLAGS.SHF_ALLOC or sec["sh_size"] == 0:
                continue
            addr = sec["sh_addr"]
            lma = addr
            for vaddr, paddr, memsz in segments:
                if vaddr <= addr < vaddr + memsz:
                    lma = paddr + (addr - vaddr)
                    break
            out.append(Section(sec.name, addr, lma, sec["sh_size"], sec["sh_type"] == "SHT_NOBITS"))
        return out

    @staticmethod
    def _read_symbols(elf) -> dict[str, Symbol]:
        symtab = elf.get_section_by_name(".symtab")
        if symtab is None:
            return {}
        syms = {}
        for s in symtab.iter_symbols():
            kind = s["st_info"]["type"]
            if s.name and kind in ("STT_OBJECT", "STT_FUNC", "STT_NOTYPE"):
                addr = s["st_value"] & ~1 if kind == "STT_FUNC" else s["st_value"]  # drop the Thumb bit
                if s.name not in syms or s["st_info"]["bind"] == "STB_GLOBAL":  # a global beats a file-local
                    syms[s.name] = Symbol(s.name, addr, s["st_size"], kind == "STT_FUNC")
        return syms

    def symbol(self, name: str) -> Symbol:
        try:
            return self._symbols[name]
        except KeyError:
            raise UserError(f"{self.path}: no symbol {name!r} (not an mcunet firmware image?)") from None

    def has_symbol(self, name: str) -> bool:
        return name in self._symbols

    def read(self, addr: int, size: int) -> bytes:
        """Initial contents of ``size`` bytes at ``addr`` (a run address in a loaded section)."""
        for s in self.sections:
            if not s.nobits and s.addr <= addr and addr + size <= s.addr + s.size:
                off = addr - s.addr
                return self._data[s.name][off : off + size]
        raise UserError(f"{self.path}: no initialised data at 0x{addr:08x}+{size}")

    def symbol_bytes(self, name: str) -> bytes:
        sym = self.symbol(name)
        return self.read(sym.addr, sym.size)

    @cached_property
    def _functions(self) -> tuple[list[int], list[Symbol]]:
        funcs = sorted((s for s in self._symbols.values() if s.size and s.is_function), key=lambda s: s.addr)
        return [f.addr for f in funcs], funcs

    def symbolize(self, addr: int) -> str:
        """``name+0xoff`` for an address inside a function (e.g. a fault PC), else ''."""
        addrs, funcs = self._functions
        i = bisect.bisect_right(addrs, addr & ~1) - 1
        if i >= 0:
            f = funcs[i]
            if f.addr <= (addr & ~1) < f.addr + f.size:
                return f"{f.name}+0x{(addr & ~1) - f.addr:x}"
        return ""

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)


def memory_report(elf: Elf, lay: Layout) -> dict:
    """Flash and static RAM by section and by region, as the result format records them.

    - ``flash_bytes``: every loaded byte in flash (code, constants, .data's image),
      except an embedded input (``input_flash_bytes``);
    - ``static_ram_bytes``: every RAM byte the image reserves, stack and heap reserves
      and the arena included (``ram_bytes_by_region`` per region);
    - ``static_ram_excl_stack_bytes``: the same without the stack reserve and without an
      input held outside the arena (``external_input_bytes``: the application's frame
      buffer, section .mcunet_frame), so that peak SRAM = this + stack high-water mark.
    """
    sections = {}
    flash_used = 0
    input_flash = 0
    by_region = {r.name: 0 for r in lay.regions}
    for s in elf.sections:
        run_region = lay.region_of(s.addr)
        load_region = lay.region_of(s.load_addr)
        if run_region is None:
            raise UserError(f"{elf.path}: section {s.name} at 0x{s.addr:08x} is outside board {lay.board}'s regions")
        entry = {"bytes": s.size, "region": run_region.name, "address": s.addr}
        if not s.nobits and load_region is not None and load_region.kind == "flash":
            if s.name == INPUT_SECTION:
                input_flash += s.size
            else:
                flash_used += s.size
            if load_region is not run_region:
                entry["load_region"] = load_region.name
                by_region[load_region.name] += s.size
        by_region[run_region.name] += s.size
        sections[s.name] = entry
    ram_total = sum(v for k, v in by_region.items() if k != lay.flash.name)
    stack = sections.get(STACK_SECTION, {}).get("bytes", 0)
    frame = sections.get(FRAME_SECTION, {}).get("bytes", 0)
    return {
        "flash_bytes": flash_used,
        "input_flash_bytes": input_flash,
        "static_ram_bytes": ram_total,
        "static_ram_excl_stack_bytes": ram_total - stack - frame,
        "external_input_bytes": frame,
        "stack_reserved_bytes": stack,
        "arena_bytes": sections.get(ARENA_SECTION, {}).get("bytes", 0),
        "regions": {
            r.name: {"kind": r.kind, "origin": r.origin, "size": r.size, "used": by_region[r.name]} for r in lay.regions
        },
        "sections": sections,
    }
