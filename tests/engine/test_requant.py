"""The fast requantization form must equal TFLite's MultiplyByQuantizedMultiplier + zp."""

import numpy as np
import pytest

from mcunet_core.engine.requant import MAX_ABS_ACC, fast_requant, fast_requant_constants
from mcunet_core.quant import multiply_by_quantized_multiplier, quantize_multiplier


def _tflite(acc, mult, shift, zp):
    return multiply_by_quantized_multiplier(acc, mult, shift) + zp


@pytest.mark.parametrize("seed", range(6))
def test_fast_form_equals_tflite_on_random_scales(seed):
    rng = np.random.default_rng(seed)
    scales = rng.uniform(2.0**-24, 0.49, size=64) * rng.choice([1.0, 1e-3], size=64)
    pairs = [quantize_multiplier(s) for s in scales]
    mult = np.array([p[0] for p in pairs])
    shift = np.array([p[1] for p in pairs])
    zp = int(rng.integers(-128, 128))
    params = fast_requant_constants(mult, shift, zp)
    assert params is not None
    # small accumulators (most layers) and the whole range the fast form admits
    acc = np.concatenate([rng.integers(-(1 << 22), 1 << 22, size=(2048, 64)),
                          rng.integers(-MAX_ABS_ACC + 1, MAX_ABS_ACC, size=(2048, 64))])
    np.testing.assert_array_equal(fast_requant(acc, params), _tflite(acc, mult, shift, zp))


def test_fast_form_exact_on_rounding_ties():
    # Ties of both roundings are where double rounding and sign handling differ.
    for s in (1, 2, 5, 13, 24):
        mult = 1 << 30  # real multiplier 0.5 * 2**-s: acc*M/2**31 = acc/2 exactly
        params = fast_requant_constants([mult], [-s], -7)
        # acc/2 sits on or next to a tie of the second rounding at every multiple of 2**s.
        ties = np.arange(-8, 9)[:, None] << s
        acc = (ties + np.arange(-4, 5)[None, :]).reshape(-1, 1)
        np.testing.assert_array_equal(fast_requant(acc, params), _tflite(acc, mult, -s, -7))


def test_fast_form_at_accumulator_limits():
    mult, shift = quantize_multiplier(0.0007)
    params = fast_requant_constants([mult], [shift], 127)
    acc = np.array([[-MAX_ABS_ACC], [-MAX_ABS_ACC + 1], [MAX_ABS_ACC - 1], [0], [-1], [1]])
    np.testing.assert_array_equal(fast_requant(acc, params), _tflite(acc, mult, shift, 127))


def test_out_of_range_shifts_are_refused():
    assert fast_requant_constants([1 << 30], [0], 0) is None  # s = 0
    assert fast_requant_constants([1 << 30], [-25], 0) is None  # s = 25
    assert fast_requant_constants([1 << 30], [3], 0) is None  # left shift


def test_zero_multiplier_channel_gives_zero_point():
    params = fast_requant_constants([0], [0], -5)
    acc = np.array([[-1000], [0], [999]])
    np.testing.assert_array_equal(fast_requant(acc, params), np.full((3, 1), -5))
