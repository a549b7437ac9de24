"""A ``DetectionArch`` as a PyTorch network: the mbv2 backbone's layers (``ArchNet``'s, IR
names and all), then per level a head block (``det<l>.dw``, ``det<l>.pw``) and the
prediction convolution (``det<l>.pred``, with bias). ``forward`` returns the raw prediction
maps, one per level, NCHW with ``anchors x (5 + classes)`` channels."""

from __future__ import annotations

import math

import torch
from torch import nn

from ..arch.detection import DetectionArch
from ..ir import Activation
from ..train.net import ConvBNAct, InvertedResidual, init_weights

PRIOR_OBJECTNESS = 0.01  # initial objectness probability (a few cells of thousands hold an object)


class Prediction(nn.Conv2d):
    """1x1 convolution with bias: the level's raw outputs. A plain ``nn.Conv2d`` (no BN), so
    calibration, QAT and the exporter treat it as they treat the classifier's Linear."""

    def __init__(self, name: str, cin: int, cout: int):
        super().__init__(cin, cout, 1, bias=True)
        self.ir_name = name


def make_heads(arch: DetectionArch) -> nn.ModuleList:
    """Per level: the head block (``det<l>.dw``, ``det<l>.pw``) and the prediction."""
    heads = nn.ModuleList()
    for level, (cin, width) in enumerate(zip(arch.tap_channels(), arch.head_widths())):
        heads.append(nn.Sequential(
            ConvBNAct(f"det{level}.dw", cin, cin, 3, 1, True, Activation.RELU6),
            ConvBNAct(f"det{level}.pw", cin, width, 1, 1, False, Activation.RELU6),
            Prediction(f"det{level}.pred", width, arch.level_outputs(level))))
    return heads


def init_predictions(heads: nn.ModuleList, arch: DetectionArch) -> None:
    """Small prediction weights; objectness biased to PRIOR_OBJECTNESS so training starts
    near the empty-image answer instead of a sea of false positives."""
    for level, head in enumerate(heads):
        conv, anchors = head[-1], arch.anchors[level]
        nn.init.normal_(conv.weight, 0.0, 0.01, generator=torch.Generator().manual_seed(1))
        nn.init.zeros_(conv.bias)
        with torch.no_grad():
            bias = conv.bias.view(anchors, -1)
            bias[:, 4] = math.log(PRIOR_OBJECTNESS / (1 - PRIOR_OBJECTNESS))


class DetectionNet(nn.Module):
    def __init__(self, arch: DetectionArch, seed: int = 0):
        super().__init__()
        self.arch = arch
        bb = arch.backbone
        self.stem = ConvBNAct("stem", bb.input_shape[2], bb.stem_channels, bb.stem_kernel, bb.stem_stride, False,
                              Activation.RELU6)
        self.taps = arch.taps()
        self.blocks = nn.ModuleList(InvertedResidual(i, b) for i, b in enumerate(bb.blocks[:max(self.taps) + 1]))
        self.heads = make_heads(arch)
        init_weights(self, seed)
        init_predictions(self.heads, arch)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.stem(x)
        features = []
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i in self.taps:
                features.append(x)
        by_block = dict(zip(sorted(self.taps), features))
        return [head(by_block[t]) for t, head in zip(self.taps, self.heads)]

    def ir_layers(self) -> dict[str, nn.Module]:
        """IR layer name -> ConvBNAct / ResidualAdd / Prediction."""
        from ..train.net import ResidualAdd
        return {m.ir_name: m for m in self.modules() if isinstance(m, (ConvBNAct, ResidualAdd, Prediction))}
