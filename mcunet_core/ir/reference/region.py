"""Region ops of patch-based inference: SLICE (a block of a tensor) and MCUNET_PASTE (a
block written into a canvas). Raw int8 moves, no requantization."""

from __future__ import annotations

import numpy as np

from ..ops import Paste, Slice
from .common import expect_shape, scale_zp, to_dtype
from .registry import kernel


def _block(origin, shape) -> tuple[slice, ...]:
    return tuple(slice(o, o + s) for o, s in zip(origin, shape))


@kernel(Slice)
def slice_(op: Slice, ins, outs, vals):
    y = vals[0][_block(op.begin, outs[0].shape)]
    expect_shape(op, outs[0], y.shape)
    return [to_dtype(y, outs[0])]


@kernel(Paste)
def paste(op: Paste, ins, outs, vals):
    canvas, patch = vals
    if canvas is None:
        fill = scale_zp(outs[0], "output", op)[1] if outs[0].quant is not None else 0
        canvas = np.full(outs[0].shape, fill, dtype=outs[0].dtype.numpy)
    y = np.array(canvas, copy=True)
    y[_block(op.origin, patch.shape)] = patch
    expect_shape(op, outs[0], y.shape)
    return [to_dtype(y, outs[0])]
