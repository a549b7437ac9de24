"""Instructions per inference, predicted per op from measured kernel costs.

Each op's kernel (the engine's own choice, from ``kernel_plans``) belongs to a family with a
few work counts (features: inner-loop iterations, outputs, widened inputs, calls); the
instructions are a linear function of them whose coefficients were fitted on per-layer
counts of profile builds under QEMU (``bench/nas_latency_fit.py`` writes
``kernel_costs.json``). Counts are emulated *instructions* (QEMU ``-icount``, as every
``result.json`` on the emulator reports), not cycles; ``latency_ms`` divides them by the
board's clock, the same estimate the run reports.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..engine.kernels.base import KernelPlan, LoweringContext
from ..engine.kernels.depthwise import layout_cost, layout_of
from ..engine.kernels.pointwise import groups_of
from ..engine.lowering import kernel_plans
from ..engine.target import Target
from ..ir import Graph
from ..quant import activation_range

COSTS_PATH = Path(__file__).with_name("kernel_costs.json")


@dataclass(frozen=True)
class OpWork:
    """One op's kernel family and its work counts (``Family.NAMES`` order)."""

    index: int
    family: str
    names: tuple[str, ...]
    values: tuple[float, ...]


class Family:
    """A kernel family: which C functions it covers and the work counts that drive its time."""

    FUNCTIONS: tuple[str, ...] = ()
    NAMES: tuple[str, ...] = ()

    def family(self, ctx: LoweringContext, plan: KernelPlan) -> str:
        return plan.function

    def values(self, ctx: LoweringContext, plan: KernelPlan) -> tuple[float, ...]:
        raise NotImplementedError


def _pixel_pairs(y) -> int:
    return (y.shape[1] * y.shape[2] + 1) // 2


def _core_work(pairs: int, out_c: int, taps: int, batch: int, clamp: bool) -> tuple[float, ...]:
    """The 2 output channels x 2 pixels core: per pixel-pair batch, widen it, then run every
    channel pair over it (4 taps per inner iteration) and requantize 4 outputs."""
    oc_pairs = (out_c + 1) // 2
    blocks = pairs * oc_pairs
    return (blocks * groups_of(taps), blocks, blocks if clamp else 0, pairs * groups_of(taps),
            math.ceil(pairs / batch) * oc_pairs, 1)


def _clamps(ctx: LoweringContext) -> bool:
    """Whether the fused activation narrows the int8 range (an extra clamp per output)."""
    y = ctx.outputs[0]
    return activation_range(ctx.op.activation, y.quant.single_scale, y.quant.single_zero_point) != (-128, 127)


class Pointwise(Family):
    FUNCTIONS = ("mcunet_pw_conv_s8_oc2px2_w16", "mcunet_pw_conv_s8_oc2px2_w8")
    NAMES = ("taps", "outputs", "clamped", "widened", "calls", "layer")

    def values(self, ctx, plan):
        (y,) = ctx.outputs
        return _core_work(_pixel_pairs(y), y.shape[3], ctx.inputs[0].shape[3], plan.buffer_size_args[1], _clamps(ctx))


class Im2col(Family):
    FUNCTIONS = ("mcunet_conv_s8_im2col_oc2px2_w16", "mcunet_conv_s8_im2col_oc2px2_w8")
    NAMES = ("taps", "outputs", "clamped", "widened", "calls", "layer", "gathered")

    def values(self, ctx, plan):
        (y,) = ctx.outputs
        taps, batch = plan.buffer_size_args
        pixels = y.shape[1] * y.shape[2]
        return (*_core_work(_pixel_pairs(y), y.shape[3], taps, batch, _clamps(ctx)), pixels * taps)


class Depthwise(Family):
    """Plane kernels: the engine's own layout cost model (quads, widening, calls, strip
    slides) as one count, plus the per-output requantization it leaves out."""

    FUNCTIONS = ("mcunet_dw_strips", "mcunet_dw_transposed")
    NAMES = ("layout_cost", "outputs", "clamped", "transposed", "layer")

    def family(self, ctx, plan):
        return f"depthwise_k{ctx.inputs[1].shape[1]}s{max(ctx.op.stride)}"

    def values(self, ctx, plan):
        layout = layout_of(ctx)
        outputs = ctx.outputs[0].size
        return (layout_cost(layout), outputs, outputs if _clamps(ctx) else 0, outputs if layout.transposed else 0, 1)


class FullyConnected(Family):
    FUNCTIONS = ("mcunet_fc_s8_smlad",)
    NAMES = ("macs", "outputs", "layer")

    def values(self, ctx, plan):
        w = ctx.inputs[1]
        rows = ctx.inputs[0].size // w.shape[1]
        return (rows * w.shape[0] * w.shape[1], rows * w.shape[0], 1)


class AveragePool(Family):
    FUNCTIONS = ("mcunet_avgpool_s8_generic",)
    NAMES = ("inputs", "outputs", "layer")

    def values(self, ctx, plan):
        return (ctx.inputs[0].size, ctx.outputs[0].size, 1)


class ElementWise(Family):
    FUNCTIONS = ("mcunet_add_s8_fast",)
    NAMES = ("elements", "layer")

    def values(self, ctx, plan):
        return (ctx.outputs[0].size, 1)


class Softmax(Family):
    FUNCTIONS = ("mcunet_softmax_s8_generic",)
    NAMES = ("elements", "layer")

    def values(self, ctx, plan):
        return (ctx.outputs[0].size, 1)


FAMILIES: dict[str, Family] = {f: fam for fam in (Pointwise(), Im2col(), Depthwise(), FullyConnected(),
                                                  AveragePool(), ElementWise(), Softmax()) for f in fam.FUNCTIONS}


class NoCostModel(LookupError):
    """An op runs on a kernel the cost table has no coefficients for."""


def op_work(graph: Graph, target: Target, plans: list[KernelPlan] | None = None) -> list[OpWork]:
    """Work counts of every op that runs code (views such as RESHAPE run none)."""
    plans = plans if plans is not None else kernel_plans(graph, target)
    out = []
    for i, (op, plan) in enumerate(zip(graph.ops, plans)):
        if plan.function is None:
            continue
        ctx = LoweringContext(graph, op, i, target)
        fam = FAMILIES.get(plan.function)
        if fam is None:
            raise NoCostModel(f"{graph.name}: op {i} {op.OPCODE} runs {plan.function}, which has no latency "
                              f"model ({ctx.shapes()}); add a family in nas/latency.py and refit")
        out.append(OpWork(i, fam.family(ctx, plan), fam.NAMES, tuple(float(v) for v in fam.values(ctx, plan))))
    return out


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
            raise NoCostModel(f"op {work.index}: kernel family {work.family} is not in the fitted table as "
                              f"nas/latency.py counts it now; rerun bench/nas_latency_fit.py")
        return sum(c * v for c, v in zip(coef, work.values))

    def instructions(self, graph: Graph, target: Target, plans: list[KernelPlan] | None = None) -> int:
        """Predicted instructions of one inference (``mcunet_invoke()``)."""
        return round(sum(self.op_instructions(w) for w in op_work(graph, target, plans)))


@lru_cache(maxsize=1)
def costs_doc() -> dict:
    """The shipped measurements: latency coefficients, the firmware's RAM and code sizes."""
    return json.loads(COSTS_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def default_model() -> LatencyModel:
    return LatencyModel.from_json(costs_doc()["latency"])


def latency_ms(instructions: int, clock_hz: int) -> float:
    """Instructions at one per cycle: the same estimate as a run's ``latency_ms`` on the emulator."""
    return 1000.0 * instructions / clock_hz
