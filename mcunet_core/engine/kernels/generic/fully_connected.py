"""Generic FULLY_CONNECTED: per-tensor or per-channel weights, any row count."""

from __future__ import annotations

from ....ir.ops import FullyConnected
from ..base import ConstArray, ConstStruct, Kernel, KernelCall, KernelPlan, LoweringContext, StructArg, TensorArg
from ..quantized import AccumulatorRequant
from ..registry import register


@register
class GenericFullyConnected(Kernel):
    OP = FullyConnected
    FUNCTION = "mcunet_fc_s8_generic"

    def plan(self, ctx: LoweringContext) -> KernelPlan:
        return KernelPlan(self.FUNCTION, (f"generic/{self.FUNCTION}.c",))

    def lower(self, ctx: LoweringContext) -> KernelCall:
        x, w, b = ctx.inputs
        (y,) = ctx.outputs
        out_features, in_features = w.shape
        rows = x.size // in_features
        rq = AccumulatorRequant.of(x, w, y, ctx.op.activation, out_features)
        p = ctx.prefix
        consts = [
            ConstArray(f"{p}_w", "int8_t", w.data.reshape(-1)),
            ConstArray(f"{p}_mult", "int32_t", rq.multiplier),
            ConstArray(f"{p}_shift", "int32_t", rq.shift),
        ]
        if b is not None:
            consts.append(ConstArray(f"{p}_bias", "int32_t", b.data.reshape(-1)))
        fields = (
            ("rows", rows), ("in_features", in_features), ("out_features", out_features),
            ("input_offset", -rq.input_zp), ("output_zp", rq.output_zp),
            ("act_min", rq.act_min), ("act_max", rq.act_max), ("per_channel", 1),
            ("weights", f"{p}_w"), ("bias", f"{p}_bias" if b is not None else None),
            ("mult", f"{p}_mult"), ("shift", f"{p}_shift"),
        )
        struct = ConstStruct(f"{p}_params", "mcunet_fc_params_t", fields)
        args = [StructArg(struct.name), TensorArg(x.name, const=True), TensorArg(y.name)]
        return KernelCall(ctx.index, self.plan(ctx), args, consts, [struct], comment=f"FULLY_CONNECTED {ctx.shapes()}")
