"""The one-shot supernet of a ``SearchSpace`` (Once-for-All style weight sharing).

Each block slot holds the weights of its largest choice; a subnet uses
- the first ``in * expand`` channels of the expansion (channel slicing),
- the centre ``k x k`` of the largest depthwise kernel (OFA's kernel transform matrices are
  not used: plain centre crops),
- the first ``d`` blocks of every stage (depth).
BatchNorm statistics are sliced the same way; running statistics mix every subnet trained,
so a subnet's statistics are re-estimated before it is evaluated (see ``train.recalibrate_bn``).
``extract`` copies one subnet into a standalone ``ArchNet`` (the exporter's input).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..arch import Arch
from ..errors import UserError
from ..ir import Activation
from ..nas.space import SearchSpace
from .distributed import batch_norm
from .net import ArchNet, ConvBNAct, InvertedResidual, activate, init_weights, same_pad


class DynamicConvBNAct(nn.Module):
    """The largest convolution + BN of a slot; runs the active channel/kernel slice."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, depthwise: bool, activation: Activation):
        super().__init__()
        self.depthwise, self.stride, self.activation = depthwise, stride, activation
        self.conv = nn.Conv2d(cin, cout, kernel, stride, padding=0, groups=cout if depthwise else 1, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.active_in, self.active_out, self.active_kernel = cin, cout, kernel

    def active_weight(self) -> torch.Tensor:
        k, o = self.active_kernel, (self.conv.kernel_size[0] - self.active_kernel) // 2
        w = self.conv.weight[: self.active_out]
        if not self.depthwise:
            w = w[:, : self.active_in]
        return w[:, :, o:o + k, o:o + k]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = self.active_out
        y = F.conv2d(same_pad(x, self.active_kernel, self.stride), self.active_weight(), None, self.stride,
                     groups=c if self.depthwise else 1)
        bn = self.bn
        # Slices of the running statistics are views: training updates the shared buffers in place.
        y = batch_norm(y, bn.running_mean[:c], bn.running_var[:c], bn.weight[:c], bn.bias[:c],
                         bn.training, bn.momentum, bn.eps)
        return activate(y, self.activation)

    @torch.no_grad()
    def copy_to(self, dst: ConvBNAct) -> None:
        c = self.active_out
        dst.conv.weight.copy_(self.active_weight())
        for name in ("weight", "bias"):
            getattr(dst.bn, name).copy_(getattr(self.bn, name)[:c])
        for name in ("running_mean", "running_var"):
            getattr(dst.bn, name).copy_(getattr(self.bn, name)[:c])
        dst.bn.num_batches_tracked.copy_(self.bn.num_batches_tracked)


class DynamicInvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, max_kernel: int, max_expand: int):
        super().__init__()
        hidden = cin * max_expand
        self.cin = cin
        self.expand = DynamicConvBNAct(cin, hidden, 1, 1, False, Activation.RELU6)
        self.dw = DynamicConvBNAct(hidden, hidden, max_kernel, stride, True, Activation.RELU6)
        self.project = DynamicConvBNAct(hidden, cout, 1, 1, False, Activation.NONE)
        self.residual = stride == 1 and cin == cout
        self.active_expand = max_expand

    def set_active(self, kernel: int, expand: int) -> None:
        hidden = self.cin * expand
        self.active_expand = expand
        self.expand.active_out = hidden
        self.dw.active_in = self.dw.active_out = hidden
        self.dw.active_kernel = kernel
        self.project.active_in = hidden

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.expand(x) if self.active_expand != 1 else x
        h = self.project(self.dw(h))
        return x + h if self.residual else h

    def residual_bn(self) -> nn.BatchNorm2d | None:
        """The BN closing the residual branch (initialised to zero), None without a shortcut."""
        return self.project.bn if self.residual else None

    def copy_to(self, dst: InvertedResidual) -> None:
        if dst.expand is not None:
            self.expand.copy_to(dst.expand)
        self.dw.copy_to(dst.dw)
        self.project.copy_to(dst.project)


class Supernet(nn.Module):
    """Every architecture of ``space`` in one set of weights; ``set_active`` picks which runs."""

    def __init__(self, space: SearchSpace, seed: int = 0):
        super().__init__()
        self.space = space
        largest = space.largest()
        first = largest.blocks[0]
        self.stem = ConvBNAct("stem", largest.input_shape[2], space.stem_channels, largest.stem_kernel,
                              largest.stem_stride, False, Activation.RELU6)
        self.first = InvertedResidual(0, first)
        k, e = max(space.kernel_sizes), max(space.expand_ratios)
        stages, cin = [], first.out_channels
        for channels, stride in zip(space.stage_channels, space.strides):
            stages.append(nn.ModuleList(
                DynamicInvertedResidual(cin if j == 0 else channels, channels, stride if j == 0 else 1, k, e)
                for j in range(space.max_depth)))
            cin = channels
        self.stages = nn.ModuleList(stages)
        self.fc = nn.Linear(cin, space.num_classes)
        init_weights(self, seed)
        self.active: Arch = largest
        self.set_active(largest)

    def set_active(self, arch: Arch) -> None:
        self.check(arch)
        for stage, slots in zip(arch.stages, self.stages):
            for slot, kernel, expand in zip(slots, stage.kernels, stage.expands):
                slot.set_active(kernel, expand)
        self.active = arch

    def check(self, arch: Arch) -> None:
        """Raise a UserError unless ``arch`` is a point of this supernet's space."""
        sp = self.space
        problems = []
        fixed = [("stem channels", arch.stem_channels, sp.stem_channels),
                 ("first block channels", arch.first_channels, sp.first_channels),
                 ("stage channels", tuple(s.channels for s in arch.stages), sp.stage_channels),
                 ("stage strides", tuple(s.stride for s in arch.stages), sp.strides),
                 ("classes", arch.num_classes, sp.num_classes),
                 ("input channels", arch.input_shape[2], sp.input_shape[2]),
                 ("head", arch.head_channels, None)]
        problems += [f"{what} {got} (space: {want})" for what, got, want in fixed if got != want]
        for i, s in enumerate(arch.stages):
            if s.depth not in sp.depths:
                problems.append(f"stage {i} depth {s.depth} (space: {sp.depths})")
            if not set(s.kernels) <= set(sp.kernel_sizes) or not set(s.expands) <= set(sp.expand_ratios):
                problems.append(f"stage {i} kernels {s.kernels} / expands {s.expands} outside the space")
        if problems:
            raise UserError(f"architecture {arch.name!r} is not in search space {sp.name}: " + "; ".join(problems))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.first(self.stem(x))
        for stage, slots in zip(self.active.stages, self.stages):
            for slot in slots[: stage.depth]:
                x = slot(x)
        return self.fc(x.mean(dim=(2, 3)))

    @torch.no_grad()
    def extract(self, arch: Arch) -> ArchNet:
        """A standalone network of ``arch`` with this supernet's weights and BN statistics."""
        previous = self.active
        self.set_active(arch)
        net = ArchNet(arch)
        net.stem.load_state_dict(self.stem.state_dict())
        net.blocks[0].load_state_dict(self.first.state_dict())
        index = 1
        for stage, slots in zip(arch.stages, self.stages):
            for slot in slots[: stage.depth]:
                slot.copy_to(net.blocks[index])
                index += 1
        net.fc.load_state_dict(self.fc.state_dict())
        self.set_active(previous)
        return net.train(self.training)
