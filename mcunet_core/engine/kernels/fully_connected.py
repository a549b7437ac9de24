"""FULLY_CONNECTED on SMLAD (``firmware/kernels/fc/mcunet_fc_s8_smlad.c``): dot products of
four int8 pairs per two SMLAD, the input offset folded into the bias offline. The rescale is
the generic kernel's (TFLite's double-precision reference), so the two share their lowering."""

from __future__ import annotations

import numpy as np

from ...quant import wrap_int32
from .base import KernelPlan, LoweringContext, Work
from .generic.fully_connected import GenericFullyConnected
from .registry import register


@register
class SmladFullyConnected(GenericFullyConnected):
    """Weights with a zero point stay generic."""

    FUNCTION = "mcunet_fc_s8_smlad"
    SOURCE = f"fc/{FUNCTION}.c"
    PRIORITY = 10
    LATENCY_FAMILY = "fully_connected_smlad"

    def supports(self, ctx: LoweringContext) -> bool:
        w = ctx.inputs[1]
        return w.quant.per_channel or w.quant.single_zero_point == 0

    def _bias(self, ctx: LoweringContext) -> tuple[np.ndarray, int]:
        # sum((x - zp) * w) + b == sum(x * w) + (b - zp * sum(w)), in int32 wrap-around arithmetic
        x, w, b = ctx.inputs
        bias = np.zeros(w.shape[0], np.int64) if b is None else b.data.reshape(-1).astype(np.int64)
        folded = bias - x.quant.single_zero_point * w.data.astype(np.int64).sum(axis=1)
        return wrap_int32(folded), 0

    def work(self, ctx: LoweringContext, plan: KernelPlan) -> Work:
        w = ctx.inputs[1]
        rows = ctx.inputs[0].size // w.shape[1]
        return Work(self.LATENCY_FAMILY, ("macs", "outputs", "layer"), (rows * w.shape[0] * w.shape[1], rows * w.shape[0], 1))
