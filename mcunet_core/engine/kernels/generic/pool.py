"""Generic AVERAGE_POOL_2D and MAX_POOL_2D."""

from __future__ import annotations

from ....ir.ops import AveragePool2D, MaxPool2D
from ....quant import activation_range
from ..base import ConstStruct, Kernel, KernelCall, KernelPlan, LoweringContext, StructArg, TensorArg, Work
from ..registry import register


class _GenericPool(Kernel):
    FUNCTION = ""

    def plan(self, ctx: LoweringContext) -> KernelPlan:
        return KernelPlan(self.FUNCTION, (f"generic/{self.FUNCTION}.c",))

    def lower(self, ctx: LoweringContext) -> KernelCall:
        op = ctx.op
        (x,) = ctx.inputs[:1]
        (y,) = ctx.outputs
        lo, hi = activation_range(op.activation, y.quant.single_scale, y.quant.single_zero_point)
        fields = (
            ("batches", x.shape[0]), ("in_h", x.shape[1]), ("in_w", x.shape[2]), ("channels", x.shape[3]),
            ("out_h", y.shape[1]), ("out_w", y.shape[2]),
            ("filter_h", op.filter[0]), ("filter_w", op.filter[1]),
            ("stride_h", op.stride[0]), ("stride_w", op.stride[1]),
            ("pad_top", op.padding.top), ("pad_left", op.padding.left),
            ("act_min", lo), ("act_max", hi),
        )
        struct = ConstStruct(f"{ctx.prefix}_params", "mcunet_pool_params_t", fields)
        args = [StructArg(struct.name), TensorArg(x.name, const=True), TensorArg(y.name)]
        return KernelCall(ctx.index, self.plan(ctx), args, [], [struct], comment=f"{op.OPCODE} {ctx.shapes()}")


@register
class GenericAveragePool2D(_GenericPool):
    OP = AveragePool2D
    FUNCTION = "mcunet_avgpool_s8_generic"
    LATENCY_FAMILY = "average_pool"

    def work(self, ctx: LoweringContext, plan: KernelPlan) -> Work:
        return Work(self.LATENCY_FAMILY, ("inputs", "outputs", "layer"), (ctx.inputs[0].size, ctx.outputs[0].size, 1))


@register
class GenericMaxPool2D(_GenericPool):
    OP = MaxPool2D
    FUNCTION = "mcunet_maxpool_s8_generic"
