"""Per-op fixed-point parameters, derived exactly as TFLite's kernel Prepare() does.

The float expression that feeds QuantizeMultiplier differs between ops (some
multiply the float32 scales in float32, some in double); each function here
names the TFLite code path it mirrors, and both the reference interpreter and
the code generator take their constants from these functions only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .multiplier import (
    calculate_input_radius,
    downscale_int32_to_int16_multiplier,
    preprocess_softmax_scaling,
    quantize_multiplier,
    quantize_multiplier_smaller_than_one_exp,
)

_f32 = np.float32


def fc_effective_scales(input_scale, filter_scales, output_scale) -> np.ndarray:
    """FULLY_CONNECTED rescale factors of TFLite's *reference* int8 kernel (one per output channel).

    litert's BUILTIN_REF FULLY_CONNECTED does not use a fixed-point multiplier: it
    computes ``round(double(acc) * double(in_s) * double(w_s) / double(out_s))``
    (reference_integer_ops::FullyConnected[PerChannel] with float scales).
    TFLite Micro and the optimized kernels use :func:`fc_output_multiplier`
    instead; the two can differ by one LSB on rounding ties.
    """
    in_s = float(_f32(input_scale))
    out_s = float(_f32(output_scale))
    return np.array([in_s * float(f) / out_s for f in np.atleast_1d(np.asarray(filter_scales, dtype=np.float32))])


def rescale_double_round(acc, effective_scale) -> np.ndarray:
    """``static_cast<int32_t>(round(double(acc) * effective_scale))`` (half away from zero).

    Out-of-range results become INT32_MIN, as x86's cvttsd2si gives.
    """
    prod = np.asarray(acc, dtype=np.float64) * np.asarray(effective_scale, dtype=np.float64)
    t = np.trunc(prod)
    r = t + np.where(np.abs(prod - t) >= 0.5, np.sign(prod), 0.0)
    bad = ~np.isfinite(r) | (r >= 2.0**31) | (r < -(2.0**31))
    return np.where(bad, -(2.0**31), r).astype(np.int64)


def fc_output_multiplier(input_scale, filter_scale, output_scale) -> tuple[int, int]:
    """FULLY_CONNECTED fixed-point multiplier, per-tensor filter (GetQuantizedConvolutionMultipler).

    Used by TFLite's optimized kernels and TFLite Micro. ``input_scale *
    filter_scale`` is a float32 product, widened to double only before the
    division by the output scale.
    """
    product = float(_f32(input_scale) * _f32(filter_scale))
    return quantize_multiplier(product / float(_f32(output_scale)))


@dataclass(frozen=True)
class AddParams:
    """Constants of TFLite's int8 ADD (8-bit general path, left_shift = 20)."""

    left_shift: int
    input1_offset: int
    input1_multiplier: int
    input1_shift: int
    input2_offset: int
    input2_multiplier: int
    input2_shift: int
    output_offset: int
    output_multiplier: int
    output_shift: int


def add_params(scale1, zp1, scale2, zp2, out_scale, out_zp, left_shift: int = 20) -> AddParams:
    """add.cc Prepare: all ratios in double, from the float32 scales."""
    s1, s2, so = float(_f32(scale1)), float(_f32(scale2)), float(_f32(out_scale))
    twice_max = 2.0 * max(s1, s2)
    m1, sh1 = quantize_multiplier_smaller_than_one_exp(s1 / twice_max)
    m2, sh2 = quantize_multiplier_smaller_than_one_exp(s2 / twice_max)
    mo, sho = quantize_multiplier_smaller_than_one_exp(twice_max / (float(1 << left_shift) * so))
    return AddParams(left_shift, -int(zp1), m1, sh1, -int(zp2), m2, sh2, int(out_zp), mo, sho)


def mul_output_multiplier(scale1, scale2, out_scale) -> tuple[int, int]:
    """mul.cc Prepare: ``in1_scale * in2_scale / out_scale`` evaluated in float32."""
    real = (_f32(scale1) * _f32(scale2)) / _f32(out_scale)
    return quantize_multiplier(float(_f32(real)))


def requantize_multiplier(input_scale, output_scale) -> tuple[int, int]:
    """QUANTIZE int8 -> int8 (quantize.cc): double(in_scale) / double(out_scale)."""
    return quantize_multiplier(float(_f32(input_scale)) / float(_f32(output_scale)))


def mean_multiplier(input_scale, output_scale, num_elements: int) -> tuple[int, int]:
    """MEAN (reduce.cc + reference QuantizedMeanOrSum): the multiplier with 1/n folded in."""
    mult, shift = quantize_multiplier(float(_f32(input_scale)) / float(_f32(output_scale)))
    n = int(num_elements)
    if n <= 0:
        raise ValueError("MEAN over an empty axis")
    extra = n.bit_length() - 1  # 63 - CountLeadingZeros(uint64(n))
    extra = min(extra, 32, 31 + shift)
    mult = (mult << extra) // n
    return int(mult), int(shift - extra)


@dataclass(frozen=True)
class SoftmaxParams:
    input_multiplier: int
    input_left_shift: int
    diff_min: int


def softmax_params(input_scale, beta: float) -> SoftmaxParams:
    """activations.cc SoftmaxPrepare (kReference, int8): Q5.26 input rescaling."""
    scaled_diff_integer_bits = 5
    mult, left_shift = preprocess_softmax_scaling(float(_f32(beta)), float(_f32(input_scale)), scaled_diff_integer_bits)
    diff_min = -calculate_input_radius(scaled_diff_integer_bits, left_shift)
    return SoftmaxParams(mult, left_shift, diff_min)


@dataclass(frozen=True)
class HardSwishParams:
    input_zero_point: int
    output_zero_point: int
    reluish_multiplier_fixedpoint_int16: int
    reluish_multiplier_exponent: int
    output_multiplier_fixedpoint_int16: int
    output_multiplier_exponent: int


def hard_swish_params(input_scale, input_zp, output_scale, output_zp) -> HardSwishParams:
    """activations.cc HardSwishPrepare: float32 ratios, Q15 multipliers."""
    hires_input_scale = _f32(1.0 / 128.0) * _f32(input_scale)
    reluish_scale = _f32(3.0) / _f32(32768.0)
    output_multiplier = hires_input_scale / _f32(output_scale)
    out_m32, out_exp = quantize_multiplier(float(output_multiplier))
    if out_exp > 0:
        raise ValueError("HARD_SWISH output multiplier exponent must be <= 0 (output scale too small)")
    reluish_multiplier = hires_input_scale / reluish_scale
    rel_m32, rel_exp = quantize_multiplier(float(reluish_multiplier))
    return HardSwishParams(
        int(input_zp),
        int(output_zp),
        downscale_int32_to_int16_multiplier(rel_m32),
        rel_exp,
        downscale_int32_to_int16_multiplier(out_m32),
        out_exp,
    )
