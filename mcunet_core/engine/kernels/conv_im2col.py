"""CONV_2D of any kernel size, stride, dilation and padding: im2col per pixel pair + the pointwise core.

Covers the stem of VWW (3x3 stride 2 on 3 channels: 27 taps padded to 28) and KWS's
10x4 stride-2 SAME convolution on one channel (40 taps), which TinyEngine cannot compile.
Padding taps take the input zero point, which the folded bias cancels exactly as TFLite
skips them.
"""

from __future__ import annotations

import numpy as np

from ...ir.ops import Conv2D
from .base import (
    ConstArray,
    ConstStruct,
    Kernel,
    KernelCall,
    KernelPlan,
    LoweringContext,
    ScratchArg,
    StreamingOverlap,
    StructArg,
    TensorArg,
    Work,
)
from .pointwise import (
    CORE_WORK_NAMES,
    CoreLayer,
    batch_pairs,
    core_layer,
    core_supports,
    core_work,
    groups_of,
    core_tensors,
    pack_records,
    weight_format,
)
from .registry import register


def im2col_function(fmt: str) -> str:
    return f"mcunet_conv_s8_im2col_oc2px2_{fmt}"


def im2col_scratch_bytes(taps: int, batch: int) -> int:
    """Mirror of mcunet_conv_s8_im2col_oc2px2_*_get_buffer_size(taps, batch)."""
    return batch * 16 * groups_of(taps) + 2 * taps


def tap_order(k_h: int, span: int) -> np.ndarray:
    """Tap order of mcunet_widen_rows(): the whole words of every row, then the row ends.

    Taps are indexed ky * span + t (span = k_w * in_c, t = kx * in_c + c), as the weights
    [O, KH, KW, C] flatten.
    """
    whole = 4 * (span // 4)
    rows = np.arange(k_h)[:, None] * span
    return np.concatenate([(rows + np.arange(whole)).ravel(), (rows + np.arange(whole, span)).ravel()])


@register
class Im2colConv2D(Kernel):
    OP = Conv2D
    PRIORITY = 10
    LATENCY_FAMILY = "im2col"

    def _layer(self, ctx: LoweringContext) -> CoreLayer:
        x, w, b = ctx.inputs
        (y,) = ctx.outputs
        out_c, k_h, k_w, in_c = w.shape
        matrix = w.data.reshape(out_c, -1)[:, tap_order(k_h, k_w * in_c)]
        return core_layer(x, w, b, y, ctx.op.activation, matrix)

    def supports(self, ctx: LoweringContext) -> bool:
        x, w, b = ctx.inputs
        (y,) = ctx.outputs
        if w is None or w.data is None or not core_tensors(x, w, y):
            return False
        if x.shape[0] != 1 or w.shape[3] != x.shape[3] or np.any(w.quant.zero_point != 0):
            return False
        return core_supports(self._layer(ctx), weight_format(ctx))

    def plan(self, ctx: LoweringContext) -> KernelPlan:
        x = ctx.inputs[0]
        (y,) = ctx.outputs
        _, h, w, c = x.shape
        _, oh, ow, oc = y.shape
        op = ctx.op
        # output row r reads input rows >= r * stride_h - pad_top (all read before written)
        rule = StreamingOverlap(0, w * c, ow * oc, h, oh, dead_slope=op.stride[0], dead_bias=-op.padding.top)
        fmt = weight_format(ctx)
        fn = im2col_function(fmt)
        sources = (f"conv/{fn}.c", f"pointwise/mcunet_pw_core_{fmt}.c")
        taps, batch = self._taps(ctx), self._batch(ctx)
        return KernelPlan(fn, sources, im2col_scratch_bytes(taps, batch), rule, (taps, batch))

    def work(self, ctx: LoweringContext, plan: KernelPlan) -> Work:
        """The core's work plus the gathered taps (im2col per pixel)."""
        taps, batch = plan.buffer_size_args
        y = ctx.outputs[0]
        gathered = y.shape[1] * y.shape[2] * taps
        return Work(f"{self.LATENCY_FAMILY}_{weight_format(ctx)}", (*CORE_WORK_NAMES, "gathered"),
                    (*core_work(ctx, taps, batch), gathered))

    @staticmethod
    def _taps(ctx: LoweringContext) -> int:
        return int(np.prod(ctx.inputs[1].shape[1:]))

    def _batch(self, ctx: LoweringContext) -> int:
        y = ctx.outputs[0]
        return batch_pairs(self._taps(ctx), y.shape[1] * y.shape[2])

    def lower(self, ctx: LoweringContext) -> KernelCall:
        op = ctx.op
        x, w = ctx.inputs[0], ctx.inputs[1]
        (y,) = ctx.outputs
        layer = self._layer(ctx)
        fmt = weight_format(ctx)
        p = ctx.prefix
        blob = ConstArray(f"{p}_blob", "int32_t", pack_records(layer, fmt))
        fields = (
            ("in_h", x.shape[1]), ("in_w", x.shape[2]), ("in_c", x.shape[3]),
            ("out_h", y.shape[1]), ("out_w", y.shape[2]), ("out_c", y.shape[3]),
            ("k_h", w.shape[1]), ("k_w", w.shape[2]),
            ("stride_h", op.stride[0]), ("stride_w", op.stride[1]),
            ("dil_h", op.dilation[0]), ("dil_w", op.dilation[1]),
            ("pad_top", op.padding.top), ("pad_left", op.padding.left),
            ("input_zp", layer.rq.input_zp),
            ("clamp", int(layer.clamp)), ("batch", self._batch(ctx)), ("blob", blob.name),
        )
        struct = ConstStruct(f"{p}_params", "mcunet_im2col_params_t", fields)
        args = [StructArg(struct.name), TensorArg(x.name, const=True), TensorArg(y.name), ScratchArg("int16_t")]
        return KernelCall(ctx.index, self.plan(ctx), args, [blob], [struct],
                          comment=f"CONV_2D {w.shape[1]}x{w.shape[2]} im2col ({fmt} weights) {ctx.shapes()}")
