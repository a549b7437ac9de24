"""Quantization constants a kernel needs, derived from its op's tensors in one place."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...ir import Activation, Tensor
from ...quant import activation_range, conv_output_multipliers


@dataclass(frozen=True)
class AccumulatorRequant:
    """Requantization of an int32 accumulator (conv, depthwise, FC) to the int8 output."""

    input_zp: int
    output_zp: int
    act_min: int
    act_max: int
    multiplier: np.ndarray  # int32 per output channel (length 1 if per-tensor)
    shift: np.ndarray

    @classmethod
    def of(cls, x: Tensor, w: Tensor, y: Tensor, activation: Activation, channels: int) -> "AccumulatorRequant":
        mult, shift = conv_output_multipliers(x.quant.single_scale, w.quant.scale, y.quant.single_scale)
        if mult.size == 1:
            mult, shift = np.repeat(mult, channels), np.repeat(shift, channels)
        out_zp = y.quant.single_zero_point
        lo, hi = activation_range(activation, y.quant.single_scale, out_zp)
        return cls(x.quant.single_zero_point, out_zp, lo, hi, mult.astype(np.int32), shift.astype(np.int32))


def narrows_range(ctx) -> bool:
    """Whether the op's fused activation narrows the int8 output range (a clamp per output)."""
    y = ctx.outputs[0]
    return activation_range(ctx.op.activation, y.quant.single_scale, y.quant.single_zero_point) != (-128, 127)


def bias_or_zeros(bias: Tensor | None, channels: int) -> np.ndarray:
    if bias is None:
        return np.zeros(channels, dtype=np.int32)
    return np.asarray(bias.data, dtype=np.int32).reshape(channels)
