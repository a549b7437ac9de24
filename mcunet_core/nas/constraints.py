"""Does an architecture fit the board? Peak SRAM, flash and latency as the deployed model has them,
all from one engine lowering pass (``engine.lower``):

* SRAM = ``Lowered.footprint().peak_sram``: the planner's exact arena (the code generator lays
  out the same one) + the firmware's measured stack high-water mark and other static RAM;
* flash = ``footprint().flash``: the exact bytes of the lowered constants + the code of the
  kernels the network links, the runtime and the per-op calls;
* latency = ``Lowered.instructions()`` (the engine's fitted kernel costs) / the board's clock;
* MACs, when the search spec limits them (a compute budget), checked before any lowering;
* with the search spec's ``constraints.patch: auto``, each candidate with the patch schedule
  the engine's exact search gives it (``NAS_PATCHES``: fewer candidates than a build's auto,
  each one planned), recorded in the measurement and in the winner's model spec;
* with ``constraints.input_placement: external``, each candidate with its input outside the
  arena (the application's frame, read in place), recorded in search.json and the winner's
  model spec: the engine stage compiles it so.

The graph is ``arch_to_graph(arch, RandomWeights(0, bits))``: the same mapping the exporter
uses, with random values (only shapes and the requantization ranges matter for memory,
kernels and constants), and the quant spec's weight bits (``arch.WeightBits``): under int4 the
flash counts packed 4-bit filters, as the deployed graph stores them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache

from .. import engine
from ..arch import Arch, RandomWeights, WeightBits, arch_to_graph
from ..engine import FirmwareCosts, InputPlacement, PatchPolicy, Target, latency_ms
from ..errors import UserError
from ..ir import Graph


#: ``constraints.patch: auto``: each candidate network's schedule among 2-5 x 2-5 patches and 2-5
#: rows at 3 splits, per resolution the one of smallest stage output (a build's auto tries every
#: split, up to 8x8)
NAS_PATCHES = PatchPolicy("auto", sides=(2, 3, 4, 5), max_splits=3)


def search_patch_policy(search) -> PatchPolicy:
    """How a search spec's candidates are measured: ``constraints.patch`` off (whole tensors) or auto."""
    return NAS_PATCHES if search is not None and search.patch == "auto" else PatchPolicy("off")


def search_input_placement(search) -> InputPlacement:
    """Where a search spec's candidates keep their input: ``constraints.input_placement``
    (default arena; like ``patch``, not the board's: the search spec says what it measured)."""
    return InputPlacement.parse(None if search is None else search.input_placement)


@dataclass(frozen=True)
class Measurement:
    peak_sram: int  # arena + stack + other static RAM, bytes
    flash: int  # constants + code, bytes
    latency_ms: float  # instructions / clock
    instructions: int
    macs: int
    arena: int
    constants: int
    patch: tuple[int, int, int] | None = None  # the patch schedule measured (split, rows, cols); None: whole tensors

    @property
    def schedule(self) -> dict | None:
        """The patch schedule as a spec writes it (``{split, patches: [rows, cols]}``)."""
        return None if self.patch is None else {"split": self.patch[0], "patches": list(self.patch[1:])}

    def to_json(self) -> dict:
        doc = dataclasses.asdict(self)
        del doc["patch"]
        if self.patch is not None:  # whole tensors: the measurement as it always was
            doc["patch"] = self.schedule
        return doc


@dataclass(frozen=True)
class Limits:
    sram: int
    flash: int
    latency_ms: float | None  # None: no latency limit
    macs: int | None = None  # multiply-accumulates per inference; None: no limit

    @classmethod
    def resolve(cls, search, board) -> "Limits":
        """The search spec's constraints for ``board`` ('auto' = the board's budgets)."""
        return cls.from_json(search.resolve_constraints(board))

    @classmethod
    def of_model(cls, model_spec) -> "Limits | None":
        """The budget a model spec records (a searched network's), None when it has none."""
        b = model_spec.budget if model_spec is not None else None
        return None if b is None else cls.from_json(b)

    @classmethod
    def from_json(cls, d: dict) -> "Limits":
        """``sram`` and ``flash`` bytes; ``latency_ms`` and ``macs`` absent or None: no limit."""
        latency, macs = d.get("latency_ms"), d.get("macs")
        return cls(int(d["sram"]), int(d["flash"]), None if latency is None else float(latency),
                   None if macs is None else int(macs))

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    def describe(self) -> str:
        latency = "no latency limit" if self.latency_ms is None else f"latency {self.latency_ms:g} ms"
        macs = "" if self.macs is None else f", at most {self.macs} MACs"
        return f"SRAM {self.sram} B, flash {self.flash} B, {latency}{macs}"


def violation(m: Measurement, limits: Limits) -> str | None:
    """The first limit ``m`` breaks ('macs', 'sram', 'flash' or 'latency'), None when it fits."""
    if limits.macs is not None and m.macs > limits.macs:
        return "macs"
    if m.peak_sram > limits.sram:
        return "sram"
    if m.flash > limits.flash:
        return "flash"
    if limits.latency_ms is not None and m.latency_ms > limits.latency_ms:
        return "latency"
    return None


def fits(m: Measurement, limits: Limits) -> bool:
    return violation(m, limits) is None


def estimate_graph(arch: Arch, bits: WeightBits = WeightBits()) -> Graph:
    """The IR the NAS measures (deterministic: seeded random values; int4 filters by ``bits``)."""
    return arch_to_graph(arch, RandomWeights(0, bits))


def _key(arch: Arch) -> Arch:
    """Archs that differ only by name are the same network."""
    return dataclasses.replace(arch, name="nas")


def measure(arch: Arch, board_or_target, *, clock_hz: int | None = None,
            firmware: FirmwareCosts | None = None, bits: WeightBits = WeightBits()) -> Measurement | None:
    """Exact SRAM and flash of ``arch`` and its predicted latency on a board (or a Target,
    with ``clock_hz``); None when the engine cannot plan it into the target's RAM pools.
    Memoized by network: evolution revisits genes."""
    if isinstance(board_or_target, Target):
        if clock_hz is None:
            raise TypeError("measure(arch, target) needs clock_hz")
        target = board_or_target
    else:
        target, clock_hz = Target.from_board(board_or_target), clock_hz or board_or_target.clock_hz
    return _measure(_key(arch), target, int(clock_hz), firmware or FirmwareCosts.measured(), bits)


@lru_cache(maxsize=1 << 16)
def _measure(arch: Arch, target: Target, clock_hz: int, firmware: FirmwareCosts,
             bits: WeightBits = WeightBits()) -> Measurement | None:
    try:
        lowered = engine.lower(estimate_graph(arch, bits), target)  # patch auto: no schedule fits raises
        fp = lowered.footprint(firmware)
    except UserError:  # no placement of the activations fits the board's RAM regions
        return None
    instructions = lowered.instructions()
    schedule = lowered.decisions.schedule
    return Measurement(
        peak_sram=fp.peak_sram, flash=fp.flash, latency_ms=latency_ms(instructions, clock_hz),
        instructions=instructions, macs=arch.macs(), arena=fp.arena, constants=fp.constants,
        patch=(schedule.split, *schedule.grid) if schedule else None,
    )


def lower_bounds(arch: Arch, bits: WeightBits = WeightBits(),
                 input_placement: InputPlacement = InputPlacement()) -> tuple[int, int]:
    """``engine.lower_bounds`` of the network: (arena, constants) no kernel choice goes below."""
    return engine.lower_bounds(estimate_graph(arch, bits), input_placement)


def deployment_target(board, limits: Limits | None, patch: PatchPolicy = PatchPolicy("off"),
                      input_placement: InputPlacement | None = None) -> Target:
    """The engine target a network is measured and compiled with: the board's, with its flash
    budget lowered to ``limits.flash`` (kernels then keep int8 weights where pre-widened ones
    would break it), scheduling patches by ``patch``, its input where ``input_placement`` says.
    The search measures with it and the engine stage compiles with it."""
    target = Target.from_board(board, patch=patch, input_placement=input_placement or InputPlacement())
    if limits is not None and (target.flash_budget is None or limits.flash < target.flash_budget):
        target = dataclasses.replace(target, flash_budget=limits.flash)
    return target


class Constraints:
    """A board's limits for a search: screens with :func:`lower_bounds`, then measures exactly.

    ``target`` is what the NAS measured with and what the deployed model must be compiled
    with: the board's, with the flash budget lowered to the search's flash limit, so kernels
    keep int8 weights where pre-widened ones would break it. ``bits``: the quant spec's weight
    bits the candidates are measured with (int8 by default).
    """

    def __init__(self, target: Target, clock_hz: int, limits: Limits, firmware: FirmwareCosts | None = None,
                 bits: WeightBits = WeightBits()):
        self.target = target
        self.clock_hz = int(clock_hz)
        self.limits = limits
        self.firmware = firmware or FirmwareCosts.measured()
        self.bits = bits
        self._verdicts: dict[Arch, tuple[Measurement | None, str | None]] = {}

    @classmethod
    def for_board(cls, board, limits: Limits, firmware: FirmwareCosts | None = None,
                  patch: PatchPolicy = PatchPolicy("off"), bits: WeightBits = WeightBits(),
                  input_placement: InputPlacement = InputPlacement()) -> "Constraints":
        return cls(deployment_target(board, limits, patch, input_placement), board.clock_hz, limits, firmware, bits)

    def measure(self, arch: Arch) -> Measurement | None:
        return measure(arch, self.target, clock_hz=self.clock_hz, firmware=self.firmware, bits=self.bits)

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

    def macs(self, arch: Arch) -> int:
        """The MACs the compute limit counts (a subclass that adds heads counts them too)."""
        return arch.macs()

    def _bounds(self, arch: Arch) -> tuple[int, int]:
        """(arena, constants) no kernel choice goes below, for the graph this class measures."""
        return lower_bounds(arch, self.bits, self.target.input_placement)

    def _verdict(self, arch: Arch) -> tuple[Measurement | None, str | None]:
        if self.limits.macs is not None and self.macs(arch) > self.limits.macs:  # known before any lowering
            return None, "macs"
        arena, constants = self._bounds(arch)
        if arena + self.firmware.ram > self.limits.sram and self.target.patch.mode == "off":  # patches go below
            return None, "sram"
        if constants + self.firmware.code.base > self.limits.flash:
            return None, "flash"
        m = self.measure(arch)
        if m is None:
            return None, "sram"
        broken = violation(m, self.limits)
        return (m, None) if broken is None else (None, broken)

    def schedule_of(self, arch: Arch):
        """The patch schedule ``arch`` was measured with, as a model spec writes it: ``off``
        (whole tensors, also what ``auto`` chose when no schedule was lower) or ``{split, patches}``."""
        m = self.measure(arch) if self.target.patch.mode != "off" else None
        return "off" if m is None or m.patch is None else m.schedule

    def placement_json(self) -> dict:
        """search.json's and the winner's model spec's ``input_placement``, absent for the
        arena (the default: their bytes as they always were)."""
        p = self.target.input_placement
        return {"input_placement": p.mode} if p.external else {}

    def to_json(self) -> dict:
        return {"limits": self.limits.to_json(), "clock_hz": self.clock_hz, "firmware_ram": self.firmware.ram,
                "target": {"name": self.target.name, "flash_budget": self.target.flash_budget,
                           "ram_budget": self.target.ram_budget}, **self._patch_json(), **self.placement_json(),
                **({} if self.bits == WeightBits() else {"weights": self.bits.to_json()})}

    def _patch_json(self) -> dict:
        """search.json's ``patch`` (the candidates' policy), absent when off: as it always was."""
        p = self.target.patch
        if p.mode == "off":
            return {}
        return {"patch": {"policy": p.mode, "cap": p.cap, "sides": list(p.sides or ()), "max_splits": p.max_splits}}
