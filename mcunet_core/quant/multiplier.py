"""Float scale -> (Q31 multiplier, shift), exactly as TFLite's quantization_util.

TFLite builds every fixed-point multiplier from ``double`` values with
``std::frexp`` and ``TfLiteRound``; the functions here repeat that arithmetic in
Python floats (IEEE doubles), so the integers come out identical. Which float
expression feeds them (float32 products, double products) differs per op and is
spelled out in :mod:`mcunet_core.quant.params`.
"""

from __future__ import annotations

import math

import numpy as np

from .activation import round_half_away


def quantize_multiplier(real_multiplier: float) -> tuple[int, int]:
    """TFLite's QuantizeMultiplier: real ~= q * 2**(shift - 31), q in [2**30, 2**31).

    Double-rounding build (TFLite's default): no clamping of large shifts;
    multipliers below 2**-31 flush to (0, 0).
    """
    real_multiplier = float(real_multiplier)
    if real_multiplier == 0.0:
        return 0, 0
    q, shift = math.frexp(real_multiplier)
    q_fixed = round_half_away(q * (1 << 31))
    if abs(q_fixed) > (1 << 31):
        raise ValueError(f"multiplier {real_multiplier!r} out of range")
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift, q_fixed = 0, 0
    return int(q_fixed), int(shift)


def quantize_multiplier_smaller_than_one_exp(real_multiplier: float) -> tuple[int, int]:
    """QuantizeMultiplierSmallerThanOneExp: (multiplier, left_shift <= 0) for 0 <= m < 1."""
    if not 0.0 <= real_multiplier < 1.0:
        raise ValueError(f"multiplier {real_multiplier!r} not in [0, 1)")
    q, shift = quantize_multiplier(real_multiplier)
    if shift > 0:
        raise ValueError(f"multiplier {real_multiplier!r} needs a left shift")
    return q, shift


def quantize_multiplier_greater_than_one(real_multiplier: float) -> tuple[int, int]:
    """QuantizeMultiplierGreaterThanOne: (multiplier, left_shift >= 0) for m > 1."""
    if not real_multiplier > 1.0:
        raise ValueError(f"multiplier {real_multiplier!r} not > 1")
    return quantize_multiplier(real_multiplier)


def quantize_multipliers(real_multipliers) -> tuple[np.ndarray, np.ndarray]:
    """Vector form of :func:`quantize_multiplier` (per-channel scales)."""
    pairs = [quantize_multiplier(float(m)) for m in np.atleast_1d(real_multipliers)]
    mult = np.array([p[0] for p in pairs], dtype=np.int64)
    shift = np.array([p[1] for p in pairs], dtype=np.int64)
    return mult, shift


def conv_output_multipliers(input_scale, filter_scales, output_scale, num_channels: int | None = None):
    """Per-channel requantization of a CONV_2D / DEPTHWISE_CONV_2D accumulator.

    TFLite (PopulateConvolutionQuantizationParams) computes
    ``double(input_scale) * double(filter_scale) / double(output_scale)`` from the
    float32 values stored in the model; a per-tensor filter scale is broadcast to
    ``num_channels``.
    """
    in_s = float(np.float32(input_scale))
    out_s = float(np.float32(output_scale))
    scales = np.atleast_1d(np.asarray(filter_scales, dtype=np.float32))
    if num_channels is not None and scales.size == 1:
        scales = np.repeat(scales, num_channels)
    reals = [in_s * float(f) / out_s for f in scales]
    return quantize_multipliers(reals)


def preprocess_softmax_scaling(beta: float, input_scale: float, input_integer_bits: int) -> tuple[int, int]:
    """PreprocessSoftmaxScaling (double rounding): (input_beta_multiplier, left_shift)."""
    real = min(float(beta) * float(input_scale) * float(1 << (31 - input_integer_bits)), float((1 << 31) - 1))
    return quantize_multiplier_greater_than_one(real)


def calculate_input_radius(input_integer_bits: int, input_left_shift: int, total_signed_bits: int = 31) -> int:
    """CalculateInputRadius: largest |input diff| that cannot overflow after rescaling."""
    max_input_rescaled = (
        1.0 * ((1 << input_integer_bits) - 1) * float(1 << (total_signed_bits - input_integer_bits))
        / float(1 << input_left_shift)
    )
    return int(math.floor(max_input_rescaled))


def downscale_int32_to_int16_multiplier(multiplier_int32: int) -> int:
    """DownScaleInt32ToInt16Multiplier: round a Q31 multiplier to Q15."""
    if multiplier_int32 < 0:
        raise ValueError("negative multiplier")
    rounding_offset = 1 << 15
    if multiplier_int32 >= (1 << 31) - 1 - rounding_offset:
        return (1 << 15) - 1
    return (multiplier_int32 + rounding_offset) >> 16
