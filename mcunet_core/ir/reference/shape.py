"""Data-movement ops: PAD, RESHAPE, TRANSPOSE, CONCATENATION, RESIZE_NEAREST_NEIGHBOR.

TFLite moves the raw int8 values (no requantization); PAD fills with the
output zero point.
"""

from __future__ import annotations

import numpy as np

from ...errors import UnsupportedError
from ..ops import Concatenation, Pad, Reshape, ResizeNearestNeighbor, Transpose
from .common import expect_shape, scale_zp, to_dtype
from .registry import kernel


@kernel(Pad)
def pad(op: Pad, ins, outs, vals):
    x = vals[0]
    if len(op.paddings) != x.ndim:
        raise UnsupportedError(f"PAD: {len(op.paddings)} padding pairs for a rank-{x.ndim} input")
    fill = scale_zp(outs[0], "output", op)[1] if outs[0].quant is not None else 0
    y = np.pad(x, [tuple(p) for p in op.paddings], constant_values=fill)
    expect_shape(op, outs[0], y.shape)
    return [to_dtype(y, outs[0])]


@kernel(Reshape)
def reshape(op: Reshape, ins, outs, vals):
    x = vals[0]
    if x.size != outs[0].size:
        raise UnsupportedError(f"RESHAPE: cannot reshape {x.shape} to {outs[0].shape}")
    return [to_dtype(x.reshape(outs[0].shape), outs[0])]


@kernel(Transpose)
def transpose(op: Transpose, ins, outs, vals):
    y = np.transpose(vals[0], op.perm)
    expect_shape(op, outs[0], y.shape)
    return [to_dtype(y, outs[0])]


@kernel(Concatenation)
def concatenation(op: Concatenation, ins, outs, vals):
    y = np.concatenate(list(vals), axis=op.axis)
    expect_shape(op, outs[0], y.shape)
    return [to_dtype(y, outs[0])]


def nearest_indices(in_size: int, out_size: int, align_corners: bool, half_pixel_centers: bool) -> np.ndarray:
    """reference_ops::GetNearestNeighbor for every output coordinate (float32 arithmetic)."""
    f32 = np.float32
    if align_corners and out_size > 1:
        scale = f32(in_size - 1) / f32(out_size - 1)
    else:
        scale = f32(in_size) / f32(out_size)
    offset = f32(0.5) if half_pixel_centers else f32(0.0)
    pos = (np.arange(out_size, dtype=np.float32) + offset) * scale
    if align_corners:
        t = np.trunc(pos)
        idx = t + np.where(np.abs(pos - t) >= f32(0.5), np.sign(pos), f32(0))
    else:
        idx = np.floor(pos)
    idx = np.minimum(idx.astype(np.int64), in_size - 1)
    if half_pixel_centers:
        idx = np.maximum(idx, 0)
    return idx


@kernel(ResizeNearestNeighbor)
def resize_nearest(op: ResizeNearestNeighbor, ins, outs, vals):
    x = vals[0]
    n, h, w, c = x.shape
    on, oh, ow, oc = outs[0].shape
    if (on, oc) != (n, c):
        raise UnsupportedError(f"RESIZE_NEAREST_NEIGHBOR: {x.shape} -> {outs[0].shape} changes batch or depth")
    ys = nearest_indices(h, oh, op.align_corners, op.half_pixel_centers)
    xs = nearest_indices(w, ow, op.align_corners, op.half_pixel_centers)
    return [to_dtype(x[:, ys][:, :, xs], outs[0])]
