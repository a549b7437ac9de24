"""Random layer values for NAS estimates that stay finite through any depth.

``RandomWeights`` sets each layer's output scale to about ``0.44 * sqrt(fan_in)`` times its
input's, so activation scales compound layer after layer and overflow float32 past ~30
layers (the widest, deepest archs of the MCUNet space: NaN requantization multipliers).
Dividing a layer's weight scales and output scale by that gain keeps every requantization
multiplier ``s_x * s_w / s_y`` (hence the kernel chosen, the memory plan and the constant
bytes) as ``RandomWeights`` would make it, with the output scale equal to the input's.
"""

from __future__ import annotations

import numpy as np

from ..arch.to_ir import LayerValues, RandomWeights
from ..ir import QuantParams


class EstimateWeights(RandomWeights):
    def layer(self, name, kind, weight_shape, x, activation) -> LayerValues:
        v = super().layer(name, kind, weight_shape, x, activation)
        gain = v.output.single_scale / x.single_scale
        return LayerValues(v.weights, (v.weight_scales / np.float32(gain)).astype(np.float32), v.bias,
                           QuantParams([x.single_scale], v.output.zero_point))
