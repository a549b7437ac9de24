"""MEAN (reference QuantizedMeanOrSum: sum, zero-point correction, 1/n folded into the multiplier)."""

from __future__ import annotations

import numpy as np

from ...errors import UnsupportedError
from ...quant import mean_multiplier, multiply_by_quantized_multiplier, wrap_int32
from ..ops import Mean
from .common import expect_shape, scale_zp
from .registry import kernel


def resolve_axes(axes, rank: int) -> tuple[int, ...]:
    out: list[int] = []
    for a in axes:
        r = a + rank if a < 0 else a
        if not 0 <= r < rank:
            raise UnsupportedError(f"MEAN: axis {a} out of range for rank {rank}")
        if r not in out:
            out.append(r)
    return tuple(out)


@kernel(Mean)
def mean(op: Mean, ins, outs, vals):
    x = vals[0].astype(np.int64)
    axes = resolve_axes(op.axes, x.ndim)
    s_in, z_in = scale_zp(ins[0], "input", op)
    s_out, z_out = scale_zp(outs[0], "output", op)
    total = x.sum(axis=axes, keepdims=op.keep_dims) if axes else x.copy()
    expect_shape(op, outs[0], total.shape)
    n = int(np.prod([x.shape[a] for a in axes], dtype=np.int64)) if axes else 1
    mult, shift = mean_multiplier(s_in, s_out, n)
    shifted = wrap_int32(total - z_in * n)
    out = multiply_by_quantized_multiplier(shifted, mult, shift) + z_out
    return [np.clip(out, -128, 127).astype(np.int8)]
