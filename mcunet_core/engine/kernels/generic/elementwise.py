"""Generic ADD and MUL: NumPy broadcasting up to 6-D, TFLite's int8 reference arithmetic."""

from __future__ import annotations

import numpy as np

from ....ir import DType
from ....ir.ops import Add, Mul
from ....quant import activation_range, add_params, mul_output_multiplier
from ..base import ConstStruct, InPlace, Kernel, KernelCall, KernelPlan, LoweringContext, StructArg, TensorArg
from ..registry import register
from .nd import MAX_DIMS, broadcast_fields, broadcast_layout, operand


def _per_tensor_int8(*tensors) -> bool:
    return all(t is not None and t.dtype is DType.INT8 and t.quant is not None and not t.quant.per_channel
               for t in tensors)


class _Binary(Kernel):
    FUNCTION = ""
    STRUCT = ""

    def supports(self, ctx: LoweringContext) -> bool:
        if len(ctx.inputs) != 2 or len(ctx.outputs) != 1:
            return False
        a, b = ctx.inputs
        (y,) = ctx.outputs
        if not _per_tensor_int8(a, b, y):
            return False
        try:
            if tuple(np.broadcast_shapes(a.shape, b.shape)) != tuple(y.shape):
                return False
            self._quant(ctx)
        except ValueError:  # shapes that do not broadcast; multipliers TFLite rejects too
            return False
        return len(broadcast_layout(a.shape, b.shape, y.shape)[0]) <= MAX_DIMS

    def plan(self, ctx: LoweringContext) -> KernelPlan:
        # Elements are produced in order, each after its operands are read: the output may
        # take the bytes of a same-sized activation input that dies here.
        (y,) = ctx.outputs
        rule = None
        for i, t in enumerate(ctx.inputs):
            if not t.is_constant and t.size == y.size:
                rule = InPlace(i, 0)
                break
        return KernelPlan(self.FUNCTION, (f"generic/{self.FUNCTION}.c",), 0, rule)

    def _quant(self, ctx: LoweringContext) -> tuple[tuple[str, int], ...]:
        raise NotImplementedError

    def lower(self, ctx: LoweringContext) -> KernelCall:
        a, b = ctx.inputs
        (y,) = ctx.outputs
        p = ctx.prefix
        consts, shape_fields = broadcast_fields(p, a.shape, b.shape, y.shape)
        args_in = [operand(ctx.graph, a, f"{p}_a", consts), operand(ctx.graph, b, f"{p}_b", consts)]
        lo, hi = activation_range(ctx.op.activation, y.quant.single_scale, y.quant.single_zero_point)
        fields = (
            *shape_fields,
            *self._quant(ctx),
            ("act_min", lo), ("act_max", hi),
        )
        struct = ConstStruct(f"{p}_params", self.STRUCT, fields)
        args = [StructArg(struct.name), *args_in, TensorArg(y.name)]
        return KernelCall(ctx.index, self.plan(ctx), args, consts, [struct], comment=f"{ctx.op.OPCODE} {ctx.shapes()}")


@register
class GenericAdd(_Binary):
    OP = Add
    FUNCTION = "mcunet_add_s8_generic"
    STRUCT = "mcunet_add_params_t"

    def _quant(self, ctx):
        a, b = ctx.inputs
        (y,) = ctx.outputs
        q = add_params(a.quant.single_scale, a.quant.single_zero_point, b.quant.single_scale,
                       b.quant.single_zero_point, y.quant.single_scale, y.quant.single_zero_point)
        return (
            ("a_offset", q.input1_offset), ("b_offset", q.input2_offset), ("left_shift", q.left_shift),
            ("a_mult", q.input1_multiplier), ("a_shift", q.input1_shift),
            ("b_mult", q.input2_multiplier), ("b_shift", q.input2_shift),
            ("out_mult", q.output_multiplier), ("out_shift", q.output_shift),
            ("output_zp", q.output_offset),
        )


@register
class GenericMul(_Binary):
    OP = Mul
    FUNCTION = "mcunet_mul_s8_generic"
    STRUCT = "mcunet_mul_params_t"

    def _quant(self, ctx):
        a, b = ctx.inputs
        (y,) = ctx.outputs
        m, s = mul_output_multiplier(a.quant.single_scale, b.quant.single_scale, y.quant.single_scale)
        return (
            ("a_offset", -a.quant.single_zero_point), ("b_offset", -b.quant.single_zero_point),
            ("mult", m), ("shift", s), ("output_zp", y.quant.single_zero_point),
        )
