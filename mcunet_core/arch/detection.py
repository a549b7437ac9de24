"""A detector as data: an mbv2 backbone (``Arch``, its classifier unused) with YOLO-style
heads tapping the backbone at the task's strides.

Level l reads the output of the last block whose total stride is ``strides[l]`` (MCUNet's
detector: strides 8, 16, 32), then runs a head block (3x3 depthwise + BN + ReLU6, 1x1 to
``head_channels`` + BN + ReLU6) and a 1x1 prediction convolution with bias to
``anchors x (5 + classes)`` channels: per anchor x, y, w, h, objectness, then the classes.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UserError
from .arch import Arch, _out

OUTPUTS_PER_ANCHOR = 5  # x, y, w, h, objectness (then one per class)


@dataclass(frozen=True)
class DetectionArch:
    backbone: Arch
    num_classes: int
    strides: tuple[int, ...]
    anchors: tuple[int, ...]  # per level, how many
    head_channels: int | None = None  # None: each level's feature channels

    @classmethod
    def for_task(cls, backbone: Arch, spec) -> "DetectionArch":
        """The heads a ``DetectionSpec`` declares on ``backbone``."""
        arch = cls(backbone, spec.classes, tuple(spec.strides), tuple(len(a) for a in spec.anchors), spec.head_channels)
        arch.taps()  # a backbone that misses a stride fails here
        return arch

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return self.backbone.input_shape

    @property
    def name(self) -> str:
        return self.backbone.name

    def level_outputs(self, level: int) -> int:
        return self.anchors[level] * (OUTPUTS_PER_ANCHOR + self.num_classes)

    def taps(self) -> list[int]:
        """Per level, the index into ``backbone.blocks`` whose output it reads."""
        total, last = self.backbone.stem_stride, {}
        for i, b in enumerate(self.backbone.blocks):
            total *= b.stride
            last[total] = i
        missing = [s for s in self.strides if s not in last]
        if missing:
            raise UserError(f"backbone {self.backbone.name}: no block output at stride {', '.join(map(str, missing))} "
                            f"for the detection heads (its strides: {', '.join(map(str, sorted(last)))})")
        return [last[s] for s in self.strides]

    def level_shapes(self) -> list[tuple[int, int, int]]:
        """(H, W, outputs) of each level's prediction."""
        h, w, _ = self.input_shape
        return [(_stride_out(h, s), _stride_out(w, s), self.level_outputs(i)) for i, s in enumerate(self.strides)]

    def tap_channels(self) -> list[int]:
        blocks = self.backbone.blocks
        return [blocks[i].out_channels for i in self.taps()]

    def head_widths(self) -> list[int]:
        return [self.head_channels or c for c in self.tap_channels()]


def _stride_out(size: int, stride: int) -> int:
    """SAME padding through a chain of stride-2 layers: ceil at each step."""
    while stride > 1:
        size, stride = _out(size, 2), stride // 2
    return size
