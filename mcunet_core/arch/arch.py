"""A MobileNetV2-family network as data: stem, inverted-residual stages, classifier.

The same ``Arch`` comes from a model spec (``architecture:`` in specs/models/*.yaml), from
the NAS (a point of the search space) or from a supernet sample, and goes to the IR (for the
engine's exact memory figures), to PyTorch (training) and back to a spec (the search's result).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar


def make_divisible(value: float, divisor: int = 8) -> int:
    """Round channels to a multiple of ``divisor`` without going below 90 % (MobileNet's rule)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


@dataclass(frozen=True)
class Block:
    """One inverted residual: 1x1 expand (skipped when expand == 1), KxK depthwise, 1x1 project."""

    in_channels: int
    out_channels: int
    kernel: int
    expand: int
    stride: int

    @property
    def hidden(self) -> int:
        return self.in_channels * self.expand

    @property
    def residual(self) -> bool:
        return self.stride == 1 and self.in_channels == self.out_channels


@dataclass(frozen=True)
class Stage:
    channels: int
    stride: int
    kernels: tuple[int, ...]  # one per block: the stage's depth is len(kernels)
    expands: tuple[int, ...]

    @property
    def depth(self) -> int:
        return len(self.kernels)


@dataclass(frozen=True)
class Arch:
    name: str
    input_shape: tuple[int, int, int]  # H, W, C
    num_classes: int
    stem_channels: int
    stem_kernel: int
    stem_stride: int
    first_channels: int
    first_kernel: int
    stages: tuple[Stage, ...]
    head_channels: int | None = None  # a 1x1 conv before pooling, or none
    dropout: float = 0.0
    extra: dict = field(default_factory=dict, compare=False)

    family: ClassVar[str] = "mbv2"

    @property
    def blocks(self) -> list[Block]:
        """The depthwise-separable first block, then every stage's blocks, wired in order."""
        out = [Block(self.stem_channels, self.first_channels, self.first_kernel, 1, 1)]
        c = self.first_channels
        for stage in self.stages:
            for i, (k, e) in enumerate(zip(stage.kernels, stage.expands)):
                out.append(Block(c, stage.channels, k, e, stage.stride if i == 0 else 1))
                c = stage.channels
        return out

    @property
    def last_channels(self) -> int:
        return self.head_channels or (self.stages[-1].channels if self.stages else self.first_channels)

    # -- specs ------------------------------------------------------------------------------
    @classmethod
    def from_spec(cls, architecture: dict, input_shape, num_classes: int, name: str = "model") -> "Arch":
        """From the ``architecture:`` mapping of a model spec (already schema-checked)."""
        stages = []
        for st in architecture["stages"]:
            depth = st["depth"]
            kernels = st["kernel"] if isinstance(st["kernel"], list) else [st["kernel"]] * depth
            expands = st["expand"] if isinstance(st["expand"], list) else [st["expand"]] * depth
            if len(kernels) != depth or len(expands) != depth:
                raise ValueError(f"stage {st}: kernel/expand lists must have depth {depth} entries")
            stages.append(Stage(st["channels"], st["stride"], tuple(kernels), tuple(expands)))
        head = architecture.get("head") or {}
        return cls(
            name=name,
            input_shape=tuple(int(d) for d in input_shape),
            num_classes=int(num_classes),
            stem_channels=architecture["stem"]["channels"],
            stem_kernel=architecture["stem"]["kernel"],
            stem_stride=architecture["stem"]["stride"],
            first_channels=architecture["first_block"]["channels"],
            first_kernel=architecture["first_block"]["kernel"],
            stages=tuple(stages),
            head_channels=head.get("channels"),
            dropout=float(head.get("dropout", 0.0) or 0.0),
        )

    def to_spec(self) -> dict:
        """The ``architecture:`` mapping of a model spec describing this network."""
        return {
            "family": self.family,
            "stem": {"channels": self.stem_channels, "kernel": self.stem_kernel, "stride": self.stem_stride},
            "first_block": {"channels": self.first_channels, "kernel": self.first_kernel},
            "stages": [
                {"channels": s.channels, "depth": s.depth, "stride": s.stride,
                 "kernel": list(s.kernels), "expand": list(s.expands)}
                for s in self.stages
            ],
            "head": {"channels": self.head_channels, "pool": "avg", "dropout": self.dropout},
        }

    # -- cheap analytic figures (the NAS's first filter; exact memory comes from the engine) --
    def feature_shapes(self) -> list[tuple[int, int, int]]:
        """(H, W, C) after the stem and after every block."""
        h, w, _ = self.input_shape
        h, w = _out(h, self.stem_stride), _out(w, self.stem_stride)
        shapes = [(h, w, self.stem_channels)]
        for b in self.blocks:
            h, w = _out(h, b.stride), _out(w, b.stride)
            shapes.append((h, w, b.out_channels))
        return shapes

    def macs(self) -> int:
        h, w, c = self.input_shape
        h, w = _out(h, self.stem_stride), _out(w, self.stem_stride)
        total = h * w * self.stem_channels * self.stem_kernel**2 * c
        for b in self.blocks:
            if b.expand != 1:
                total += h * w * b.in_channels * b.hidden
            h, w = _out(h, b.stride), _out(w, b.stride)
            total += h * w * b.hidden * b.kernel**2 + h * w * b.hidden * b.out_channels
        if self.head_channels:
            total += h * w * self.blocks[-1].out_channels * self.head_channels
        return total + self.last_channels * self.num_classes

    def params(self) -> int:
        total = self.stem_channels * (self.stem_kernel**2 * self.input_shape[2] + 1)
        for b in self.blocks:
            if b.expand != 1:
                total += b.hidden * (b.in_channels + 1)
            total += b.hidden * (b.kernel**2 + 1) + b.out_channels * (b.hidden + 1)
        if self.head_channels:
            total += self.head_channels * (self.blocks[-1].out_channels + 1)
        return total + self.num_classes * (self.last_channels + 1)


def _out(size: int, stride: int) -> int:
    """SAME padding: ceil(size / stride)."""
    return (size + stride - 1) // stride
