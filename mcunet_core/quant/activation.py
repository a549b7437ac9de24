"""Fused-activation clamps in the quantized domain (TFLite's CalculateActivationRangeQuantized)."""

from __future__ import annotations

import math

import numpy as np

from ..ir.ops import Activation

_DTYPE_RANGE = {"int8": (-128, 127), "int16": (-32768, 32767), "int32": (-(1 << 31), (1 << 31) - 1)}


def round_half_away(x: float) -> int:
    """std::round (TfLiteRound): halves go away from zero, unlike Python's round()."""
    t = math.trunc(x)  # exact; floor(|x| + 0.5) would misround 0.49999999999999994
    return int(t + (math.copysign(1, x) if abs(x - t) >= 0.5 else 0))


def _quantize(value: float, scale: float, zero_point: int) -> int:
    # TFLite: zero_point + TfLiteRound(f / scale), divided in float32.
    return int(zero_point) + round_half_away(float(np.float32(value) / np.float32(scale)))


def activation_range(activation: Activation, scale: float, zero_point: int, dtype: str = "int8") -> tuple[int, int]:
    """Integer (min, max) an op's output is clamped to."""
    qmin, qmax = _DTYPE_RANGE[dtype]
    activation = Activation(activation)
    if activation is Activation.NONE:
        return qmin, qmax
    if activation is Activation.RELU:
        return max(qmin, _quantize(0.0, scale, zero_point)), qmax
    if activation is Activation.RELU6:
        return max(qmin, _quantize(0.0, scale, zero_point)), min(qmax, _quantize(6.0, scale, zero_point))
    if activation is Activation.RELU_N1_TO_1:
        return max(qmin, _quantize(-1.0, scale, zero_point)), min(qmax, _quantize(1.0, scale, zero_point))
    raise ValueError(f"unknown activation {activation}")
