"""MLPerf Tiny's keyword-spotting DS-CNN as data: a strided KHxKW stem, then depthwise-separable
blocks (KxK depthwise, 1x1 pointwise, ReLU after each), average pool, classifier.

A second architecture family beside the MobileNetV2 ``Arch``, so a benchmark network trains,
quantizes and deploys through the same path as TinyNAS's networks (Zhang et al., Hello Edge,
arXiv:1711.07128; mlcommons/tiny, benchmark/training/keyword_spotting). Every block keeps the
stem's resolution (stride 1, SAME padding).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .arch import _out


def pair(value) -> tuple[int, int]:
    """A kernel written as one size (square) or as [kh, kw]."""
    if isinstance(value, (list, tuple)):
        kh, kw = value
        return int(kh), int(kw)
    return int(value), int(value)


@dataclass(frozen=True)
class DsCnnArch:
    name: str
    input_shape: tuple[int, int, int]  # H, W, C
    num_classes: int
    stem_channels: int
    stem_kernel: tuple[int, int]  # (kh, kw): MFCC maps are tall and narrow
    stem_stride: int
    block_channels: tuple[int, ...]  # the pointwise convolution's output channels, one per block
    block_kernel: int  # every depthwise convolution's (square) kernel
    dropout: float = 0.0  # before the classifier

    family: ClassVar[str] = "dscnn"

    @property
    def depth(self) -> int:
        return len(self.block_channels)

    @property
    def last_channels(self) -> int:
        return self.block_channels[-1] if self.block_channels else self.stem_channels

    def block_inputs(self) -> list[int]:
        """Each block's input channels (the depthwise convolution keeps them)."""
        return [self.stem_channels, *self.block_channels[:-1]]

    def feature_hw(self) -> tuple[int, int]:
        """(H, W) of every block: the stem's output under SAME padding."""
        h, w, _ = self.input_shape
        return _out(h, self.stem_stride), _out(w, self.stem_stride)

    # -- specs ------------------------------------------------------------------------------
    @classmethod
    def from_spec(cls, architecture: dict, input_shape, num_classes: int, name: str = "model") -> "DsCnnArch":
        """From the ``architecture:`` mapping of a ``family: dscnn`` model spec (schema-checked)."""
        blocks = architecture["blocks"]
        depth = blocks["depth"]
        channels = blocks["channels"] if isinstance(blocks["channels"], list) else [blocks["channels"]] * depth
        if len(channels) != depth:
            raise ValueError(f"blocks {blocks}: the channels list must have depth {depth} entries")
        head = architecture.get("head") or {}
        return cls(
            name=name,
            input_shape=tuple(int(d) for d in input_shape),
            num_classes=int(num_classes),
            stem_channels=architecture["stem"]["channels"],
            stem_kernel=pair(architecture["stem"]["kernel"]),
            stem_stride=architecture["stem"]["stride"],
            block_channels=tuple(channels),
            block_kernel=blocks["kernel"],
            dropout=float(head.get("dropout", 0.0) or 0.0),
        )

    def to_spec(self) -> dict:
        """The ``architecture:`` mapping of a model spec describing this network."""
        same = len(set(self.block_channels)) == 1
        return {
            "family": self.family,
            "stem": {"channels": self.stem_channels, "kernel": list(self.stem_kernel), "stride": self.stem_stride},
            "blocks": {"channels": self.block_channels[0] if same else list(self.block_channels),
                       "depth": self.depth, "kernel": self.block_kernel},
            "head": {"pool": "avg", "dropout": self.dropout},
        }

    # -- figures: exactly what mcunet_core.ir.stats counts on its graph (pooling aside) -------
    def macs(self) -> int:
        h, w = self.feature_hw()
        kh, kw = self.stem_kernel
        total = h * w * self.stem_channels * kh * kw * self.input_shape[2]
        for cin, cout in zip(self.block_inputs(), self.block_channels):
            total += h * w * cin * self.block_kernel**2 + h * w * cin * cout
        return total + self.last_channels * self.num_classes

    def params(self) -> int:
        kh, kw = self.stem_kernel
        total = self.stem_channels * (kh * kw * self.input_shape[2] + 1)
        for cin, cout in zip(self.block_inputs(), self.block_channels):
            total += cin * (self.block_kernel**2 + 1) + cout * (cin + 1)
        return total + self.num_classes * (self.last_channels + 1)
