"""ADD and MUL with the one-SMMLAR exact requantization (engine/requant.py).

ADD: each input's TFLite rescale ``MBQM_smaller_than_one((v - zp) << 20)`` depends on one
int8 value, so it is tabulated (256 int32 per input, doubled for the fast form, computed
with the quantization module's own functions); the kernel adds two table entries and
requantizes the sum once. MUL feeds ``2 * (a - za) * (b - zb)``. Either falls back to the
generic kernel when the output shift is outside the fast form's range (1..24).
"""

from __future__ import annotations

import numpy as np

from ....quant import activation_range, add_params, mul_output_multiplier
from ....quant.fixed_point import multiply_by_quantized_multiplier_smaller_than_one_exp
from ....quant.nonlinear import INT8_VALUES
from ...requant import MAX_ABS_ACC, fast_requant_constants
from ..base import ConstArray, ConstStruct, KernelCall, KernelPlan, LoweringContext, StructArg, TensorArg, Work
from ..registry import register
from .elementwise import GenericAdd, GenericMul
from .nd import broadcast_fields, operand


def add_input_table(offset: int, multiplier: int, shift: int, left_shift: int) -> np.ndarray:
    """2 * TFLite's rescaled ADD input for every int8 value (index v + 128)."""
    x = multiply_by_quantized_multiplier_smaller_than_one_exp((INT8_VALUES + offset) * (1 << left_shift), multiplier, shift)
    return 2 * x


class _BinaryFast:
    FUNCTION = ""

    def _fast(self, ctx: LoweringContext):
        """(multiplier, shift, ADD params or None, offsets), or None when the fast form is not exact."""
        raise NotImplementedError

    def supports(self, ctx: LoweringContext) -> bool:
        return super().supports(ctx) and self._fast(ctx) is not None

    def lower(self, ctx: LoweringContext) -> KernelCall:
        a, b = ctx.inputs
        (y,) = ctx.outputs
        p = ctx.prefix
        mult, shift, add_q, offsets = self._fast(ctx)
        tables = None
        if add_q is not None:
            q = add_q
            tables = (add_input_table(q.input1_offset, q.input1_multiplier, q.input1_shift, q.left_shift),
                      add_input_table(q.input2_offset, q.input2_multiplier, q.input2_shift, q.left_shift))
            # |(v - zp) << 20| < 2^28 and the multipliers are below one: the sum of the
            # undoubled values (the fast form's accumulator) stays far below 2^30.
            assert int(np.abs(tables[0]).max() + np.abs(tables[1]).max()) // 2 < MAX_ABS_ACC
        rq = fast_requant_constants(mult, shift, y.quant.single_zero_point)
        consts, shape_fields = broadcast_fields(p, a.shape, b.shape, y.shape)
        if tables is not None:
            consts += [ConstArray(f"{p}_a_table", "int32_t", tables[0].astype(np.int32)),
                       ConstArray(f"{p}_b_table", "int32_t", tables[1].astype(np.int32))]
        args_in = [operand(ctx.graph, a, f"{p}_a", consts), operand(ctx.graph, b, f"{p}_b", consts)]
        lo, hi = activation_range(ctx.op.activation, y.quant.single_scale, y.quant.single_zero_point)
        fields = (
            *shape_fields,
            ("a_table", f"{p}_a_table" if tables is not None else None),
            ("b_table", f"{p}_b_table" if tables is not None else None),
            ("a_offset", offsets[0]), ("b_offset", offsets[1]),
            ("mult", int(rq.multiplier[0])), ("round", int(rq.rounding[0])), ("shift", int(rq.shift[0])),
            ("act_min", lo), ("act_max", hi),
        )
        struct = ConstStruct(f"{p}_params", "mcunet_binary_fast_params_t", fields)
        args = [StructArg(struct.name), *args_in, TensorArg(y.name)]
        return KernelCall(ctx.index, self.plan(ctx), args, consts, [struct], comment=f"{ctx.op.OPCODE} {ctx.shapes()}")


@register
class FastAdd(_BinaryFast, GenericAdd):
    FUNCTION = "mcunet_add_s8_fast"
    PRIORITY = 1
    LATENCY_FAMILY = "add_fast"

    def work(self, ctx: LoweringContext, plan: KernelPlan) -> Work:
        return Work(self.LATENCY_FAMILY, ("elements", "layer"), (ctx.outputs[0].size, 1))

    def _fast(self, ctx):
        a, b = ctx.inputs
        (y,) = ctx.outputs
        q = add_params(a.quant.single_scale, a.quant.single_zero_point, b.quant.single_scale,
                       b.quant.single_zero_point, y.quant.single_scale, y.quant.single_zero_point)
        if fast_requant_constants(q.output_multiplier, q.output_shift, q.output_offset) is None:
            return None
        return q.output_multiplier, q.output_shift, q, (0, 0)


@register
class FastMul(_BinaryFast, GenericMul):
    FUNCTION = "mcunet_mul_s8_fast"
    PRIORITY = 1

    def _fast(self, ctx):
        a, b = ctx.inputs
        (y,) = ctx.outputs
        m, s = mul_output_multiplier(a.quant.single_scale, b.quant.single_scale, y.quant.single_scale)
        if fast_requant_constants(m, s, y.quant.single_zero_point) is None:
            return None
        return m, s, None, (-a.quant.single_zero_point, -b.quant.single_zero_point)
