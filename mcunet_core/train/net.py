"""An architecture as a PyTorch network whose layers are the IR's layers one for one.

Every ``ConvBNAct`` becomes exactly one int8 convolution after BN folding and carries the
IR layer name (mbv2: ``stem``, ``b3.expand``, ``b3.dw``, ``b3.project``, ``head``; DS-CNN:
``stem``, ``b3.dw``, ``b3.pw``); padding is TFLite's SAME rule (the odd extra row goes
after), ReLU6 / ReLU sit where ``arch_to_graph`` fuses them, and residual adds are modules
of their own so calibration can observe their outputs. The exporter walks these names, so
what trains is what ``arch_to_graph`` deploys. ``build_net`` picks the family's network.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..arch import Arch, Block, DsCnnArch
from ..arch.dscnn import pair
from ..ir import Activation, Padding2D


def same_pad(x: torch.Tensor, kernel, stride: int) -> torch.Tensor:
    """Zero-pad NCHW ``x`` as the IR's SAME convolution does (extra row/column after);
    ``kernel``: one size (square) or (kh, kw)."""
    p = Padding2D.same(tuple(x.shape[2:]), pair(kernel), (stride, stride))
    if p.is_zero:
        return x
    return F.pad(x, (p.left, p.right, p.top, p.bottom))


#: the float function of each clamp the IR fuses into a layer's output
_ACTIVATIONS = {Activation.NONE: lambda x: x, Activation.RELU: F.relu, Activation.RELU6: F.relu6}


def activate(x: torch.Tensor, activation: Activation) -> torch.Tensor:
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation {activation.value}: no float network uses it")
    return _ACTIVATIONS[activation](x)


class ConvBNAct(nn.Module):
    """Convolution (dense or depthwise, no bias) + BatchNorm + optional ReLU/ReLU6: one IR layer."""

    def __init__(self, name: str, cin: int, cout: int, kernel, stride: int, depthwise: bool,
                 activation: Activation):
        super().__init__()
        self.ir_name, self.kernel, self.stride, self.activation = name, pair(kernel), stride, activation
        self.kind = "depthwise" if depthwise else "conv"
        self.conv = nn.Conv2d(cin, cout, self.kernel, stride, padding=0, groups=cout if depthwise else 1, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return activate(self.bn(self.conv(same_pad(x, self.kernel, self.stride))), self.activation)


class ResidualAdd(nn.Module):
    """The IR's ADD of a block input and its projection (a module so its output is observable)."""

    def __init__(self, name: str):
        super().__init__()
        self.ir_name = name

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return x + y


class InvertedResidual(nn.Module):
    def __init__(self, index: int, block: Block):
        super().__init__()
        b = f"b{index}"
        self.expand = (ConvBNAct(f"{b}.expand", block.in_channels, block.hidden, 1, 1, False, Activation.RELU6)
                       if block.expand != 1 else None)
        self.dw = ConvBNAct(f"{b}.dw", block.hidden, block.hidden, block.kernel, block.stride, True, Activation.RELU6)
        self.project = ConvBNAct(f"{b}.project", block.hidden, block.out_channels, 1, 1, False, Activation.NONE)
        self.add = ResidualAdd(f"{b}.add") if block.residual else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.expand(x) if self.expand is not None else x
        h = self.project(self.dw(h))
        return self.add(x, h) if self.add is not None else h

    def residual_bn(self) -> nn.BatchNorm2d | None:
        """The BN closing the residual branch (initialised to zero), None without a shortcut."""
        return self.project.bn if self.add is not None else None


class IrNet(nn.Module):
    """What training, calibration, QAT and export need of a network: ``arch``, ``features``
    (the layers before the classifier), then average pool, dropout and the ``fc`` Linear."""

    arch: Arch | DsCnnArch
    fc: nn.Linear
    dropout: nn.Dropout
    head: nn.Module | None  # a 1x1 convolution after the blocks, None where the family has none

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        return self.head(x) if self.head is not None else x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.dropout(self.features(x).mean(dim=(2, 3))))

    def ir_layers(self) -> dict[str, nn.Module]:
        """IR layer name -> ConvBNAct / ResidualAdd / the classifier's Linear ("fc")."""
        out = {m.ir_name: m for m in self.modules() if isinstance(m, (ConvBNAct, ResidualAdd))}
        out["fc"] = self.fc
        return out


class ArchNet(IrNet):
    """The float network of an mbv2 ``arch``: NCHW input in the task's preprocessing, logits out."""

    def __init__(self, arch: Arch, seed: int = 0):
        super().__init__()
        self.arch = arch
        c = arch.input_shape[2]
        self.stem = ConvBNAct("stem", c, arch.stem_channels, arch.stem_kernel, arch.stem_stride, False, Activation.RELU6)
        self.blocks = nn.ModuleList(InvertedResidual(i, b) for i, b in enumerate(arch.blocks))
        self.head = (ConvBNAct("head", arch.blocks[-1].out_channels, arch.head_channels, 1, 1, False, Activation.RELU6)
                     if arch.head_channels else None)
        self.dropout = nn.Dropout(arch.dropout)
        self.fc = nn.Linear(arch.last_channels, arch.num_classes)
        init_weights(self, seed)


class DepthwiseSeparable(nn.Module):
    """One DS-CNN block: KxK depthwise + BN + ReLU, then 1x1 pointwise + BN + ReLU."""

    def __init__(self, index: int, cin: int, cout: int, kernel: int):
        super().__init__()
        self.dw = ConvBNAct(f"b{index}.dw", cin, cin, kernel, 1, True, Activation.RELU)
        self.pw = ConvBNAct(f"b{index}.pw", cin, cout, 1, 1, False, Activation.RELU)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pw(self.dw(x))


class DsCnnNet(IrNet):
    """The float network of a ``DsCnnArch`` (MLPerf Tiny's DS-CNN), the same interface as ``ArchNet``."""

    def __init__(self, arch: DsCnnArch, seed: int = 0):
        super().__init__()
        self.arch = arch
        self.stem = ConvBNAct("stem", arch.input_shape[2], arch.stem_channels, arch.stem_kernel, arch.stem_stride,
                              False, Activation.RELU)
        self.blocks = nn.ModuleList(DepthwiseSeparable(i, cin, cout, arch.block_kernel)
                                    for i, (cin, cout) in enumerate(zip(arch.block_inputs(), arch.block_channels)))
        self.head = None
        self.dropout = nn.Dropout(arch.dropout)
        self.fc = nn.Linear(arch.last_channels, arch.num_classes)
        init_weights(self, seed)


#: each architecture family's float network
_NETS = {Arch: ArchNet, DsCnnArch: DsCnnNet}


def build_net(arch: Arch | DsCnnArch, seed: int = 0) -> IrNet:
    """The float network of ``arch``, whichever family it is."""
    return _NETS[type(arch)](arch, seed=seed)


def init_weights(model: nn.Module, seed: int) -> None:
    """MobileNetV2's initialisation: He (fan-out) convolutions, unit BN, small classifier;
    the BN closing each residual branch starts at zero (Goyal et al. 2017), so a deep network
    starts as its shortcuts and does not collapse to a constant output under a high learning
    rate (the mbv2 space's deepest subnets did). Drawn from its own generator: torch seeds its
    global one differently in every process, and a build must train the same network from the
    same specs."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", generator=g)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.01, generator=g)
            nn.init.zeros_(m.bias)
    for m in model.modules():
        bn = m.residual_bn() if hasattr(m, "residual_bn") else None
        if bn is not None:
            nn.init.zeros_(bn.weight)
