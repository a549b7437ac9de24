"""Float scale -> (Q31 multiplier, shift), exactly as TFLite's QuantizeMultiplier."""

from __future__ import annotations

import math

import numpy as np

from .activation import round_half_away


def quantize_multiplier(real_multiplier: float) -> tuple[int, int]:
    """Return (quantized_multiplier, shift) with real ~= q * 2**(shift - 31)."""
    if real_multiplier == 0.0:
        return 0, 0
    q, shift = math.frexp(real_multiplier)
    # TfLiteRound is std::round: half away from zero.
    q_fixed = round_half_away(q * (1 << 31))
    assert abs(q_fixed) <= (1 << 31)
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift, q_fixed = 0, 0
    if shift > 30:
        shift, q_fixed = 30, (1 << 31) - 1
    return q_fixed, shift


def quantize_multipliers(real_multipliers) -> tuple[np.ndarray, np.ndarray]:
    """Vector form of :func:`quantize_multiplier` (per-channel scales)."""
    pairs = [quantize_multiplier(float(m)) for m in np.atleast_1d(real_multipliers)]
    mult = np.array([p[0] for p in pairs], dtype=np.int64)
    shift = np.array([p[1] for p in pairs], dtype=np.int64)
    return mult, shift


def conv_output_multipliers(input_scale, filter_scales, output_scale) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel requantization of a conv / depthwise / FC accumulator.

    TFLite computes ``double(input_scale) * double(filter_scale) / double(output_scale)``
    from the float32 values stored in the model.
    """
    in_s = float(np.float32(input_scale))
    out_s = float(np.float32(output_scale))
    reals = [in_s * float(np.float32(f)) / out_s for f in np.atleast_1d(filter_scales)]
    return quantize_multipliers(reals)
