"""ADD and MUL (int8 general rescaling paths), with NumPy (TFLite 6-D) broadcasting."""

from __future__ import annotations

import numpy as np

from ...errors import UnsupportedError
from ...quant import (
    add_params,
    multiply_by_quantized_multiplier,
    multiply_by_quantized_multiplier_smaller_than_one_exp,
    mul_output_multiplier,
    wrap_int32,
)
from ..ops import Add, Mul
from .common import clamp_range, expect_shape, scale_zp
from .registry import kernel


def _broadcast(op, a, b, out_t):
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise UnsupportedError(f"{op.OPCODE}: shapes {a.shape} and {b.shape} do not broadcast") from None
    expect_shape(op, out_t, shape)
    return np.broadcast_arrays(a.astype(np.int64), b.astype(np.int64))


@kernel(Add)
def add(op: Add, ins, outs, vals):
    a, b = _broadcast(op, vals[0], vals[1], outs[0])
    s1, z1 = scale_zp(ins[0], "input 1", op)
    s2, z2 = scale_zp(ins[1], "input 2", op)
    so, zo = scale_zp(outs[0], "output", op)
    p = add_params(s1, z1, s2, z2, so, zo)
    x1 = multiply_by_quantized_multiplier_smaller_than_one_exp(
        (a + p.input1_offset) * (1 << p.left_shift), p.input1_multiplier, p.input1_shift
    )
    x2 = multiply_by_quantized_multiplier_smaller_than_one_exp(
        (b + p.input2_offset) * (1 << p.left_shift), p.input2_multiplier, p.input2_shift
    )
    raw = multiply_by_quantized_multiplier_smaller_than_one_exp(
        wrap_int32(x1 + x2), p.output_multiplier, p.output_shift
    ) + p.output_offset
    lo, hi = clamp_range(op, outs[0])
    return [np.clip(raw, lo, hi).astype(np.int8)]


@kernel(Mul)
def mul(op: Mul, ins, outs, vals):
    a, b = _broadcast(op, vals[0], vals[1], outs[0])
    s1, z1 = scale_zp(ins[0], "input 1", op)
    s2, z2 = scale_zp(ins[1], "input 2", op)
    so, zo = scale_zp(outs[0], "output", op)
    m, s = mul_output_multiplier(s1, s2, so)
    raw = multiply_by_quantized_multiplier(wrap_int32((a - z1) * (b - z2)), m, s) + zo
    lo, hi = clamp_range(op, outs[0])
    return [np.clip(raw, lo, hi).astype(np.int8)]
