"""Generic MEAN over any axes (keep_dims either way): TFLite's reference multiplier path."""

from __future__ import annotations

import numpy as np

from ....ir import DType
from ....ir.ops import Mean
from ....ir.reference.reduce import resolve_axes
from ....quant import mean_multiplier, wrap_int32
from ..base import ConstStruct, Kernel, KernelCall, KernelPlan, LoweringContext, StructArg, TensorArg
from ..registry import register
from .nd import MAX_DIMS, int32_array, operand, reduce_layout


@register
class GenericMean(Kernel):
    OP = Mean
    FUNCTION = "mcunet_mean_s8_generic"

    def supports(self, ctx: LoweringContext) -> bool:
        (x,) = ctx.inputs[:1]
        (y,) = ctx.outputs
        for t in (x, y):
            if t.dtype is not DType.INT8 or t.quant is None or t.quant.per_channel:
                return False
        try:
            axes = resolve_axes(ctx.op.axes, len(x.shape))
            self._multiplier(ctx, axes)
        except Exception:  # out-of-range axes (UnsupportedError) or multipliers TFLite rejects
            return False
        od, _, idim, _ = reduce_layout(x.shape, axes)
        return len(od) <= MAX_DIMS and len(idim) <= MAX_DIMS

    def plan(self, ctx: LoweringContext) -> KernelPlan:
        return KernelPlan(self.FUNCTION, (f"generic/{self.FUNCTION}.c",))

    @staticmethod
    def _count(x, axes) -> int:
        return int(np.prod([x.shape[a] for a in axes], dtype=np.int64)) if axes else 1

    def _multiplier(self, ctx, axes):
        x, y = ctx.inputs[0], ctx.outputs[0]
        return mean_multiplier(x.quant.single_scale, y.quant.single_scale, self._count(x, axes))

    def lower(self, ctx: LoweringContext) -> KernelCall:
        x, y = ctx.inputs[0], ctx.outputs[0]
        axes = resolve_axes(ctx.op.axes, len(x.shape))
        n = self._count(x, axes)
        mult, shift = self._multiplier(ctx, axes)
        od, os_, idim, is_ = reduce_layout(x.shape, axes)
        p = ctx.prefix
        consts = [
            int32_array(f"{p}_outer_dims", od), int32_array(f"{p}_outer_stride", os_),
            int32_array(f"{p}_inner_dims", idim), int32_array(f"{p}_inner_stride", is_),
        ]
        src = operand(ctx.graph, x, f"{p}_x", consts)
        fields = (
            ("outer_rank", len(od)), ("outer_dims", f"{p}_outer_dims"), ("outer_stride", f"{p}_outer_stride"),
            ("inner_rank", len(idim)), ("inner_dims", f"{p}_inner_dims"), ("inner_stride", f"{p}_inner_stride"),
            ("sum_offset", int(wrap_int32(-x.quant.single_zero_point * n))),
            ("mult", mult), ("shift", shift), ("output_zp", y.quant.single_zero_point),
        )
        struct = ConstStruct(f"{p}_params", "mcunet_mean_params_t", fields)
        args = [StructArg(struct.name), src, TensorArg(y.name)]
        return KernelCall(ctx.index, self.plan(ctx), args, consts, [struct], comment=f"MEAN axes {list(axes)} {ctx.shapes()}")
