"""Generic QUANTIZE (float32 -> int8, int8 -> int8) and DEQUANTIZE (int8 -> float32).

int8 -> int8 requantization is a map of one int8 value: its 256-entry table is computed
with the reference's own multiplier arithmetic and indexed by the LUT kernel (no code at
all when the table is the identity). The float edges run in float32 in C.
"""

from __future__ import annotations

import numpy as np

from ....ir import DType
from ....ir.ops import Dequantize, Quantize
from ....quant import multiply_by_quantized_multiplier, requantize_multiplier
from ....quant.nonlinear import INT8_VALUES
from ..base import ConstStruct, InPlace, Kernel, KernelCall, KernelPlan, LoweringContext, StructArg, TensorArg
from ..registry import register
from .activation import lower_lut, lut_plan
from .data_movement import lower_view_or_copy, plan_view_or_copy
from .nd import operand


def _per_tensor(t) -> bool:
    return t is not None and t.quant is not None and not t.quant.per_channel


def requantize_lut(in_scale, in_zp, out_scale, out_zp) -> np.ndarray:
    m, s = requantize_multiplier(in_scale, out_scale)
    return np.clip(multiply_by_quantized_multiplier(INT8_VALUES - int(in_zp), m, s) + int(out_zp), -128, 127).astype(np.int8)


def _affine_struct(ctx: LoweringContext, t, size: int) -> ConstStruct:
    # float(np.float32) prints as the shortest double equal to the float32 scale, so the
    # C float initializer is exactly the model's scale.
    fields = (("size", size), ("zero_point", t.quant.single_zero_point), ("scale", float(np.float32(t.quant.single_scale))))
    return ConstStruct(f"{ctx.prefix}_params", "mcunet_affine_params_t", fields)


@register
class GenericQuantize(Kernel):
    OP = Quantize
    F32_FUNCTION = "mcunet_quantize_f32_s8_generic"

    def supports(self, ctx: LoweringContext) -> bool:
        x, y = ctx.inputs[0], ctx.outputs[0]
        if y.dtype is not DType.INT8 or not _per_tensor(y) or x.shape != y.shape:
            return False
        if x.dtype is DType.FLOAT32:
            return True
        return x.dtype is DType.INT8 and _per_tensor(x)

    def _table(self, ctx) -> np.ndarray:
        x, y = ctx.inputs[0], ctx.outputs[0]
        return requantize_lut(x.quant.single_scale, x.quant.single_zero_point, y.quant.single_scale, y.quant.single_zero_point)

    def _identity(self, ctx) -> bool:
        return ctx.inputs[0].dtype is DType.INT8 and bool(np.array_equal(self._table(ctx), INT8_VALUES))

    def plan(self, ctx: LoweringContext) -> KernelPlan:
        if ctx.inputs[0].dtype is DType.FLOAT32:
            # out[i] (1 byte) is written after in[i] (4 bytes at 4i) is read, in order.
            return KernelPlan(self.F32_FUNCTION, (f"generic/{self.F32_FUNCTION}.c",), 0, InPlace(0, 0))
        if self._identity(ctx):
            return plan_view_or_copy(ctx)
        return lut_plan()

    def lower(self, ctx: LoweringContext) -> KernelCall:
        x, y = ctx.inputs[0], ctx.outputs[0]
        if x.dtype is DType.FLOAT32:
            consts = []
            src = operand(ctx.graph, x, f"{ctx.prefix}_x", consts, ctype="float")
            struct = _affine_struct(ctx, y, y.size)
            args = [StructArg(struct.name), src, TensorArg(y.name)]
            return KernelCall(ctx.index, self.plan(ctx), args, consts, [struct], comment=f"QUANTIZE float32 -> int8 {ctx.shapes()}")
        if self._identity(ctx):
            return lower_view_or_copy(ctx, "same quantization: a view")
        return lower_lut(ctx, self._table(ctx), "QUANTIZE int8 -> int8")


@register
class GenericDequantize(Kernel):
    OP = Dequantize
    FUNCTION = "mcunet_dequantize_s8_f32_generic"

    def supports(self, ctx: LoweringContext) -> bool:
        x, y = ctx.inputs[0], ctx.outputs[0]
        return x.dtype is DType.INT8 and _per_tensor(x) and y.dtype is DType.FLOAT32 and x.shape == y.shape

    def plan(self, ctx: LoweringContext) -> KernelPlan:
        # Written last element first: out[i] (bytes 4i..4i+3) covers only inputs >= i.
        return KernelPlan(self.FUNCTION, (f"generic/{self.FUNCTION}.c",), 0, InPlace(0, 0))

    def lower(self, ctx: LoweringContext) -> KernelCall:
        x, y = ctx.inputs[0], ctx.outputs[0]
        consts = []
        src = operand(ctx.graph, x, f"{ctx.prefix}_x", consts)
        struct = _affine_struct(ctx, x, x.size)
        args = [StructArg(struct.name), src, TensorArg(y.name, ctype="float")]
        return KernelCall(ctx.index, self.plan(ctx), args, consts, [struct], comment=f"DEQUANTIZE int8 -> float32 {ctx.shapes()}")
