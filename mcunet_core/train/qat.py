"""Quantization-aware fine-tuning: the float net computes what the int8 graph will.

- Weights: every convolution sees ``fq(w * g/sigma) / (g/sigma)`` (``g/sigma`` from the BN's
  running variance) and its BN follows; once BN is frozen (eval mode) that equals the
  folded int8 layer ``conv(x, fq(w_folded)) + b_folded`` exactly, before it the BN still
  learns from batch statistics (PyTorch's ConvBn QAT scheme). The classifier's weights are
  fake-quantized per channel directly, as are a detector's prediction convolutions. ``fq`` is the exporter's own per-channel quantizer,
  on the layer's grid (``arch.WeightBits``: -127..127, or -7..7 for int4 layers); its
  gradient is the straight-through estimator's (identity: the scale is ``max|w| / qmax``,
  so no weight lies outside the grid's range).
- Activations: the input and every IR layer's output are fake-quantized with parameters
  from ``activation_qparams`` of ranges that start at the calibration min/max and follow
  an exponential moving average until the observers freeze.
Rounding is half away from zero (TfLiteRound); gradients pass straight through inside the
representable range and stop outside it. Not simulated: the int8 average pool's rounding
and the int32 bias rounding (both below one output step).
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn
from torch.nn.utils import parametrize

from ..arch import WeightBits
from .net import ConvBNAct, IrNet
from .quantize import (QMAX, QMIN, WEIGHT_MAX, Ranges, activation_qparams, quantize_weights, round_half_away_tensor,
                       weight_scales)
from .train import CLASSIFICATION, TrainSettings, train_net


def fake_quant_weights(w: torch.Tensor, qmax: int = WEIGHT_MAX) -> torch.Tensor:
    """``w`` on its per-channel grid of ``2 * qmax + 1`` steps; gradients pass straight through."""
    scales = weight_scales(w, qmax)
    q = quantize_weights(w, scales, qmax) * scales.reshape(-1, *([1] * (w.dim() - 1)))
    return w + (q - w).detach()


class FoldedWeight(nn.Module):
    """Parametrization of a conv weight: fake-quantized after folding its BN's scale in."""

    def __init__(self, bn: nn.BatchNorm2d, qmax: int = WEIGHT_MAX):
        super().__init__()
        self._bn = [bn]  # a plain list: the BN stays registered only in its own layer
        self.qmax = qmax

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        bn = self._bn[0]
        factor = (bn.weight / torch.sqrt(bn.running_var + bn.eps)).reshape(-1, 1, 1, 1)
        return fake_quant_weights(w * factor, self.qmax) / factor


class PerChannelWeight(nn.Module):
    def __init__(self, qmax: int = WEIGHT_MAX):
        super().__init__()
        self.qmax = qmax

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        return fake_quant_weights(w, self.qmax)


class ActivationQuant:
    """Observer + fake quantizer of one tensor: the EMA of batch min/max until frozen."""

    def __init__(self, lo: float, hi: float, decay: float = 0.99):
        self.lo, self.hi, self.decay, self.frozen = float(lo), float(hi), decay, False

    def __call__(self, x: torch.Tensor, observe: bool) -> torch.Tensor:
        if observe and not self.frozen:
            d = self.decay
            self.lo = d * self.lo + (1 - d) * float(x.detach().min())
            self.hi = d * self.hi + (1 - d) * float(x.detach().max())
        q = activation_qparams(self.lo, self.hi)
        scale, zp = float(q.scale[0]), int(q.zero_point[0])
        low, high = (QMIN - zp) * scale, (QMAX - zp) * scale
        xc = torch.clamp(x, low, high)
        xq = (torch.clamp(round_half_away_tensor(x.detach() / scale) + zp, QMIN, QMAX) - zp) * scale
        return xc + (xq - xc).detach()


class FakeQuantized:
    """Puts fake quantization into ``net`` (in place) until ``remove``; a context manager.
    ``bits``: each layer's weight grid (int8 everywhere by default)."""

    def __init__(self, net: IrNet, ranges: Ranges, bits: WeightBits = WeightBits()):
        self.net = net
        layers = net.ir_layers()
        self.observers = {name: ActivationQuant(*ranges[name]) for name in ["input", *layers]}
        self.norms = [m.bn for m in layers.values() if isinstance(m, ConvBNAct)]
        # Observers learn while the layer they watch is in training mode.
        self.hooks = [net.register_forward_pre_hook(
            lambda mod, args: (self.observers["input"](args[0], mod.training),))]
        for name, m in layers.items():
            self.hooks.append(m.register_forward_hook(
                lambda mod, args, out, name=name: self.observers[name](out, mod.training)))
        self.parametrized = []
        for name, m in layers.items():
            if isinstance(m, ConvBNAct):
                parametrize.register_parametrization(m.conv, "weight", FoldedWeight(m.bn, bits.qmax(name)))
                self.parametrized.append(m.conv)
            elif isinstance(m, (nn.Linear, nn.Conv2d)):  # the classifier, a detector's prediction (with bias, no BN)
                parametrize.register_parametrization(m, "weight", PerChannelWeight(bits.qmax(name)))
                self.parametrized.append(m)

    def __enter__(self) -> "FakeQuantized":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

    def schedule(self, freeze_bn_epoch: int, freeze_observers_epoch: int):
        """A per-epoch callback for ``train_net``: BN and observers freeze at the given epochs."""
        def before_epoch(epoch: int) -> None:
            for obs in self.observers.values():
                obs.frozen = epoch >= freeze_observers_epoch
            if epoch >= freeze_bn_epoch:
                for bn in self.norms:
                    bn.eval()
        return before_epoch

    def ranges(self) -> Ranges:
        return {name: (obs.lo, obs.hi) for name, obs in self.observers.items()}

    def remove(self) -> None:
        for h in self.hooks:
            h.remove()
        for m in self.parametrized:
            parametrize.remove_parametrizations(m, "weight", leave_parametrized=False)
        self.hooks, self.parametrized = [], []


def qat_finetune(net: IrNet, data, ranges: Ranges, qat: dict, settings: TrainSettings, *,
                 progress: bool = True, bits: WeightBits = WeightBits(), objective=CLASSIFICATION) -> Ranges:
    """Fine-tune ``net`` with fake quantization (``qat``: the quant spec's epochs, lr,
    freeze_bn_epoch, freeze_observers_epoch; ``bits``: its weight grids) on ``objective``'s
    loss; returns the activation ranges to export with."""
    with FakeQuantized(net, ranges, bits) as fq:
        train_net(net, data, dataclasses.replace(settings, epochs=int(qat["epochs"]), lr=float(qat["lr"])),
                  progress=progress, before_epoch=fq.schedule(int(qat["freeze_bn_epoch"]), int(qat["freeze_observers_epoch"])),
                  desc="qat", objective=objective)
        result = fq.ranges()
    net.eval()
    return result
