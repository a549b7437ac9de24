"""Facts about cores and known parts that board specs are checked against.

A board spec states its own facts; these tables only let the semantic checks catch a
board that contradicts its silicon (an F746 with a double-precision FPU, an H743 rev Y
clocked at 480 MHz). Unknown parts are accepted; only the core-level checks apply to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Core -> FPUs it can have, the QEMU machine that emulates it, and whether it has the DSP
# extension (SMLAD, SXTB16...). Armv7E-M: both M4 and M7 have it.
CORES: dict[str, dict] = {
    "cortex-m4": {"fpus": ("fpv4-sp-d16",), "machine": "mps2-an386", "dsp": True},
    "cortex-m7": {"fpus": ("fpv5-sp-d16", "fpv5-d16"), "machine": "mps2-an500", "dsp": True},
}

# QEMU mps2 memory map (see shared docs/emulation.md): 4 MiB at 0x0 serves as flash, 4 MiB at
# 0x20000000 as RAM. A board's budget must fit these windows to run on its stand-in.
EMULATOR_FLASH_BYTES = 4 * 1024 * 1024
EMULATOR_RAM_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Part:
    prefix: str  # matches mcu part numbers that start with it (STM32H743 matches STM32H743ZI)
    core: str
    fpu: str
    max_hz: dict = field(default_factory=dict)  # revision (or None) -> maximum core clock in Hz
    source: str = ""  # the documents the limits come from


PARTS: tuple[Part, ...] = (
    Part("STM32F746", "cortex-m7", "fpv5-sp-d16", {None: 216_000_000},
         "ST DS10916, RM0385"),
    # Revision Y (REV_ID 0x1003): 400 MHz. Revision V (REV_ID 0x2003): 480 MHz at VOS0.
    Part("STM32H743", "cortex-m7", "fpv5-d16", {"Y": 400_000_000, "V": 480_000_000},
         "ST DS12110, RM0433, ES0392"),
    Part("STM32F412", "cortex-m4", "fpv4-sp-d16", {None: 100_000_000},
         "ST DS11139, RM0402"),
)


def find_part(mcu: str) -> Part | None:
    mcu = mcu.upper()
    matches = [p for p in PARTS if mcu.startswith(p.prefix)]
    return max(matches, key=lambda p: len(p.prefix)) if matches else None
