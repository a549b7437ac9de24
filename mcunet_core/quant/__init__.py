"""The one place for quantization math: TFLite's fixed point, multipliers, clamps.

Everything the reference interpreter computes and the code generator folds into
constants comes from here, so there is one definition of "what TFLite does".
"""

from .activation import activation_range, round_half_away
from .fixed_point import (
    multiply_by_quantized_multiplier,
    multiply_by_quantized_multiplier_greater_than_one,
    multiply_by_quantized_multiplier_smaller_than_one_exp,
    rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul,
    wrap_int16,
    wrap_int32,
)
from .multiplier import (
    calculate_input_radius,
    conv_output_multipliers,
    downscale_int32_to_int16_multiplier,
    preprocess_softmax_scaling,
    quantize_multiplier,
    quantize_multiplier_greater_than_one,
    quantize_multiplier_smaller_than_one_exp,
    quantize_multipliers,
)
from .nonlinear import apply_lut, hard_swish_int8, hard_swish_lut, logistic_lut, softmax_int8
from .params import (
    AddParams,
    HardSwishParams,
    SoftmaxParams,
    add_params,
    fc_effective_scales,
    fc_output_multiplier,
    hard_swish_params,
    rescale_double_round,
    mean_multiplier,
    mul_output_multiplier,
    requantize_multiplier,
    softmax_params,
)

__all__ = [
    "activation_range",
    "round_half_away",
    "multiply_by_quantized_multiplier",
    "multiply_by_quantized_multiplier_greater_than_one",
    "multiply_by_quantized_multiplier_smaller_than_one_exp",
    "rounding_divide_by_pot",
    "saturating_rounding_doubling_high_mul",
    "wrap_int16",
    "wrap_int32",
    "calculate_input_radius",
    "conv_output_multipliers",
    "downscale_int32_to_int16_multiplier",
    "preprocess_softmax_scaling",
    "quantize_multiplier",
    "quantize_multiplier_greater_than_one",
    "quantize_multiplier_smaller_than_one_exp",
    "quantize_multipliers",
    "apply_lut",
    "hard_swish_int8",
    "hard_swish_lut",
    "logistic_lut",
    "softmax_int8",
    "AddParams",
    "HardSwishParams",
    "SoftmaxParams",
    "add_params",
    "fc_effective_scales",
    "fc_output_multiplier",
    "rescale_double_round",
    "hard_swish_params",
    "mean_multiplier",
    "mul_output_multiplier",
    "requantize_multiplier",
    "softmax_params",
]
