"""What a lowered model costs beside its arena and constants: predicted instructions from
the kernels' work counts, and the firmware's own RAM and code.

Each kernel declares a latency family and its work counts (``Kernel.work()``); the
instructions of an op are a linear function of them whose coefficients were fitted on
per-layer counts of profile builds under QEMU (``bench/nas_latency_fit.py`` writes
``kernel_costs.json`` beside this file, with ``engine/cost_fit.py``). Counts are emulated
*instructions* (QEMU ``-icount``, as every ``result.json`` on the emulator reports), not
cycles. The firmware's RAM beside the arena (stack high-water, other static RAM) and its
code beside the constants (runtime, per-op calls, the kernels linked) are measured by the
same bench: MLPerf VWW/KWS use 444-524 B of stack.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .kernels.base import KernelPlan, Work

COSTS_PATH = Path(__file__).with_name("kernel_costs.json")


class NoCostModel(LookupError):
    """An op runs on a kernel the cost table has no coefficients for."""


@dataclass(frozen=True)
class OpWork:
    """One op's latency family and its work counts (``names`` order)."""

    index: int
    family: str
    names: tuple[str, ...]
    values: tuple[float, ...]

    @classmethod
    def of(cls, index: int, work: Work) -> "OpWork":
        return cls(index, work.family, tuple(work.names), tuple(float(v) for v in work.values))


@dataclass(frozen=True)
class LatencyModel:
    """Fitted instructions per unit of work, per family (``kernel_costs.json``)."""

    coefficients: dict[str, tuple[float, ...]]

    @classmethod
    def from_json(cls, doc: dict) -> "LatencyModel":
        return cls({name: tuple(fam["coefficients"]) for name, fam in doc["families"].items()})

    def op_instructions(self, work: OpWork) -> float:
        coef = self.coefficients.get(work.family)
        if coef is None or len(coef) != len(work.values):
            raise NoCostModel(f"op {work.index}: latency family {work.family} is not in the fitted table as "
                              f"its kernel counts it now; rerun bench/nas_latency_fit.py")
        return sum(c * v for c, v in zip(coef, work.values))

    def instructions(self, work: list[OpWork]) -> int:
        """Predicted instructions of one inference (``mcunet_invoke()``)."""
        return round(sum(self.op_instructions(w) for w in work))


@dataclass(frozen=True)
class CodeSize:
    """Flash taken by code beside the model's constants. Each kernel source's size is measured
    by compiling it alone with the board's flags (its allocated sections less the
    ``*_get_buffer_size`` twin the firmware never calls: an upper bound of what it adds to a
    ``--gc-sections`` link); the runtime and per-op part is a line fitted to real builds and
    raised to cover every one of them."""

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


@dataclass(frozen=True)
class FirmwareCosts:
    """What the firmware adds to a model: RAM beside the arena, and code."""

    stack: int  # stack high-water
    other_static_ram: int  # static RAM besides the arena and the stack
    code: CodeSize

    @property
    def ram(self) -> int:
        return self.stack + self.other_static_ram

    @classmethod
    @lru_cache(maxsize=1)
    def measured(cls) -> "FirmwareCosts":
        fw = costs_doc()["firmware"]
        return cls(fw["stack_bytes"], fw["other_static_ram_bytes"], CodeSize.from_json(fw["code"]))


@lru_cache(maxsize=1)
def costs_doc() -> dict:
    """The shipped measurements: latency coefficients, the firmware's RAM and code sizes."""
    return json.loads(COSTS_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def default_latency_model() -> LatencyModel:
    return LatencyModel.from_json(costs_doc()["latency"])


def latency_ms(instructions: int, clock_hz: int) -> float:
    """Instructions at one per cycle: the same estimate as a run's ``latency_ms`` on the emulator."""
    return 1000.0 * instructions / clock_hz
