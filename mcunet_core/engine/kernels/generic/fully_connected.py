"""Generic FULLY_CONNECTED: per-tensor or per-channel weights, any row count."""

from __future__ import annotations

import numpy as np

from ....ir.ops import FullyConnected
from ..base import ConstArray, ConstStruct, Kernel, KernelCall, KernelPlan, LoweringContext, StructArg, TensorArg
from ....quant import activation_range
from ....quant.params import fc_effective_scales
from ..registry import register


@register
class GenericFullyConnected(Kernel):
    OP = FullyConnected
    FUNCTION = "mcunet_fc_s8_generic"

    def plan(self, ctx: LoweringContext) -> KernelPlan:
        return KernelPlan(self.FUNCTION, (f"generic/{self.FUNCTION}.c", "generic/mcunet_rescale_double_round.c"))

    def lower(self, ctx: LoweringContext) -> KernelCall:
        x, w, b = ctx.inputs
        (y,) = ctx.outputs
        out_features, in_features = w.shape
        rows = x.size // in_features
        scales = np.broadcast_to(
            fc_effective_scales(x.quant.single_scale, w.quant.scale, y.quant.single_scale), (out_features,)
        )
        filter_zp = 0 if w.quant.per_channel else w.quant.single_zero_point
        out_zp = y.quant.single_zero_point
        lo, hi = activation_range(ctx.op.activation, y.quant.single_scale, out_zp)
        p = ctx.prefix
        consts = [
            ConstArray(f"{p}_w", "int8_t", w.data.reshape(-1)),
            ConstArray(f"{p}_scale", "double", np.ascontiguousarray(scales, dtype=np.float64), align=8),
        ]
        if b is not None:
            consts.append(ConstArray(f"{p}_bias", "int32_t", b.data.reshape(-1)))
        fields = (
            ("rows", rows), ("in_features", in_features), ("out_features", out_features),
            ("input_offset", -x.quant.single_zero_point), ("filter_offset", -filter_zp),
            ("output_zp", out_zp), ("act_min", lo), ("act_max", hi),
            ("weights", f"{p}_w"), ("bias", f"{p}_bias" if b is not None else None),
            ("scale", f"{p}_scale"),
        )
        struct = ConstStruct(f"{p}_params", "mcunet_fc_params_t", fields)
        args = [StructArg(struct.name), TensorArg(x.name, const=True), TensorArg(y.name)]
        return KernelCall(ctx.index, self.plan(ctx), args, consts, [struct], comment=f"FULLY_CONNECTED {ctx.shapes()}")
