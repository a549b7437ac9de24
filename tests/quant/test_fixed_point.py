"""TFLite's fixed-point primitives against exact rational arithmetic (Python ints / Fractions)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from mcunet_core.quant import (
    multiply_by_quantized_multiplier,
    rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul,
    wrap_int16,
    wrap_int32,
)
from mcunet_core.quant.fixed_point import (
    rounding_divide_by_pot_int16,
    saturating_doubling_high_mul_int16,
    saturating_rounding_doubling_high_mul_int16,
)

I32 = (-(1 << 31), (1 << 31) - 1)


def _floor_half_up(fr: Fraction) -> int:
    return math.floor(fr + Fraction(1, 2))


def _round_half_away(fr: Fraction) -> int:
    n = math.floor(abs(fr) + Fraction(1, 2))
    return n if fr >= 0 else -n


def _edge_values(rng, n):
    edges = np.array([I32[0], I32[0] + 1, -1, 0, 1, I32[1] - 1, I32[1], 1 << 30, -(1 << 30)], dtype=np.int64)
    return np.concatenate([edges, rng.integers(I32[0], I32[1], size=n, endpoint=True)])


def test_srdhm_is_round_half_up_of_the_exact_product():
    rng = np.random.default_rng(0)
    a = _edge_values(rng, 3000)
    b = np.concatenate([a[:9], rng.integers(I32[0], I32[1], size=3000, endpoint=True)])
    rng.shuffle(b)
    got = saturating_rounding_doubling_high_mul(a, b)
    for x, y, r in zip(a.tolist(), b.tolist(), got.tolist()):
        if x == y == I32[0]:
            assert r == I32[1]  # the one saturating case
        else:
            assert r == _floor_half_up(Fraction(x * y, 1 << 31)), (x, y)


def test_rounding_divide_by_pot_rounds_half_away_from_zero():
    rng = np.random.default_rng(1)
    x = _edge_values(rng, 2000)
    for e in range(0, 32):
        got = rounding_divide_by_pot(x, e)
        expected = [_round_half_away(Fraction(v, 1 << e)) for v in x.tolist()]
        assert got.tolist() == expected, e


def test_multiply_by_quantized_multiplier_is_the_two_roundings():
    rng = np.random.default_rng(2)
    acc = rng.integers(-(1 << 24), 1 << 24, size=500)
    for shift in (-31, -20, -9, -1, 0, 1, 3):
        mult = int(rng.integers(1 << 30, (1 << 31) - 1))
        got = multiply_by_quantized_multiplier(acc, mult, shift)
        left, right = max(shift, 0), max(-shift, 0)
        for a, r in zip(acc.tolist(), got.tolist()):
            shifted = wrap_int32(a * (1 << left)).item()
            high = _floor_half_up(Fraction(shifted * mult, 1 << 31))
            assert r == _round_half_away(Fraction(high, 1 << right))


def test_multiply_by_quantized_multiplier_close_to_real_scaling():
    rng = np.random.default_rng(3)
    from mcunet_core.quant import quantize_multiplier

    for real in rng.uniform(1e-6, 0.99, size=50):
        m, s = quantize_multiplier(real)
        acc = rng.integers(-(1 << 20), 1 << 20, size=200)
        got = multiply_by_quantized_multiplier(acc, m, s)
        assert np.max(np.abs(got - acc * real)) <= 1.0


def test_wraps_are_twos_complement():
    assert wrap_int32([1 << 31, -(1 << 31) - 1, 5]).tolist() == [-(1 << 31), (1 << 31) - 1, 5]
    assert wrap_int16([1 << 15, -(1 << 15) - 1, -7]).tolist() == [-(1 << 15), (1 << 15) - 1, -7]


def test_int16_variants_against_fractions():
    rng = np.random.default_rng(4)
    a = rng.integers(-(1 << 15), 1 << 15, size=2000)
    b = rng.integers(-(1 << 15), 1 << 15, size=2000)
    a[:2], b[:2] = -(1 << 15), -(1 << 15)
    rd = saturating_rounding_doubling_high_mul_int16(a, b).tolist()
    tr = saturating_doubling_high_mul_int16(a, b).tolist()
    for x, y, r, t in zip(a.tolist(), b.tolist(), rd, tr):
        if x == y == -(1 << 15):
            assert r == t == (1 << 15) - 1
            continue
        assert r == _floor_half_up(Fraction(x * y, 1 << 15))
        assert t == math.trunc(Fraction(x * y, 1 << 15))
    for e in range(0, 16):
        got = rounding_divide_by_pot_int16(a, e).tolist()
        assert got == [_round_half_away(Fraction(v, 1 << e)) for v in a.tolist()]


@pytest.mark.parametrize("bad", [-(1 << 31), (1 << 31) - 1])
def test_srdhm_extremes_do_not_overflow_int64(bad):
    r = saturating_rounding_doubling_high_mul(np.array([bad]), np.array([I32[0]]))
    assert I32[0] <= int(r[0]) <= I32[1]
