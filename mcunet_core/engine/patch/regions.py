"""Receptive-field arithmetic of a patch stage: which block of an op's input one block of its
output reads, and with which padding, so a patch computes exactly the whole tensor's values."""

from __future__ import annotations

from dataclasses import dataclass

from ...ir import Graph, Op, Padding2D
from ...ir.ops import AveragePool2D, Conv2D, DepthwiseConv2D, MaxPool2D


@dataclass(frozen=True)
class Box:
    """Rows ``[y0, y1)`` x columns ``[x0, x1)`` of an NHWC tensor."""

    y0: int
    y1: int
    x0: int
    x1: int

    @property
    def shape(self) -> tuple[int, int]:
        return self.y1 - self.y0, self.x1 - self.x0

    def union(self, other: "Box | None") -> "Box":
        if other is None:
            return self
        return Box(min(self.y0, other.y0), max(self.y1, other.y1), min(self.x0, other.x0), max(self.x1, other.x1))

    def within(self, outer: "Box") -> "Box":
        """This box in ``outer``'s coordinates."""
        return Box(self.y0 - outer.y0, self.y1 - outer.y0, self.x0 - outer.x0, self.x1 - outer.x0)


@dataclass(frozen=True)
class Window:
    """A windowed op's geometry per axis (rows, columns)."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    padding: Padding2D


def window_of(graph: Graph, op: Op) -> Window | None:
    """The window of a convolution, depthwise or pooling op; None for an element-wise op."""
    if isinstance(op, (Conv2D, DepthwiseConv2D)):
        w = graph.tensors[op.inputs[1]].shape
        return Window((w[1], w[2]), tuple(op.stride), tuple(op.dilation), op.padding)
    if isinstance(op, (AveragePool2D, MaxPool2D)):
        return Window(tuple(op.filter), tuple(op.stride), (1, 1), op.padding)
    return None


def _axis(o0: int, o1: int, size: int, k: int, s: int, d: int, before: int) -> tuple[int, int, int, int]:
    """(input start, end, padding before, after) that output positions ``[o0, o1)`` read."""
    lo = o0 * s - before
    hi = (o1 - 1) * s - before + (k - 1) * d + 1
    start, end = max(lo, 0), min(hi, size)
    return start, end, start - lo, hi - end


def window_input(out: Box, in_hw: tuple[int, int], window: Window) -> tuple[Box, Padding2D]:
    """The input block ``out`` reads, clipped to the tensor, and the padding of that block:
    the whole tensor's where the block meets its border, none inside (the halo is real data)."""
    y0, y1, top, bottom = _axis(out.y0, out.y1, in_hw[0], window.kernel[0], window.stride[0],
                                window.dilation[0], window.padding.top)
    x0, x1, left, right = _axis(out.x0, out.x1, in_hw[1], window.kernel[1], window.stride[1],
                                window.dilation[1], window.padding.left)
    return Box(y0, y1, x0, x1), Padding2D(top, bottom, left, right)


def grid_boxes(hw: tuple[int, int], grid: tuple[int, int]) -> list[Box]:
    """The stage output cut into ``grid`` (rows x columns) near-equal blocks, row-major."""
    (h, w), (r, c) = hw, grid
    ys = [i * h // r for i in range(r + 1)]
    xs = [j * w // c for j in range(c + 1)]
    return [Box(ys[i], ys[i + 1], xs[j], xs[j + 1]) for i in range(r) for j in range(c)]
