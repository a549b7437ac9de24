"""TFLite's int8 scheme (specs/quant/int8.yaml) applied to a trained network (``build_net``).

- BatchNorm folds into the convolution before it: ``w' = w * g / sqrt(var + eps)``,
  ``b' = beta - g * mean / sqrt(var + eps)``.
- Weights: per output channel, symmetric, ``scale = max|w| / 127``, values in [-127, 127]
  (TFLite's int8 spec keeps -128 out of weights); int4 layers (``qmax`` 7, ``arch.bits``)
  ``max|w| / 7`` and [-7, 7].
- Activations: per tensor, asymmetric, from the min/max seen on calibration samples; the
  range is widened to contain 0 and the zero point nudged to an integer (TFLite's rule).
- Bias: int32, ``round(b / (s_in * s_w))`` with the float32 scales the graph stores.
Rounding is half away from zero everywhere, as TFLite's ``TfLiteRound``.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import torch
from torch import nn

from ..ir import QuantParams
from ..quant import round_half_away
from ..quant.multiplier import conv_output_multipliers
from .net import ConvBNAct, IrNet

#: IR layer name (or "input") -> (min, max) of its float output on calibration data.
Ranges = dict[str, tuple[float, float]]

QMIN, QMAX = -128, 127
WEIGHT_MAX = 127


def activation_qparams(lo: float, hi: float) -> QuantParams:
    """Per-tensor asymmetric int8 parameters covering [lo, hi] and 0 (TFLite's nudged zero point)."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    scale = np.float32((hi - lo) / (QMAX - QMIN)) if hi > lo else np.float32(1.0 / 255)
    zero_point = min(max(QMIN + round_half_away(-lo / float(scale)), QMIN), QMAX)
    return QuantParams([scale], [zero_point])


def round_half_away_tensor(x: torch.Tensor) -> torch.Tensor:
    t = torch.trunc(x)  # exact, unlike floor(|x| + 0.5) just below a half
    return t + torch.where(torch.abs(x - t) >= 0.5, torch.sign(x), torch.zeros_like(x))


def weight_scales(w: torch.Tensor, qmax: int = WEIGHT_MAX) -> torch.Tensor:
    """Per-output-channel (axis 0) symmetric scales ``max|w| / qmax`` as float32; an all-zero channel gets 1."""
    m = w.detach().abs().reshape(w.shape[0], -1).amax(dim=1).to(torch.float32) / qmax
    return torch.where(m > 0, m, torch.ones_like(m))


#: the largest |int32 bias| the exporter stores: a bias this far beyond anything 127 x 255 x K
#: taps can add (K = 256: 2**23) makes the channel nearly constant, and a larger one would
#: leave the accumulator outside what kernels (|acc| < 2**30) and int32 hold
BIAS_MAX = 2**24


def bias_safe_scales(scales: torch.Tensor, bias: torch.Tensor, input_scale: float) -> torch.Tensor:
    """Weight scales raised where the bias at scale ``s_in * s_w`` would pass ``BIAS_MAX``
    (as TFLite's quantizer adjusts weight scales so biases fit): a channel whose weights are
    nearly zero then keeps its bias exactly, with coarser weights, instead of a clipped bias."""
    need = bias.detach().abs().to(torch.float64) / (float(input_scale) * BIAS_MAX)
    return torch.maximum(scales.to(torch.float64), need).to(torch.float32)


def quantize_weights(w: torch.Tensor, scales: torch.Tensor, qmax: int = WEIGHT_MAX) -> torch.Tensor:
    """Integer weights in [-qmax, qmax] (as float values) for per-channel ``scales`` along axis 0."""
    s = scales.reshape(-1, *([1] * (w.dim() - 1)))
    return torch.clamp(round_half_away_tensor(w / s), -qmax, qmax)


def right_shifts_only(input_scale: float, scales: np.ndarray, output_scale: float, live: np.ndarray) -> bool:
    """Whether every live channel's requantization ``s_in * s_w / s_out`` is below 0.5 (a right
    shift of at least 1, TFLite's exponent < 0): what the engine's fast kernels compute; a
    multiplier of 0.5 or more runs the generic kernel. 4-bit weights' 18x coarser scales
    reach it in narrow layers, which then keep int8 weights (``export.TorchWeights``)."""
    _, shift = conv_output_multipliers(input_scale, scales, output_scale)
    return bool(np.all(shift[np.asarray(live)] < 0))


def quantize_bias(bias: np.ndarray, input_scale: float, scales: np.ndarray) -> np.ndarray:
    """int32 bias at scale ``s_in * s_w``, the float32 product the IR stores as the bias scale."""
    bias_scale = (np.float32(input_scale) * np.asarray(scales, dtype=np.float32)).astype(np.float64)
    q = np.array([round_half_away(v) for v in np.asarray(bias, dtype=np.float64) / bias_scale], dtype=np.int64)
    return np.clip(q, -(2**31), 2**31 - 1).astype(np.int32)


def folded(layer: ConvBNAct) -> tuple[torch.Tensor, torch.Tensor]:
    """The convolution's weight and bias with its BatchNorm (running statistics) folded in."""
    bn = layer.bn
    factor = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
    w = layer.conv.weight.detach() * factor.reshape(-1, 1, 1, 1)
    b = bn.bias.detach() - factor * bn.running_mean
    return w, b


def layer_weights(module: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    """Float weight (torch layout, output channels first) and bias of one IR layer."""
    if isinstance(module, ConvBNAct):
        return folded(module)
    return module.weight.detach(), module.bias.detach()


def calibration_batches(data, samples: int, batch_size: int, seed: int = 0) -> list[torch.Tensor]:
    """``samples`` inputs of ``data`` (a seeded random choice), in batches."""
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))[:samples].tolist()
    xs = [data[i][0] for i in order]
    return [torch.stack(xs[i:i + batch_size]) for i in range(0, len(xs), batch_size)]


@torch.no_grad()
def calibrate(net: IrNet, batches: Iterable[torch.Tensor]) -> Ranges:
    """Min/max of the input and of every IR layer's output over ``batches`` (eval mode)."""
    ranges: Ranges = {}

    def update(name: str, y: torch.Tensor) -> None:
        lo, hi = float(y.min()), float(y.max())
        old = ranges.get(name)
        ranges[name] = (lo, hi) if old is None else (min(old[0], lo), max(old[1], hi))

    hooks = [m.register_forward_hook(lambda mod, args, out, name=name: update(name, out))
             for name, m in net.ir_layers().items()]
    was_training = net.training
    net.eval()
    try:
        for x in batches:
            update("input", x)
            net(x)
    finally:
        for h in hooks:
            h.remove()
        net.train(was_training)
    return ranges
