"""Generic SOFTMAX, LOGISTIC and HARD_SWISH (int8 -> int8).

LOGISTIC and HARD_SWISH are maps of one int8 value: the quantization module's own
256-entry tables (``logistic_lut``, ``hard_swish_lut``: the arithmetic the reference
interpreter runs) go to flash and the kernel indexes them. SOFTMAX tabulates gemmlowp's
exp of every possible ``x - max`` (256 values) at generation time; the sum, reciprocal
and rescale run in C.
"""

from __future__ import annotations

import numpy as np

from ....ir import DType
from ....ir.ops import HardSwish, Logistic, Softmax
from ....quant import (
    hard_swish_lut,
    hard_swish_params,
    logistic_lut,
    saturating_rounding_doubling_high_mul,
    softmax_params,
    wrap_int32,
)
from ....quant.gemmlowp import exp_on_negative_values
from ..base import (
    ConstArg, ConstArray, ConstStruct, InPlace, IntArg, Kernel, KernelCall, KernelPlan, LoweringContext, StructArg,
    TensorArg, Work,
)
from ..registry import register
from .nd import operand

LUT_FUNCTION = "mcunet_lut_s8_generic"


def _int8_per_tensor(*tensors) -> bool:
    return all(t is not None and t.dtype is DType.INT8 and t.quant is not None and not t.quant.per_channel
               for t in tensors)


def lut_plan() -> KernelPlan:
    return KernelPlan(LUT_FUNCTION, (f"generic/{LUT_FUNCTION}.c",), 0, InPlace(0, 0))


def lower_lut(ctx: LoweringContext, lut: np.ndarray, what: str) -> KernelCall:
    """out[i] = lut[in[i] + 128] (elementwise: may run in place)."""
    x, y = ctx.inputs[0], ctx.outputs[0]
    p = ctx.prefix
    lut = np.asarray(lut)
    assert lut.shape == (256,) and lut.min() >= -128 and lut.max() <= 127
    consts = [ConstArray(f"{p}_lut", "int8_t", lut.astype(np.int8))]
    src = operand(ctx.graph, x, f"{p}_x", consts)
    args = [ConstArg(f"{p}_lut"), src, TensorArg(y.name), IntArg(y.size)]
    return KernelCall(ctx.index, lut_plan(), args, consts, comment=f"{what} (256-entry table) {ctx.shapes()}")


class _Unary(Kernel):
    def supports(self, ctx: LoweringContext) -> bool:
        if len(ctx.inputs) != 1 or len(ctx.outputs) != 1:
            return False
        x, y = ctx.inputs[0], ctx.outputs[0]
        if not _int8_per_tensor(x, y) or x.shape != y.shape:
            return False
        try:
            self.table(ctx)
        except ValueError:  # parameters TFLite rejects as well
            return False
        return True

    def table(self, ctx: LoweringContext) -> np.ndarray:
        raise NotImplementedError

    def plan(self, ctx: LoweringContext) -> KernelPlan:
        return lut_plan()

    def lower(self, ctx: LoweringContext) -> KernelCall:
        return lower_lut(ctx, self.table(ctx), ctx.op.OPCODE)


@register
class GenericLogistic(_Unary):
    OP = Logistic

    def table(self, ctx):
        x, y = ctx.inputs[0], ctx.outputs[0]
        return logistic_lut(x.quant.single_scale, x.quant.single_zero_point, y.quant.single_scale, y.quant.single_zero_point)


@register
class GenericHardSwish(_Unary):
    OP = HardSwish

    def table(self, ctx):
        x, y = ctx.inputs[0], ctx.outputs[0]
        return hard_swish_lut(
            hard_swish_params(x.quant.single_scale, x.quant.single_zero_point, y.quant.single_scale, y.quant.single_zero_point)
        )


def softmax_exp_table(input_scale: float, beta: float) -> np.ndarray:
    """exp(-d) in Q0.31 for d = max - x = 0, 1, ...; only the d the reference keeps
    (x - max >= diff_min) are listed, so the table may be shorter than 256."""
    p = softmax_params(input_scale, beta)
    diff = -np.arange(256, dtype=np.int64)
    rescaled = saturating_rounding_doubling_high_mul(wrap_int32(diff * (1 << p.input_left_shift)), p.input_multiplier)
    exp_q0 = exp_on_negative_values(rescaled, 5)
    length = int(min(256, -p.diff_min + 1))
    return exp_q0[:length].astype(np.int32)


@register
class GenericSoftmax(Kernel):
    OP = Softmax
    FUNCTION = "mcunet_softmax_s8_generic"
    LATENCY_FAMILY = "softmax"

    def work(self, ctx: LoweringContext, plan: KernelPlan) -> Work:
        return Work(self.LATENCY_FAMILY, ("elements", "layer"), (ctx.outputs[0].size, 1))

    def supports(self, ctx: LoweringContext) -> bool:
        if len(ctx.inputs) != 1 or len(ctx.outputs) != 1:
            return False
        x, y = ctx.inputs[0], ctx.outputs[0]
        if not _int8_per_tensor(x, y) or x.shape != y.shape or not x.shape:
            return False
        try:
            softmax_params(x.quant.single_scale, ctx.op.beta)
        except ValueError:
            return False
        return True

    def plan(self, ctx: LoweringContext) -> KernelPlan:
        # Each row is read in full (max, sum) before it is written, element by element
        # after its own input: the output may take the input's bytes.
        return KernelPlan(self.FUNCTION, (f"generic/{self.FUNCTION}.c",), 0, InPlace(0, 0))

    def lower(self, ctx: LoweringContext) -> KernelCall:
        x, y = ctx.inputs[0], ctx.outputs[0]
        depth = x.shape[-1]
        table = softmax_exp_table(x.quant.single_scale, ctx.op.beta)
        p = ctx.prefix
        consts = [ConstArray(f"{p}_exp", "int32_t", table)]
        src = operand(ctx.graph, x, f"{p}_x", consts)
        fields = (("rows", x.size // depth), ("depth", depth), ("table_len", table.size), ("exp_table", f"{p}_exp"))
        struct = ConstStruct(f"{p}_params", "mcunet_softmax_params_t", fields)
        args = [StructArg(struct.name), src, TensorArg(y.name)]
        return KernelCall(ctx.index, self.plan(ctx), args, consts, [struct],
                          comment=f"SOFTMAX beta {ctx.op.beta!r} {ctx.shapes()}")
