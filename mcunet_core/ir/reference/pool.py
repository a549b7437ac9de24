"""AVERAGE_POOL_2D and MAX_POOL_2D (reference_integer_ops pooling).

Windows are clipped to the input: padding never enters a maximum or an average,
and the average divides by the number of real input values, rounding half away
from zero (``(acc +- count/2) / count`` with C division).
"""

from __future__ import annotations

import numpy as np

from ..graph import GraphError
from ..ops import AveragePool2D, MaxPool2D, conv_output_hw
from .common import clamp_range, expect_shape, window_slices
from .registry import kernel


def _windows(op, x: np.ndarray, out_t, fill):
    n, h, w, c = x.shape
    kh, kw = op.filter
    sh, sw = op.stride
    oh, ow = conv_output_hw((h, w), (kh, kw), op.stride, (1, 1), op.padding)
    expect_shape(op, out_t, (n, oh, ow, c))
    p = op.padding
    xp = np.pad(x, ((0, 0), (p.top, p.bottom), (p.left, p.right), (0, 0)), constant_values=fill)
    inside = np.pad(np.ones((h, w), dtype=np.int64), ((p.top, p.bottom), (p.left, p.right)))
    for ky in range(kh):
        rows = window_slices(oh, sh, ky)
        for kx in range(kw):
            cols = window_slices(ow, sw, kx)
            yield xp[:, rows, cols, :], inside[rows, cols]


@kernel(AveragePool2D)
def average_pool(op: AveragePool2D, ins, outs, vals):
    x = vals[0].astype(np.int64)
    acc = None
    count = None
    for patch, inside in _windows(op, x, outs[0], 0):
        acc = patch.copy() if acc is None else acc + patch
        count = inside.copy() if count is None else count + inside
    if np.any(count == 0):
        raise GraphError("AVERAGE_POOL_2D: a window lies entirely in the padding")
    cnt = count[None, :, :, None]
    half = cnt // 2
    avg = np.where(acc > 0, (acc + half) // cnt, -((half - acc) // cnt))
    lo, hi = clamp_range(op, outs[0])
    return [np.clip(avg, lo, hi).astype(np.int8)]


@kernel(MaxPool2D)
def max_pool(op: MaxPool2D, ins, outs, vals):
    x = vals[0].astype(np.int64)
    best = None
    for patch, _ in _windows(op, x, outs[0], -(1 << 15)):
        best = patch.copy() if best is None else np.maximum(best, patch)
    best = np.maximum(best, -128)  # TFLite starts from the int8 minimum
    lo, hi = clamp_range(op, outs[0])
    return [np.clip(best, lo, hi).astype(np.int8)]
