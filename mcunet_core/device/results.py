"""The firmware's results block and info record, decoded on the host.

Mirrors ``firmware/runtime/mcunet_runtime.h`` (``mcunet_results_t``, status and exit
codes) and ``firmware/runtime/harness.c`` (``mcunet_info_t``); tests/device keeps the
field lists equal to the C declarations. The emulator writes the block to
``results.bin`` through semihosting; a probe reads the same bytes from RAM.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from ..errors import UserError

RESULTS_MAGIC = 0x4E55434D
RESULTS_VERSION = 2
HOST_INPUT_MAGIC = 0x54504E49
INFO_MAGIC = 0x464E494D
INFO_VERSION = 1

STATUS_NAMES = {0: "none", 1: "running", 2: "ok", 3: "model_error", 4: "input_error", 5: "fault"}
EXIT_CODES = {"ok": 0, "model_error": 10, "input_error": 11, "fault": 12}
COUNT_KINDS = {1: "instructions", 2: "cycles"}
VARIANTS = {1: "emulator", 2: "hardware"}
STACK_GUARD_BYTES = 32  # MPU no-access guard at the stack's low end (startup.c)

RESULTS_FIELDS = (
    "magic", "version", "status", "count_kind", "count_lo", "count_hi", "invoke_ret",
    "stack_used", "stack_size", "input_bytes", "output_addr", "output_bytes",
    "cfsr", "hfsr", "mmfar", "bfar", "fault_pc", "fault_lr", "fault_xpsr", "exc_return",
    "post_ran", "post_count_lo", "post_count_hi", "post_boxes",
)  # fmt: skip
RESULTS_STRUCT = struct.Struct("<" + "I" * len(RESULTS_FIELDS))

INFO_FIELDS = (
    ("magic", "I"), ("version", "I"), ("variant", "I"), ("input_addr", "I"), ("input_bytes", "I"),
    ("output_addr", "I"), ("output_bytes", "I"), ("results_addr", "I"), ("results_bytes", "I"),
    ("host_cmd_addr", "I"), ("arena_bytes", "I"), ("input_ndim", "I"), ("input_shape", "8i"),
    ("output_ndim", "I"), ("output_shape", "8i"),
)  # fmt: skip
INFO_STRUCT = struct.Struct("<" + "".join(f for _, f in INFO_FIELDS))

# CFSR bits (ARMv7-M): MMFSR [7:0], BFSR [15:8], UFSR [31:16]
CFSR_BITS = {
    0: "IACCVIOL", 1: "DACCVIOL", 3: "MUNSTKERR", 4: "MSTKERR", 5: "MLSPERR", 7: "MMARVALID",
    8: "IBUSERR", 9: "PRECISERR", 10: "IMPRECISERR", 11: "UNSTKERR", 12: "STKERR", 13: "LSPERR",
    15: "BFARVALID", 16: "UNDEFINSTR", 17: "INVSTATE", 18: "INVPC", 19: "NOCP", 24: "UNALIGNED",
    25: "DIVBYZERO",
}  # fmt: skip
HFSR_BITS = {1: "VECTTBL", 30: "FORCED", 31: "DEBUGEVT"}


def decode_bits(value: int, names: dict[int, str]) -> list[str]:
    return [name for bit, name in sorted(names.items()) if value >> bit & 1]


@dataclass(frozen=True)
class ResultsBlock:
    magic: int
    version: int
    status: int
    count_kind: int
    count_lo: int
    count_hi: int
    invoke_ret: int
    stack_used: int
    stack_size: int
    input_bytes: int
    output_addr: int
    output_bytes: int
    cfsr: int
    hfsr: int
    mmfar: int
    bfar: int
    fault_pc: int
    fault_lr: int
    fault_xpsr: int
    exc_return: int
    post_ran: int
    post_count_lo: int
    post_count_hi: int
    post_boxes: int

    SIZE = RESULTS_STRUCT.size

    @classmethod
    def decode(cls, data: bytes) -> "ResultsBlock":
        if len(data) < RESULTS_STRUCT.size:
            raise UserError(f"results block is {len(data)} bytes, expected {RESULTS_STRUCT.size}")
        return cls(*RESULTS_STRUCT.unpack_from(data))

    def encode(self) -> bytes:
        return RESULTS_STRUCT.pack(*(getattr(self, f) for f in RESULTS_FIELDS))

    @property
    def complete(self) -> bool:
        return self.magic == RESULTS_MAGIC

    @property
    def status_name(self) -> str:
        return STATUS_NAMES.get(self.status, f"unknown({self.status})")

    @property
    def count(self) -> int:
        return self.count_hi << 32 | self.count_lo

    @property
    def post_count(self) -> int | None:
        """The detection post-processing's count (the same kind as ``count``), None: none ran."""
        return self.post_count_hi << 32 | self.post_count_lo if self.post_ran else None

    @property
    def count_kind_name(self) -> str:
        return COUNT_KINDS.get(self.count_kind, "none")

    def fault(self, elf=None) -> dict:
        """Fault status registers, decoded flag names and (given the ELF) the faulting function."""
        where = elf.symbolize(self.fault_pc) if elf is not None and self.fault_pc != 0xFFFFFFFF else ""
        flags = decode_bits(self.cfsr, CFSR_BITS) + decode_bits(self.hfsr, HFSR_BITS)
        if elf is not None and elf.has_symbol("__stack_start__"):
            guard = elf.symbol("__stack_start__").addr
            if self.cfsr & 0x80 and guard <= self.mmfar < guard + STACK_GUARD_BYTES:
                flags.append("STACK_OVERFLOW")  # MMFAR in the MPU guard below the stack
        return {
            "cfsr": self.cfsr,
            "hfsr": self.hfsr,
            "mmfar": self.mmfar,
            "bfar": self.bfar,
            "pc": self.fault_pc,
            "lr": self.fault_lr,
            "xpsr": self.fault_xpsr,
            "exc_return": self.exc_return,
            "flags": flags,
            "where": where,
        }


def format_fault(fault: dict) -> str:
    """One line: the registers a HardFault report names, decoded flags, and where the PC was."""
    where = fault.get("where", "")
    regs = " ".join(f"{k.upper()}=0x{fault[k]:08x}" for k in ("cfsr", "hfsr", "mmfar", "bfar", "pc", "lr", "xpsr"))
    flags = ",".join(fault.get("flags", [])) or "-"
    return f"{regs} [{flags}]" + (f" at {where}" if where else "")


@dataclass(frozen=True)
class FirmwareInfo:
    """What the image says about itself (``mcunet_info``), read from the ELF file."""

    variant: str  # "emulator" | "hardware"
    input_addr: int
    input_bytes: int
    output_addr: int
    output_bytes: int
    results_addr: int
    results_bytes: int
    host_cmd_addr: int
    arena_bytes: int
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]

    @classmethod
    def decode(cls, data: bytes) -> "FirmwareInfo":
        if len(data) < INFO_STRUCT.size:
            raise UserError(f"mcunet_info is {len(data)} bytes, expected {INFO_STRUCT.size}")
        vals = INFO_STRUCT.unpack_from(data)
        flat: dict = {}
        i = 0
        for name, fmt in INFO_FIELDS:
            n = int(fmt[:-1]) if len(fmt) > 1 else 1
            flat[name] = vals[i : i + n] if n > 1 else vals[i]
            i += n
        if flat["magic"] != INFO_MAGIC or flat["version"] != INFO_VERSION:
            raise UserError("mcunet_info has a wrong magic/version: image built by another runtime version")
        if flat["results_bytes"] != RESULTS_STRUCT.size:
            raise UserError(f"results block is {flat['results_bytes']} bytes in the image, host expects {RESULTS_STRUCT.size}")
        return cls(
            variant=VARIANTS.get(flat["variant"], "unknown"),
            input_addr=flat["input_addr"],
            input_bytes=flat["input_bytes"],
            output_addr=flat["output_addr"],
            output_bytes=flat["output_bytes"],
            results_addr=flat["results_addr"],
            results_bytes=flat["results_bytes"],
            host_cmd_addr=flat["host_cmd_addr"],
            arena_bytes=flat["arena_bytes"],
            input_shape=tuple(flat["input_shape"][: flat["input_ndim"]]),
            output_shape=tuple(flat["output_shape"][: flat["output_ndim"]]),
        )

    @classmethod
    def from_elf(cls, elf, variant: str | None = None) -> "FirmwareInfo":
        """Decode ``mcunet_info``; with ``variant``, insist the image was built for it."""
        info = cls.decode(elf.symbol_bytes("mcunet_info"))
        if variant is not None and info.variant != variant:
            runner = "the emulator runner (qemu)" if variant == "emulator" else "a real board (pyocd)"
            raise UserError(f"{elf.path}: a {info.variant} build; {runner} needs a {variant} build")
        return info

    def input_bytes_from(self, data) -> bytes:
        """Validate and serialise an input (int8 array of the image's size, or raw bytes)."""
        if isinstance(data, (bytes, bytearray, memoryview)):
            raw = bytes(data)
        else:
            arr = np.asarray(data)
            if arr.dtype != np.int8:
                raise UserError(f"input must be int8, got {arr.dtype}")
            raw = np.ascontiguousarray(arr).tobytes()
        if len(raw) != self.input_bytes:
            raise UserError(f"input has {len(raw)} bytes, the firmware expects {self.input_bytes} (shape {self.input_shape})")
        return raw

    def output_array(self, raw: bytes) -> np.ndarray:
        arr = np.frombuffer(raw, dtype=np.int8).copy()
        shape = self.output_shape
        if int(np.prod(shape)) == arr.size:
            arr = arr.reshape(shape)
        return arr
