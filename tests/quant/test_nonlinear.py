"""SOFTMAX / LOGISTIC / HARD_SWISH int8 math and the gemmlowp helpers behind them.

Bit-exactness against TFLite is the job of the litert comparison tests; here the
fixed-point pieces are checked against real arithmetic and known structure.
"""

from __future__ import annotations


import numpy as np

from mcunet_core.quant import (
    hard_swish_int8,
    hard_swish_lut,
    hard_swish_params,
    logistic_lut,
    softmax_int8,
    softmax_params,
)
from mcunet_core.quant.gemmlowp import (
    count_leading_zeros_u32,
    exp_on_negative_values,
    get_reciprocal,
    one_over_one_plus_x_for_x_in_0_1,
)


def test_exp_on_negative_values_is_accurate():
    xs = np.linspace(-31.9, 0, 4001)
    raw = np.round(xs * 2**26).astype(np.int64)  # Q5.26
    got = exp_on_negative_values(raw, 5) / 2**31
    assert np.max(np.abs(got - np.exp(raw / 2**26))) < 5e-7  # a 4th-order polynomial per quarter
    assert exp_on_negative_values(np.array([0]), 5)[0] == (1 << 31) - 1


def test_one_over_one_plus_x_and_reciprocal():
    a = np.linspace(0, (1 << 31) - 1, 2001).astype(np.int64)
    got = one_over_one_plus_x_for_x_in_0_1(a) / 2**31
    assert np.max(np.abs(got - 1 / (1 + a / 2**31))) < 1e-8
    x = np.array([1 << 19, 3 << 18, (1 << 27) - 5, 12345])
    recip, bits = get_reciprocal(x, 12)
    real = x / 2**19  # Q12.19 values
    assert np.allclose(recip / 2**31 * 2.0 ** -bits.astype(float), 1 / real, rtol=1e-7)


def test_count_leading_zeros():
    v = np.array([0, 1, 2, 3, (1 << 31) - 1, -1, 1 << 20])
    assert count_leading_zeros_u32(v).tolist() == [32, 31, 30, 30, 1, 0, 11]


def _float_softmax(x, scale, beta):
    z = (x - x.max(axis=-1, keepdims=True)) * scale * beta
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def test_softmax_is_close_to_float_and_well_formed():
    rng = np.random.default_rng(0)
    for scale, beta in ((0.05, 1.0), (0.2, 0.5), (0.01, 2.0)):
        x = rng.integers(-128, 128, size=(64, 10))
        q = softmax_int8(x, softmax_params(scale, beta)).astype(np.int64)
        expected = _float_softmax(x.astype(float), scale, beta) * 256 - 128
        assert np.max(np.abs(q - expected)) <= 1.0
    same = softmax_int8(np.full((1, 4), 17), softmax_params(0.1, 1.0))
    assert same.tolist() == [[-64, -64, -64, -64]]


def test_logistic_lut_matches_float_sigmoid():
    lut = logistic_lut(0.1, 3, 1 / 256, -128)
    x = np.arange(-128, 128)
    expected = np.clip(np.round(256 / (1 + np.exp(-0.1 * (x - 3)))) - 128, -128, 127)
    assert np.max(np.abs(lut.astype(int) - expected)) <= 1
    assert np.all(np.diff(lut.astype(int)) >= 0)


def test_hard_swish_close_to_float_and_lut_consistent():
    for s_in, z_in, s_out, z_out in ((0.05, -10, 0.03, -90), (0.2, 0, 0.1, -100), (0.01, 50, 0.02, 5)):
        p = hard_swish_params(s_in, z_in, s_out, z_out)
        x = np.arange(-128, 128)
        q = hard_swish_int8(x, p).astype(int)
        real = s_in * (x - z_in)
        expected = np.clip(np.round(real * np.clip(real + 3, 0, 6) / 6 / s_out) + z_out, -128, 127)
        assert np.max(np.abs(q - expected)) <= 2
        assert np.array_equal(hard_swish_lut(p), q.astype(np.int8))
