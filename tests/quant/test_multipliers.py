"""Float scales -> (multiplier, shift) exactly as TFLite derives them, and the per-op parameter paths."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from mcunet_core.quant import (
    add_params,
    calculate_input_radius,
    conv_output_multipliers,
    downscale_int32_to_int16_multiplier,
    fc_effective_scales,
    fc_output_multiplier,
    mean_multiplier,
    mul_output_multiplier,
    preprocess_softmax_scaling,
    quantize_multiplier,
    quantize_multiplier_smaller_than_one_exp,
    rescale_double_round,
    round_half_away,
    softmax_params,
)


def test_quantize_multiplier_is_frexp_rounded_half_away():
    rng = np.random.default_rng(0)
    for real in np.concatenate([10 ** rng.uniform(-9, 3, size=400), [0.5, 0.25, 1.0, 2.0**-31, 0.75]]):
        real = float(real)
        m, s = quantize_multiplier(real)
        frac, exp = math.frexp(real)
        q = round_half_away(frac * 2**31)
        if q == 2**31:
            q, exp = q // 2, exp + 1
        if exp < -31:
            assert (m, s) == (0, 0)
            continue
        assert (m, s) == (q, exp)
        assert 2**30 <= m < 2**31
        assert abs(Fraction(m) * Fraction(2) ** (s - 31) - Fraction(real)) <= Fraction(2) ** (s - 32)


def test_quantize_multiplier_edge_cases():
    assert quantize_multiplier(0.0) == (0, 0)
    assert quantize_multiplier(2.0**-40) == (0, 0)  # flushed like TFLite
    # A significand that rounds up to 2**31 moves to the next exponent.
    assert quantize_multiplier(1.0 - 2.0**-40) == (1 << 30, 1)
    with pytest.raises(ValueError):
        quantize_multiplier_smaller_than_one_exp(1.5)


def test_round_half_away_is_exact():
    assert [round_half_away(v) for v in (0.5, 1.5, 2.5, -0.5, -2.5, 0.49999999999999994, -0.49999999999999994)] == [
        1, 2, 3, -1, -3, 0, 0]


def test_conv_multiplier_uses_double_products_of_float32_scales():
    in_s, w_s, out_s = np.float32(0.0123), np.float32([0.0031, 0.0077]), np.float32(0.071)
    m, s = conv_output_multipliers(in_s, w_s, out_s)
    for i in range(2):
        assert (m[i], s[i]) == quantize_multiplier(float(in_s) * float(w_s[i]) / float(out_s))
    m1, _ = conv_output_multipliers(in_s, w_s[:1], out_s, num_channels=3)
    assert m1.tolist() == [m[0]] * 3


def test_fc_multiplier_uses_a_float32_product():
    in_s, w_s, out_s = np.float32(0.0123), np.float32(0.0031), np.float32(0.071)
    assert fc_output_multiplier(in_s, w_s, out_s) == quantize_multiplier(float(in_s * w_s) / float(out_s))
    scales = fc_effective_scales(in_s, [w_s], out_s)
    assert scales[0] == float(in_s) * float(w_s) / float(out_s)


def test_rescale_double_round():
    assert rescale_double_round([5, -5, 3, -3, 7], 0.5).tolist() == [3, -3, 2, -2, 4]
    assert rescale_double_round([1 << 40], 1.0).tolist() == [-(1 << 31)]


def test_mul_multiplier_is_computed_in_float32():
    s1, s2, so = np.float32(0.0371), np.float32(0.0093), np.float32(0.0021)
    assert mul_output_multiplier(s1, s2, so) == quantize_multiplier(float(np.float32(np.float32(s1 * s2) / so)))


def test_add_params_match_the_8bit_general_path():
    p = add_params(0.02, -3, 0.05, 7, 0.06, 1)
    assert p.left_shift == 20 and p.input1_offset == 3 and p.input2_offset == -7 and p.output_offset == 1
    twice = 2 * float(np.float32(0.05))
    assert (p.input1_multiplier, p.input1_shift) == quantize_multiplier(float(np.float32(0.02)) / twice)
    assert (p.input2_multiplier, p.input2_shift) == quantize_multiplier(0.5)
    assert (p.output_multiplier, p.output_shift) == quantize_multiplier(twice / ((1 << 20) * float(np.float32(0.06))))


def test_mean_multiplier_folds_one_over_n():
    for n in (1, 2, 3, 49, 64, 1000, 123457):
        m, s = mean_multiplier(0.05, 0.04, n)
        base_m, base_s = quantize_multiplier(float(np.float32(0.05)) / float(np.float32(0.04)))
        k = min(n.bit_length() - 1, 32, 31 + base_s)
        assert m == (base_m << k) // n and s == base_s - k
        assert abs(m * 2.0 ** (s - 31) - 0.05 / 0.04 / n) / (0.05 / 0.04 / n) < 1e-6


def test_softmax_scaling():
    p = softmax_params(0.1, 1.0)
    assert (p.input_multiplier, p.input_left_shift) == preprocess_softmax_scaling(1.0, float(np.float32(0.1)), 5)
    assert p.diff_min == -calculate_input_radius(5, p.input_left_shift)
    assert calculate_input_radius(5, 31) == 0
    assert calculate_input_radius(4, 20, 15) == math.floor(15 * 2**11 / 2**20)


def test_downscale_int16_multiplier():
    assert downscale_int32_to_int16_multiplier(1 << 30) == 1 << 14
    assert downscale_int32_to_int16_multiplier((1 << 31) - 1) == (1 << 15) - 1
    assert downscale_int32_to_int16_multiplier((1 << 16) + (1 << 15)) == 2
