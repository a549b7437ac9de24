"""TFLite's integer fixed-point primitives, vectorized over int64 NumPy arrays.

These mirror ``tensorflow/lite/kernels/internal/common.h`` (the double-rounding
variant TFLite and TFLite Micro use by default) bit for bit; every int8 kernel of
the reference interpreter, the code generator's folded constants and the tests
build on them, so there is exactly one definition of "correct".
"""

from __future__ import annotations

import numpy as np

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1


def _i64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64)


def wrap_int32(x) -> np.ndarray:
    """Two's-complement wrap to int32 range (what C's int32 arithmetic produces)."""
    x = _i64(x)
    return ((x + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def saturating_rounding_doubling_high_mul(a, b) -> np.ndarray:
    """gemmlowp's SaturatingRoundingDoublingHighMul for int32 operands."""
    a, b = np.broadcast_arrays(_i64(a), _i64(b))
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    num = ab + nudge
    # C integer division truncates toward zero.
    q = np.where(num >= 0, num // (1 << 31), -((-num) // (1 << 31)))
    overflow = (a == b) & (a == INT32_MIN)
    return np.where(overflow, INT32_MAX, q).astype(np.int64)


def rounding_divide_by_pot(x, exponent) -> np.ndarray:
    """gemmlowp's RoundingDivideByPOT: divide by 2**exponent, round half away from zero."""
    x, exponent = np.broadcast_arrays(_i64(x), _i64(exponent))
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def multiply_by_quantized_multiplier(x, multiplier, shift) -> np.ndarray:
    """TFLite's MultiplyByQuantizedMultiplier (int32 accumulator -> scaled int32)."""
    x, multiplier, shift = np.broadcast_arrays(_i64(x), _i64(multiplier), _i64(shift))
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    shifted = wrap_int32(x * (np.int64(1) << left))
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, multiplier), right)


def multiply_by_quantized_multiplier_smaller_than_one_exp(x, multiplier, left_shift) -> np.ndarray:
    """TFLite's MultiplyByQuantizedMultiplierSmallerThanOneExp (left_shift <= 0)."""
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x, multiplier), -_i64(left_shift))


def multiply_by_quantized_multiplier_greater_than_one(x, multiplier, left_shift) -> np.ndarray:
    """TFLite's MultiplyByQuantizedMultiplierGreaterThanOne (left_shift >= 0)."""
    return saturating_rounding_doubling_high_mul(wrap_int32(_i64(x) * (np.int64(1) << _i64(left_shift))), multiplier)


def wrap_int16(x) -> np.ndarray:
    """Two's-complement wrap to int16 range (a C assignment to int16_t)."""
    x = _i64(x)
    return ((x + (1 << 15)) & 0xFFFF) - (1 << 15)


def saturating_rounding_doubling_high_mul_int16(a, b) -> np.ndarray:
    """gemmlowp's SaturatingRoundingDoublingHighMul for int16 operands."""
    a, b = np.broadcast_arrays(_i64(a), _i64(b))
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 14, 1 - (1 << 14))
    num = ab + nudge
    q = np.where(num >= 0, num // (1 << 15), -((-num) // (1 << 15)))
    overflow = (a == b) & (a == -(1 << 15))
    return np.where(overflow, (1 << 15) - 1, wrap_int16(q)).astype(np.int64)


def saturating_doubling_high_mul_int16(a, b) -> np.ndarray:
    """TFLite's SaturatingDoublingHighMul (int16, truncating like ARM SQDMULH)."""
    a, b = np.broadcast_arrays(_i64(a), _i64(b))
    ab = a * b
    q = np.where(ab >= 0, ab // (1 << 15), -((-ab) // (1 << 15)))
    overflow = (a == b) & (a == -(1 << 15))
    return np.where(overflow, (1 << 15) - 1, wrap_int16(q)).astype(np.int64)


def rounding_divide_by_pot_int16(x, exponent: int) -> np.ndarray:
    """gemmlowp's RoundingDivideByPOT instantiated for int16_t (mask truncated to 16 bits)."""
    x = _i64(x)
    mask = int(wrap_int16((1 << exponent) - 1))
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return wrap_int16((x >> exponent) + (remainder > threshold))


def saturating_left_shift_int16(x, amount: int) -> np.ndarray:
    """TFLite's SaturatingLeftShift on int16 values."""
    return np.clip(_i64(x) * (1 << amount), -(1 << 15), (1 << 15) - 1)
