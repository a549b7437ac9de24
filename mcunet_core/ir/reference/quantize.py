"""QUANTIZE (float32 -> int8 affine quantize, or int8 -> int8 requantize) and DEQUANTIZE."""

from __future__ import annotations

import numpy as np

from ...errors import UnsupportedError
from ...quant import multiply_by_quantized_multiplier, requantize_multiplier
from ..ops import Dequantize, Quantize
from ..tensor import DType
from .common import expect_shape, scale_zp
from .registry import kernel

_INT_RANGE = {DType.INT8: (-128, 127), DType.INT16: (-32768, 32767)}


def affine_quantize(x, scale: float, zero_point: int, lo: int, hi: int) -> np.ndarray:
    """reference_ops::AffineQuantize: TfLiteRound(val / float(scale)) + zp, clamped (float32 division)."""
    q = np.asarray(x, dtype=np.float32) / np.float32(scale)
    t = np.trunc(q)
    r = (t + np.where(np.abs(q - t) >= np.float32(0.5), np.sign(q), np.float32(0))).astype(np.float64)
    # static_cast<int32_t> of an out-of-range float gives INT32_MIN on x86 (cvttss2si).
    bad = ~np.isfinite(r) | (r >= 2.0**31) | (r < -(2.0**31))
    r = np.where(bad, -(2.0**31), r).astype(np.int64)
    return np.clip(r + zero_point, lo, hi)


@kernel(Quantize)
def quantize(op: Quantize, ins, outs, vals):
    x_t, out_t = ins[0], outs[0]
    expect_shape(op, out_t, vals[0].shape)
    if out_t.dtype not in _INT_RANGE:
        raise UnsupportedError(f"QUANTIZE to {out_t.dtype.value} is not supported")
    lo, hi = _INT_RANGE[out_t.dtype]
    s_out, z_out = scale_zp(out_t, "output", op)
    if x_t.dtype is DType.FLOAT32:
        y = affine_quantize(vals[0], s_out, z_out, lo, hi)
    elif x_t.dtype in _INT_RANGE:
        s_in, z_in = scale_zp(x_t, "input", op)
        m, s = requantize_multiplier(s_in, s_out)
        y = np.clip(multiply_by_quantized_multiplier(vals[0].astype(np.int64) - z_in, m, s) + z_out, lo, hi)
    else:
        raise UnsupportedError(f"QUANTIZE from {x_t.dtype.value} is not supported")
    return [y.astype(out_t.dtype.numpy)]


@kernel(Dequantize)
def dequantize(op: Dequantize, ins, outs, vals):
    expect_shape(op, outs[0], vals[0].shape)
    s, z = scale_zp(ins[0], "input", op)
    y = np.float64(np.float32(s)) * (vals[0].astype(np.float64) - z)
    return [y.astype(np.float32)]
