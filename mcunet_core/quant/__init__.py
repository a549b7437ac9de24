"""The one place for quantization math: TFLite's fixed point, multipliers, clamps."""

from .activation import activation_range
from .fixed_point import (
    multiply_by_quantized_multiplier,
    rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul,
    wrap_int32,
)
from .multiplier import conv_output_multipliers, quantize_multiplier, quantize_multipliers

__all__ = [
    "activation_range",
    "multiply_by_quantized_multiplier",
    "rounding_divide_by_pot",
    "saturating_rounding_doubling_high_mul",
    "wrap_int32",
    "conv_output_multipliers",
    "quantize_multiplier",
    "quantize_multipliers",
]
