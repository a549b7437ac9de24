"""Cores, MCU families and known parts, as the spec loader reads them from ``specs/cores/`` and
``specs/families/`` (one home for each fact; nothing here is a table of them).

A board spec states its own facts; the catalog lets the semantic checks catch a board that
contradicts its silicon (an F746 with a double-precision FPU, an H743 rev Y clocked at
480 MHz) and gives hardware builds the family's registers. An mcu that no family spec claims,
or that is no known part of its family, is accepted; only the core-level checks apply to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .located import Problem
from .types import Core, Family, Part

# QEMU mps2 memory map (see shared docs/emulation.md): 4 MiB at 0x0 serves as flash, 4 MiB at
# 0x20000000 as RAM. A board's budget must fit these windows to run on its stand-in.
EMULATOR_FLASH_BYTES = 4 * 1024 * 1024
EMULATOR_RAM_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Catalog:
    """The core and family specs of one spec folder that passed their schema (``problems``
    lists what is wrong with any of them: a board depending on a broken catalog is not loaded)."""

    cores: dict  # name -> Core
    families: dict  # name -> Family
    problems: tuple[Problem, ...] = ()

    def core(self, name: str) -> Core | None:
        return self.cores.get(name)

    def fpus(self) -> list[str]:
        """Every FPU some core spec lists (cores in name order)."""
        return list(dict.fromkeys(f for name in sorted(self.cores) for f in self.cores[name].fpus))

    def family_for(self, mcu: str) -> Family | None:
        """The family whose mcu_prefix starts ``mcu`` (the longest one), or None."""
        mcu = (mcu or "").upper()
        matches = [f for f in self.families.values() if mcu.startswith(f.mcu_prefix)]
        return max(matches, key=lambda f: len(f.mcu_prefix)) if matches else None

    def find_part(self, mcu: str) -> Part | None:
        family = self.family_for(mcu)
        return family.find_part(mcu) if family else None
