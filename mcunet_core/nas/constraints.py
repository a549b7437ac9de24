"""Does an architecture fit the board? Peak SRAM, flash and latency as the deployed model has them.

* SRAM = the engine's exact arena (``plan_from_kernel_plans``, what ``peak_memory`` and the
  code generator use) + the firmware's stack high-water mark and other static RAM;
* flash = the exact bytes of the lowered constants (``lower_graph``) + the code of the
  kernels the network links, the runtime and the per-op calls (``code_size.py``);
* latency = predicted instructions (``latency.py``) / the board's clock.

The firmware's RAM is measured, not guessed: ``bench/nas_latency_fit.py`` builds and runs its
fit models and keeps the largest painted-stack high-water mark and static RAM besides the
arena in ``kernel_costs.json`` (README's table: MLPerf VWW/KWS use 444-524 B of stack).

The graph is ``arch_to_graph(arch, RandomWeights(0))``: the same mapping the exporter
uses, with random values (only shapes and the requantization ranges matter for memory,
kernels and constants).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache

from ..arch import Arch, RandomWeights, arch_to_graph
from ..engine.kernels.depthwise import activation_bytes_per_op
from ..engine.lowering import lower_graph
from ..engine.planner.memory_plan import plan_from_kernel_plans
from ..engine.target import Target
from ..errors import UserError
from ..ir import Graph
from .code_size import CodeSize
from .latency import costs_doc, default_model, latency_ms


@dataclass(frozen=True)
class Measurement:
    peak_sram: int  # arena + stack + other static RAM, bytes
    flash: int  # constants + code, bytes
    latency_ms: float  # instructions / clock
    instructions: int
    macs: int
    arena: int
    constants: int

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Limits:
    sram: int
    flash: int
    latency_ms: float | None  # None: no latency limit

    @classmethod
    def resolve(cls, search, board) -> "Limits":
        """The search spec's constraints for ``board`` ('auto' = the board's budgets)."""
        c = search.resolve_constraints(board)
        return cls(int(c["sram"]), int(c["flash"]), None if c["latency_ms"] is None else float(c["latency_ms"]))

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    def describe(self) -> str:
        latency = "no latency limit" if self.latency_ms is None else f"latency {self.latency_ms:g} ms"
        return f"SRAM {self.sram} B, flash {self.flash} B, {latency}"


@dataclass(frozen=True)
class FirmwareCosts:
    """What the firmware adds to a model: RAM beside the arena, and code."""

    ram: int  # stack high-water + other static RAM
    code: CodeSize

    @classmethod
    @lru_cache(maxsize=1)
    def measured(cls) -> "FirmwareCosts":
        fw = costs_doc()["firmware"]
        return cls(fw["stack_bytes"] + fw["other_static_ram_bytes"], CodeSize.from_json(fw["code"]))


def violation(m: Measurement, limits: Limits) -> str | None:
    """The first limit ``m`` breaks ('sram', 'flash' or 'latency'), None when it fits."""
    if m.peak_sram > limits.sram:
        return "sram"
    if m.flash > limits.flash:
        return "flash"
    if limits.latency_ms is not None and m.latency_ms > limits.latency_ms:
        return "latency"
    return None


def fits(m: Measurement, limits: Limits) -> bool:
    return violation(m, limits) is None


def estimate_graph(arch: Arch) -> Graph:
    """The int8 IR the NAS measures (deterministic: seeded random values)."""
    return arch_to_graph(arch, RandomWeights(0))


def _key(arch: Arch) -> Arch:
    """Archs that differ only by name are the same network."""
    return dataclasses.replace(arch, name="nas")


def measure(arch: Arch, board_or_target, *, clock_hz: int | None = None,
            firmware: FirmwareCosts | None = None) -> Measurement | None:
    """Exact SRAM and flash of ``arch`` and its predicted latency on a board (or a Target,
    with ``clock_hz``); None when the engine cannot plan it into the target's RAM pools.
    Memoized by network: evolution revisits genes."""
    if isinstance(board_or_target, Target):
        if clock_hz is None:
            raise TypeError("measure(arch, target) needs clock_hz")
        target = board_or_target
    else:
        target, clock_hz = Target.from_board(board_or_target), clock_hz or board_or_target.clock_hz
    return _measure(_key(arch), target, int(clock_hz), firmware or FirmwareCosts.measured())


@lru_cache(maxsize=1 << 16)
def _measure(arch: Arch, target: Target, clock_hz: int, firmware: FirmwareCosts) -> Measurement | None:
    graph = estimate_graph(arch)
    calls = lower_graph(graph, target)  # one pass: the weight formats are chosen once
    plans = [call.plan for call in calls]
    try:
        arena = plan_from_kernel_plans(graph, plans, target.pools).arena_bytes
    except UserError:  # no placement of the activations fits the board's RAM regions
        return None
    constants = sum(c.data.nbytes for call in calls for c in call.constants)
    instructions = default_model().instructions(graph, target, plans)
    return Measurement(
        peak_sram=arena + firmware.ram, flash=constants + firmware.code.bytes(plans),
        latency_ms=latency_ms(instructions, clock_hz), instructions=instructions, macs=arch.macs(),
        arena=arena, constants=constants,
    )


def lower_bounds(arch: Arch) -> tuple[int, int]:
    """(arena, constant bytes) no kernel choice can go below: the live activations at the
    busiest op with each output over its dying input, and the graph's int8/int32 constants
    (kernels only reorder, widen or add to them). Cheap: no planning, no lowering."""
    graph = estimate_graph(arch)
    arena = max(activation_bytes_per_op(graph))
    constants = sum(t.nbytes for t in graph.tensors.values() if t.is_constant)
    return arena, constants


class Constraints:
    """A board's limits for a search: screens with :func:`lower_bounds`, then measures exactly.

    ``target`` is what the NAS measured with and what the deployed model must be compiled
    with: the board's, with the flash budget lowered to the search's flash limit, so kernels
    keep int8 weights where pre-widened ones would break it.
    """

    def __init__(self, target: Target, clock_hz: int, limits: Limits, firmware: FirmwareCosts | None = None):
        self.target = target
        self.clock_hz = int(clock_hz)
        self.limits = limits
        self.firmware = firmware or FirmwareCosts.measured()
        self._verdicts: dict[Arch, tuple[Measurement | None, str | None]] = {}

    @classmethod
    def for_board(cls, board, limits: Limits, firmware: FirmwareCosts | None = None) -> "Constraints":
        target = Target.from_board(board)
        if target.flash_budget is None or limits.flash < target.flash_budget:
            target = dataclasses.replace(target, flash_budget=limits.flash)
        return cls(target, board.clock_hz, limits, firmware)

    def measure(self, arch: Arch) -> Measurement | None:
        return measure(arch, self.target, clock_hz=self.clock_hz, firmware=self.firmware)

    def check(self, arch: Arch) -> Measurement | None:
        """The measurement of a feasible arch, None for an infeasible one."""
        return self.verdict(arch)[0]

    def verdict(self, arch: Arch) -> tuple[Measurement | None, str | None]:
        """(the measurement, None) for a feasible arch; (None, the first limit it breaks) otherwise
        (an arch the engine cannot place in the board's RAM breaks 'sram')."""
        key = _key(arch)
        if key not in self._verdicts:
            self._verdicts[key] = self._verdict(arch)
        return self._verdicts[key]

    def _verdict(self, arch: Arch) -> tuple[Measurement | None, str | None]:
        arena, constants = lower_bounds(arch)
        if arena + self.firmware.ram > self.limits.sram:
            return None, "sram"
        if constants + self.firmware.code.base > self.limits.flash:
            return None, "flash"
        m = self.measure(arch)
        if m is None:
            return None, "sram"
        broken = violation(m, self.limits)
        return (m, None) if broken is None else (None, broken)

    def to_json(self) -> dict:
        return {"limits": self.limits.to_json(), "clock_hz": self.clock_hz, "firmware_ram": self.firmware.ram,
                "target": {"name": self.target.name, "flash_budget": self.target.flash_budget,
                           "ram_budget": self.target.ram_budget}}
