"""FULLY_CONNECTED on SMLAD (``firmware/kernels/fc/mcunet_fc_s8_smlad.c``): dot products of
four int8 pairs per two SMLAD, the input offset folded into the bias offline; int4 weights
stay packed (``fc/mcunet_fc_s8_w4_smlad.c``). The rescale is the generic kernel's (TFLite's
double-precision reference), so they share its lowering."""

from __future__ import annotations

import numpy as np

from ...ir import DType
from ...quant import wrap_int32
from .base import ConstArray, KernelCall, KernelPlan, LoweringContext, Work
from .generic.fully_connected import GenericFullyConnected
from .registry import register


@register
class SmladFullyConnected(GenericFullyConnected):
    """int8 weights; weights with a zero point stay generic."""

    FUNCTION = "mcunet_fc_s8_smlad"
    SOURCE = f"fc/{FUNCTION}.c"
    PRIORITY = 10
    LATENCY_FAMILY = "fully_connected_smlad"

    def supports(self, ctx: LoweringContext) -> bool:
        w = ctx.inputs[1]
        return w.dtype is DType.INT8 and self._symmetric(ctx)

    @staticmethod
    def _symmetric(ctx: LoweringContext) -> bool:
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


#: 16 * |dot product| must stay below 2**31 on the DSP path (it accumulates 16 * the taps).
W4_MAX_ABS_DOT = 1 << 27


def pack_w4_rows(w: np.ndarray) -> np.ndarray:
    """int4 weights [O, K] -> the kernel's packed rows ((K + 1) // 2 bytes each, as int8):
    per group of 8 taps byte i = tap i | tap 4 + i << 4; the last K % 8 taps two per byte,
    low nibble first (``fc/mcunet_fc_s8_w4_smlad.c``)."""
    out_c, k = w.shape
    v = w.astype(np.int64) & 0xF
    full = k // 8 * 8
    groups = v[:, :full].reshape(out_c, -1, 2, 4)
    head = (groups[:, :, 0, :] | (groups[:, :, 1, :] << 4)).reshape(out_c, -1)
    tail = v[:, full:]
    if tail.shape[1] % 2:
        tail = np.concatenate([tail, np.zeros((out_c, 1), np.int64)], axis=1)
    tail = tail[:, 0::2] | (tail[:, 1::2] << 4)
    rows = np.concatenate([head, tail], axis=1)
    assert rows.shape[1] == (k + 1) // 2
    return rows.astype(np.uint8).view(np.int8).reshape(-1)


@register
class SmladFullyConnectedW4(SmladFullyConnected):
    """int4 weights kept packed, widened in the dot product (SMLAD on 16 x the taps)."""

    FUNCTION = "mcunet_fc_s8_w4_smlad"
    SOURCE = f"fc/{FUNCTION}.c"
    PRIORITY = 11
    LATENCY_FAMILY = "fully_connected_w4"

    def supports(self, ctx: LoweringContext) -> bool:
        w = ctx.inputs[1]
        if w.dtype is not DType.INT4 or not self._symmetric(ctx):
            return False
        return int(np.abs(w.data.astype(np.int64)).sum(axis=1).max(initial=0)) * 128 < W4_MAX_ABS_DOT

    def lower(self, ctx: LoweringContext) -> KernelCall:
        call = super().lower(ctx)
        w = ctx.inputs[1]
        name = f"{ctx.prefix}_w"
        call.constants = [ConstArray(name, "int8_t", pack_w4_rows(w.data)) if c.name == name else c
                          for c in call.constants]
        call.comment = f"FULLY_CONNECTED (int4 weights, packed) {ctx.shapes()}"
        return call
