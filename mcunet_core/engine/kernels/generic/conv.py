"""Generic CONV_2D and DEPTHWISE_CONV_2D: any shape TFLite accepts."""

from __future__ import annotations

from ....ir.ops import Conv2D, DepthwiseConv2D
from ..base import ConstArray, ConstStruct, Kernel, KernelCall, KernelPlan, LoweringContext, StructArg, TensorArg
from ..quantized import AccumulatorRequant
from ..registry import register


class _GenericWindowed(Kernel):
    FUNCTION = ""

    def plan(self, ctx: LoweringContext) -> KernelPlan:
        return KernelPlan(self.FUNCTION, (f"generic/{self.FUNCTION}.c",))

    def _weights(self, ctx: LoweringContext):
        raise NotImplementedError

    def lower(self, ctx: LoweringContext) -> KernelCall:
        op = ctx.op
        x, w, b = ctx.inputs
        (y,) = ctx.outputs
        out_c = y.shape[3]
        k_h, k_w = (w.shape[1], w.shape[2])
        rq = AccumulatorRequant.of(x, w, y, op.activation, out_c)
        p = ctx.prefix
        consts = [
            ConstArray(f"{p}_w", "int8_t", w.data.reshape(-1)),
            ConstArray(f"{p}_mult", "int32_t", rq.multiplier),
            ConstArray(f"{p}_shift", "int32_t", rq.shift),
        ]
        if b is not None:
            consts.append(ConstArray(f"{p}_bias", "int32_t", b.data.reshape(-1)))
        fields = (
            ("batches", x.shape[0]), ("in_h", x.shape[1]), ("in_w", x.shape[2]), ("in_c", x.shape[3]),
            ("out_h", y.shape[1]), ("out_w", y.shape[2]), ("out_c", out_c),
            ("k_h", k_h), ("k_w", k_w),
            ("stride_h", op.stride[0]), ("stride_w", op.stride[1]),
            ("dil_h", op.dilation[0]), ("dil_w", op.dilation[1]),
            ("pad_top", op.padding.top), ("pad_left", op.padding.left),
            ("depth_multiplier", getattr(op, "depth_multiplier", 1)), ("filter_c", w.shape[3]),
            ("input_offset", -rq.input_zp), ("output_zp", rq.output_zp),
            ("act_min", rq.act_min), ("act_max", rq.act_max),
            ("weights", f"{p}_w"), ("bias", f"{p}_bias" if b is not None else None),
            ("mult", f"{p}_mult"), ("shift", f"{p}_shift"),
        )
        struct = ConstStruct(f"{p}_params", "mcunet_conv_params_t", fields)
        args = [StructArg(struct.name), TensorArg(x.name, const=True), TensorArg(y.name)]
        return KernelCall(ctx.index, self.plan(ctx), args, consts, [struct], comment=f"{op.OPCODE} {ctx.shapes()}")


@register
class GenericConv2D(_GenericWindowed):
    OP = Conv2D
    FUNCTION = "mcunet_conv_s8_generic"


@register
class GenericDepthwiseConv2D(_GenericWindowed):
    OP = DepthwiseConv2D
    FUNCTION = "mcunet_dwconv_s8_generic"
