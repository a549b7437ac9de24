"""Int8 SOFTMAX, LOGISTIC and HARD_SWISH exactly as TFLite's reference kernels.

LOGISTIC and HARD_SWISH are elementwise int8 -> int8 maps, so each is also
available as a 256-entry table (index ``q + 128``) that a code generator can
emit verbatim; the table is computed by the very same arithmetic.
"""

from __future__ import annotations

import numpy as np

from .fixed_point import (
    rounding_divide_by_pot,
    rounding_divide_by_pot_int16,
    saturating_doubling_high_mul_int16,
    saturating_left_shift_int16,
    saturating_rounding_doubling_high_mul,
    saturating_rounding_doubling_high_mul_int16,
    wrap_int16,
    wrap_int32,
)
from .gemmlowp import exp_on_negative_values, get_reciprocal, rescale
from .params import HardSwishParams, SoftmaxParams

INT8_VALUES = np.arange(-128, 128, dtype=np.int64)


def _round_half_away_f32(x: np.ndarray) -> np.ndarray:
    """TfLiteRound on float32 values (std::round: halves away from zero)."""
    x = np.asarray(x, dtype=np.float32)
    t = np.trunc(x)
    return (t + np.where(np.abs(x - t) >= np.float32(0.5), np.sign(x), np.float32(0))).astype(np.float32)


def softmax_int8(x, params: SoftmaxParams) -> np.ndarray:
    """reference_ops::Softmax<int8, int8> over the last axis (output zp -128, scale 1/256)."""
    x = np.asarray(x, dtype=np.int64)
    row_max = x.max(axis=-1, keepdims=True)
    diff = x - row_max
    valid = diff >= params.diff_min
    # MultiplyByQuantizedMultiplierGreaterThanOne(diff, multiplier, left_shift)
    rescaled = saturating_rounding_doubling_high_mul(
        wrap_int32(diff * (1 << params.input_left_shift)), params.input_multiplier
    )
    exp_q0 = exp_on_negative_values(rescaled, 5)
    terms = np.where(valid, rescale(exp_q0, 0, 12), 0)
    sum_of_exps = wrap_int32(terms.sum(axis=-1, keepdims=True))
    shifted_scale, num_bits_over_unit = get_reciprocal(sum_of_exps, 12)
    exponent = num_bits_over_unit + 31 - 8
    unsat = rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted_scale, exp_q0), exponent)
    out = np.clip(unsat - 128, -128, 127)
    return np.where(valid, out, -128).astype(np.int8)


def logistic_lut(input_scale, input_zp, output_scale, output_zp) -> np.ndarray:
    """LUTPopulate<int8_t> with 1 / (1 + exp(-x)) in float32 (activations.cc, kReference)."""
    f32 = np.float32
    dequantized = f32(input_scale) * (INT8_VALUES - int(input_zp)).astype(f32)
    # expf: the correctly rounded float32 of exp in double precision.
    with np.errstate(over="ignore"):  # expf overflows to +inf, giving 0 as TFLite does
        e = np.exp(-dequantized.astype(np.float64)).astype(f32)
    transformed = f32(1.0) / (f32(1.0) + e)
    inverse_scale = f32(1.0) / f32(output_scale)
    rescaled = _round_half_away_f32(transformed * inverse_scale)
    quantized = (rescaled + f32(output_zp)).astype(np.float64)
    quantized = np.where(np.isfinite(quantized), quantized, -(2.0**31))
    return np.clip(quantized, -128, 127).astype(np.int8)


def apply_lut(x, lut: np.ndarray) -> np.ndarray:
    """Elementwise int8 table lookup; ``lut[q + 128]``."""
    return lut[np.asarray(x, dtype=np.int64) + 128]


def hard_swish_int8(x, p: HardSwishParams) -> np.ndarray:
    """reference_ops::HardSwish<int8_t> (int16 fixed point)."""
    x = np.asarray(x, dtype=np.int64)
    input_value = wrap_int16(x - p.input_zero_point)
    hires = wrap_int16(input_value * 128)
    preshift_output = saturating_rounding_doubling_high_mul_int16(hires, p.output_multiplier_fixedpoint_int16)
    reluish = hires
    if p.reluish_multiplier_exponent > 0:
        reluish = saturating_left_shift_int16(reluish, p.reluish_multiplier_exponent - 1)
    reluish = saturating_rounding_doubling_high_mul_int16(reluish, p.reluish_multiplier_fixedpoint_int16)
    if p.reluish_multiplier_exponent > 0:
        reluish = saturating_left_shift_int16(reluish, 1)
    if p.reluish_multiplier_exponent < 0:
        reluish = rounding_divide_by_pot_int16(reluish, -p.reluish_multiplier_exponent)
    reluish = wrap_int16((reluish + (1 << 15)) >> 1)
    preshift_out_value = saturating_doubling_high_mul_int16(reluish, preshift_output)
    out = rounding_divide_by_pot_int16(preshift_out_value, -p.output_multiplier_exponent)
    out = wrap_int16(out + p.output_zero_point)
    return np.clip(out, -128, 127).astype(np.int8)


def hard_swish_lut(p: HardSwishParams) -> np.ndarray:
    """HARD_SWISH as a 256-entry table (index q + 128)."""
    return hard_swish_int8(INT8_VALUES, p)
