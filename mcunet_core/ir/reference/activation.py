"""SOFTMAX, LOGISTIC, HARD_SWISH (int8 reference paths; the math lives in mcunet_core.quant)."""

from __future__ import annotations

from ...quant import apply_lut, hard_swish_int8, hard_swish_params, logistic_lut, softmax_int8, softmax_params
from ..ops import HardSwish, Logistic, Softmax
from .common import expect_shape, scale_zp
from .registry import kernel


@kernel(Softmax)
def softmax(op: Softmax, ins, outs, vals):
    expect_shape(op, outs[0], vals[0].shape)
    s_in, _ = scale_zp(ins[0], "input", op)
    return [softmax_int8(vals[0], softmax_params(s_in, op.beta))]


@kernel(Logistic)
def logistic(op: Logistic, ins, outs, vals):
    expect_shape(op, outs[0], vals[0].shape)
    s_in, z_in = scale_zp(ins[0], "input", op)
    s_out, z_out = scale_zp(outs[0], "output", op)
    return [apply_lut(vals[0], logistic_lut(s_in, z_in, s_out, z_out))]


@kernel(HardSwish)
def hard_swish(op: HardSwish, ins, outs, vals):
    expect_shape(op, outs[0], vals[0].shape)
    s_in, z_in = scale_zp(ins[0], "input", op)
    s_out, z_out = scale_zp(outs[0], "output", op)
    return [hard_swish_int8(vals[0], hard_swish_params(s_in, z_in, s_out, z_out))]
