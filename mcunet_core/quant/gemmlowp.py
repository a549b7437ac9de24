"""gemmlowp's fixed-point transcendental helpers, vectorized over int64 arrays.

Raw values are int32 fixed-point numbers with a given number of integer bits
(gemmlowp ``FixedPoint<int32_t, IntegerBits>``); every helper returns raw
int32 values held in int64 arrays. Used by TFLite's reference SOFTMAX.
"""

from __future__ import annotations

import numpy as np

from .fixed_point import (
    INT32_MAX,
    INT32_MIN,
    rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul as _srdhm,
    wrap_int32,
)


def _i64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64)


def saturating_rounding_multiply_by_pot(x, exponent: int) -> np.ndarray:
    """SaturatingRoundingMultiplyByPOT<exponent> on int32 raw values."""
    x = _i64(x)
    if exponent == 0:
        return x
    if exponent < 0:
        return rounding_divide_by_pot(x, -exponent)
    threshold = (1 << (31 - exponent)) - 1
    result = wrap_int32(x * (1 << exponent))
    result = np.where(x > threshold, INT32_MAX, result)
    return np.where(x < -threshold, INT32_MIN, result)


def rescale(x, src_integer_bits: int, dst_integer_bits: int) -> np.ndarray:
    """gemmlowp::Rescale<dst>(FixedPoint<int32, src>)."""
    return saturating_rounding_multiply_by_pot(x, src_integer_bits - dst_integer_bits)


def rounding_half_sum(a, b) -> np.ndarray:
    """RoundingHalfSum for int32: (a + b + sign) / 2, C division."""
    s = _i64(a) + _i64(b)
    num = s + np.where(s >= 0, 1, -1)
    return np.where(num >= 0, num // 2, -((-num) // 2))


def exp_on_interval_between_negative_one_quarter_and_0_excl(a) -> np.ndarray:
    """exp(a) for a in [-1/4, 0); input and output Q0.31."""
    constant_term = 1895147668  # exp(-1/8)
    constant_1_over_3 = 715827883
    x = wrap_int32(_i64(a) + (1 << 28))
    x2 = _srdhm(x, x)
    x3 = _srdhm(x2, x)
    x4 = _srdhm(x2, x2)
    x4_over_4 = saturating_rounding_multiply_by_pot(x4, -2)
    inner = wrap_int32(_srdhm(wrap_int32(x4_over_4 + x3), constant_1_over_3) + x2)
    poly = saturating_rounding_multiply_by_pot(inner, -1)
    return wrap_int32(constant_term + _srdhm(constant_term, wrap_int32(x + poly)))


_EXP_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308), (2, 39332535), (3, 720401), (4, 242))


def exp_on_negative_values(a, integer_bits: int) -> np.ndarray:
    """gemmlowp::exp_on_negative_values: exp(a) for a <= 0 (input Q<integer_bits>, output Q0.31)."""
    a = _i64(a)
    fractional_bits = 31 - integer_bits
    one_quarter = 1 << (fractional_bits - 2)
    mask = one_quarter - 1
    a_mod_quarter_minus_one_quarter = wrap_int32((a & mask) - one_quarter)
    result = exp_on_interval_between_negative_one_quarter_and_0_excl(
        rescale(a_mod_quarter_minus_one_quarter, integer_bits, 0)
    )
    remainder = wrap_int32(a_mod_quarter_minus_one_quarter - a)
    for exponent, multiplier in _EXP_BARREL:
        if integer_bits > exponent:
            bit = 1 << (fractional_bits + exponent)
            result = np.where((remainder & bit) != 0, _srdhm(result, multiplier), result)
    if integer_bits > 5:
        clamp = -(1 << (36 - integer_bits))
        result = np.where(a < clamp, 0, result)
    return np.where(a == 0, INT32_MAX, result)


def one_over_one_plus_x_for_x_in_0_1(a) -> np.ndarray:
    """1 / (1 + a) for a in [0, 1); input Q0.31, output Q0.31 (Newton-Raphson)."""
    half_denominator = rounding_half_sum(a, INT32_MAX)
    constant_48_over_17 = 1515870810  # Q2.29
    constant_neg_32_over_17 = -1010580540  # Q2.29
    x = wrap_int32(constant_48_over_17 + _srdhm(half_denominator, constant_neg_32_over_17))
    one_f2 = 1 << 29
    for _ in range(3):
        half_denominator_times_x = _srdhm(half_denominator, x)
        one_minus = wrap_int32(one_f2 - half_denominator_times_x)
        x = wrap_int32(x + rescale(_srdhm(x, one_minus), 4, 2))
    return rescale(x, 1, 0)


def count_leading_zeros_u32(x) -> np.ndarray:
    """CountLeadingZeros of the value reinterpreted as uint32 (32 for zero)."""
    u = _i64(x) & 0xFFFFFFFF
    out = np.full(u.shape, 32, dtype=np.int64)
    nz = u != 0
    # floor(log2) via frexp is exact for integers below 2**53.
    _, exp = np.frexp(u[nz].astype(np.float64))
    out[nz] = 32 - exp.astype(np.int64)
    return out


def get_reciprocal(x, x_integer_digits: int) -> tuple[np.ndarray, np.ndarray]:
    """TFLite's GetReciprocal: (Q0.31 raw of 1/x scaled into [0.5, 1), num_bits_over_unit)."""
    x = _i64(x)
    headroom_plus_one = count_leading_zeros_u32(x)
    num_bits_over_unit = x_integer_digits - headroom_plus_one
    shifted = ((x & 0xFFFFFFFF) << headroom_plus_one) & 0xFFFFFFFF
    shifted_sum_minus_one = wrap_int32(shifted - (1 << 31))
    return one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one), num_bits_over_unit
