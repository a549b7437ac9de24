"""FULLY_CONNECTED on the pointwise core: rows are pixels, input features are channels."""

from __future__ import annotations

import numpy as np

from ...ir.ops import FullyConnected
from ...quant import activation_range, conv_output_multipliers
from .base import Kernel, KernelCall, KernelPlan, LoweringContext, StreamingOverlap
from .pointwise import (
    CoreLayer,
    batch_pairs,
    core_layer,
    core_supports,
    int8_tensors,
    pw_call,
    pw_function,
    pw_scratch_bytes,
    pw_sources,
    weight_format,
)
from .quantized import AccumulatorRequant
from .registry import register

try:  # TFLite's per-tensor FC multiplier: float32 product of the scales (quant.params)
    from ...quant import fc_output_multiplier
except ImportError:  # pragma: no cover - older quant package
    fc_output_multiplier = None


def fc_requant(x, w, y, activation, units: int) -> AccumulatorRequant:
    """Requantization exactly as TFLite's FULLY_CONNECTED derives it (per-tensor or per-channel)."""
    xs, ys = x.quant.single_scale, y.quant.single_scale
    if w.quant.per_channel or fc_output_multiplier is None:
        mult, shift = conv_output_multipliers(xs, w.quant.scale, ys, num_channels=units)
    else:
        m, s = fc_output_multiplier(xs, float(w.quant.scale[0]), ys)
        mult, shift = np.full(units, m), np.full(units, s)
    out_zp = y.quant.single_zero_point
    lo, hi = activation_range(activation, ys, out_zp)
    return AccumulatorRequant(x.quant.single_zero_point, out_zp, lo, hi, mult.astype(np.int32), shift.astype(np.int32))


@register
class FullyConnectedPointwise(Kernel):
    OP = FullyConnected
    PRIORITY = 20

    def _layer(self, ctx: LoweringContext) -> CoreLayer | None:
        x, w, b = ctx.inputs
        (y,) = ctx.outputs
        if w is None or w.data is None or not int8_tensors(x, w, y) or len(w.shape) != 2:
            return None
        units, depth = w.shape
        if x.size % depth:
            return None
        w_zp = w.quant.zero_point
        if w.quant.per_channel and np.any(w_zp != 0):
            return None
        matrix = w.data.astype(np.int64) - (0 if w.quant.per_channel else int(w_zp[0]))
        rq = fc_requant(x, w, y, ctx.op.activation, units)
        return core_layer(x, w, b, y, ctx.op.activation, matrix, rq)

    def supports(self, ctx: LoweringContext) -> bool:
        layer = self._layer(ctx)
        return layer is not None and core_supports(layer, weight_format(ctx))

    def plan(self, ctx: LoweringContext) -> KernelPlan:
        x, w = ctx.inputs[0], ctx.inputs[1]
        units, depth = w.shape
        rows = x.size // depth
        fmt = weight_format(ctx)
        rule = StreamingOverlap(0, depth, units, rows, rows, dead_slope=1, dead_bias=1)
        return KernelPlan(pw_function(fmt), pw_sources(fmt), pw_scratch_bytes(depth, batch_pairs(depth, rows)), rule)

    def lower(self, ctx: LoweringContext) -> KernelCall:
        x, w = ctx.inputs[0], ctx.inputs[1]
        depth = w.shape[1]
        rows = x.size // depth
        fmt = weight_format(ctx)
        return pw_call(ctx, self.plan(ctx), self._layer(ctx), fmt, (1, rows), 0, depth,
                       f"FULLY_CONNECTED ({fmt} weights) {ctx.shapes()}")

