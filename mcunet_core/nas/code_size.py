"""Flash taken by code beside the model's constants: the kernels a network links, plus the
runtime and the per-op calls and parameter structs of the generated model.

Each kernel source's size is measured by compiling it alone with the board's flags (its
allocated sections less the ``*_get_buffer_size`` twin the firmware never calls, so an upper
bound of what it adds to a ``--gc-sections`` link); the runtime and per-op part is a line
fitted to real builds and raised to cover every one of them (``bench/nas_latency_fit.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..engine.kernels.base import KernelPlan
from .latency import NoCostModel


@dataclass(frozen=True)
class CodeSize:
    base: int  # runtime, startup, harness
    per_op: float  # a call in model.c and its parameter struct
    sources: tuple[tuple[str, int], ...]  # kernel source -> bytes

    @classmethod
    def from_json(cls, doc: dict) -> "CodeSize":
        return cls(int(doc["base"]), float(doc["per_op"]), tuple(sorted(doc["sources"].items())))

    def kernel_bytes(self, plans: list[KernelPlan]) -> int:
        sizes = dict(self.sources)
        used = {s for p in plans for s in p.sources}
        missing = sorted(used - sizes.keys())
        if missing:
            raise NoCostModel(f"no code size for kernel sources {missing}; rerun bench/nas_latency_fit.py")
        return sum(sizes[s] for s in used)

    def bytes(self, plans: list[KernelPlan]) -> int:
        """Code of the firmware running a model with these kernel plans."""
        calls = sum(p.function is not None for p in plans)
        return round(self.base + self.per_op * calls) + self.kernel_bytes(plans)


def object_code_bytes(path: str | Path) -> int:
    """Flash bytes an object file can add: allocated, loaded sections but the buffer-size twins."""
    from elftools.elf.constants import SH_FLAGS
    from elftools.elf.elffile import ELFFile

    with open(path, "rb") as fh:
        return sum(s["sh_size"] for s in ELFFile(fh).iter_sections()
                   if s["sh_flags"] & SH_FLAGS.SHF_ALLOC and s["sh_type"] != "SHT_NOBITS"
                   and not s.name.endswith("_get_buffer_size"))
