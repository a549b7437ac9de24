"""CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED (reference_integer_ops kernels).

Accumulation: sum over the window of filter * (input - input_zero_point), with
padded positions contributing nothing (TFLite skips them, which equals padding
with the input zero point); + bias; int32 wrap; MultiplyByQuantizedMultiplier
per output channel; + output zero point; fused-activation clamp.

FULLY_CONNECTED is the exception in litert's reference build: its int8 kernel
rescales with ``round(double(acc) * in_scale * w_scale / out_scale)``, not with a
fixed-point multiplier (see mcunet_core.quant.params.fc_effective_scales).

Products are accumulated in float64 matrix products: every partial sum is an
integer below 2**53, so they are exact and fast.
"""

from __future__ import annotations

import numpy as np

from ...errors import UnsupportedError
from ...quant import (
    conv_output_multipliers,
    fc_effective_scales,
    multiply_by_quantized_multiplier,
    rescale_double_round,
    wrap_int32,
)
from ..ops import Conv2D, DepthwiseConv2D, FullyConnected, conv_output_hw
from .common import clamp_range, expect_shape, quant_of, scale_zp, window_slices
from .registry import kernel


def _pad_input(x: np.ndarray, zp: int, padding) -> np.ndarray:
    xo = x.astype(np.int64) - zp
    if padding.is_zero:
        return xo
    return np.pad(xo, ((0, 0), (padding.top, padding.bottom), (padding.left, padding.right), (0, 0)))


def _requantize(acc, bias, mult, shift, out_zp, lo, hi):
    if bias is not None:
        acc = acc + bias.astype(np.int64)
    acc = wrap_int32(acc)
    out = multiply_by_quantized_multiplier(acc, mult, shift) + out_zp
    return np.clip(out, lo, hi).astype(np.int8)


def _weight_zero_point_is_zero(op, w_t) -> None:
    q = quant_of(w_t, "filter", op)
    if np.any(q.zero_point != 0):
        raise UnsupportedError(f"{op.OPCODE}: filter {w_t.name!r} has a non-zero zero point")


@kernel(Conv2D)
def conv2d(op: Conv2D, ins, outs, vals):
    x_t, w_t = ins[0], ins[1]
    out_t = outs[0]
    x, w = vals[0], vals[1]
    bias = vals[2] if len(vals) > 2 else None
    n, h, wd, c = x.shape
    o, kh, kw, cg = w.shape
    if cg == 0 or c % cg or o % (c // cg):
        raise UnsupportedError(f"CONV_2D: input depth {c} is not a multiple of filter depth {cg}")
    groups = c // cg
    og = o // groups
    sh, sw = op.stride
    dh, dw = op.dilation
    oh, ow = conv_output_hw((h, wd), (kh, kw), op.stride, op.dilation, op.padding)
    expect_shape(op, out_t, (n, oh, ow, o))
    _weight_zero_point_is_zero(op, w_t)
    in_scale, in_zp = scale_zp(x_t, "input", op)
    out_scale, out_zp = scale_zp(out_t, "output", op)
    mult, shift = conv_output_multipliers(in_scale, quant_of(w_t, "filter", op).scale, out_scale, num_channels=o)

    xp = _pad_input(x, in_zp, op.padding).astype(np.float64)
    wf = w.astype(np.float64)
    acc = np.zeros((n, oh, ow, o), dtype=np.float64)
    for ky in range(kh):
        rows = window_slices(oh, sh, ky * dh)
        for kx in range(kw):
            patch = xp[:, rows, window_slices(ow, sw, kx * dw), :]
            for g in range(groups):
                acc[..., g * og:(g + 1) * og] += patch[..., g * cg:(g + 1) * cg] @ wf[g * og:(g + 1) * og, ky, kx, :].T
    lo, hi = clamp_range(op, out_t)
    return [_requantize(acc.astype(np.int64), bias, mult, shift, out_zp, lo, hi)]


@kernel(DepthwiseConv2D)
def depthwise_conv2d(op: DepthwiseConv2D, ins, outs, vals):
    x_t, w_t = ins[0], ins[1]
    out_t = outs[0]
    x, w = vals[0], vals[1]
    bias = vals[2] if len(vals) > 2 else None
    n, h, wd, c = x.shape
    one, kh, kw, oc = w.shape
    m = op.depth_multiplier
    if one != 1 or oc != c * m:
        raise UnsupportedError(f"DEPTHWISE_CONV_2D: filter {w.shape} does not match input depth {c} x multiplier {m}")
    sh, sw = op.stride
    dh, dw = op.dilation
    oh, ow = conv_output_hw((h, wd), (kh, kw), op.stride, op.dilation, op.padding)
    expect_shape(op, out_t, (n, oh, ow, oc))
    _weight_zero_point_is_zero(op, w_t)
    in_scale, in_zp = scale_zp(x_t, "input", op)
    out_scale, out_zp = scale_zp(out_t, "output", op)
    mult, shift = conv_output_multipliers(in_scale, quant_of(w_t, "filter", op).scale, out_scale, num_channels=oc)

    xp = _pad_input(x, in_zp, op.padding)
    if m > 1:  # output channel ic * m + k reads input channel ic
        xp = np.repeat(xp, m, axis=-1)
    wi = w.astype(np.int64)[0]
    acc = np.zeros((n, oh, ow, oc), dtype=np.int64)
    for ky in range(kh):
        rows = window_slices(oh, sh, ky * dh)
        for kx in range(kw):
            acc += xp[:, rows, window_slices(ow, sw, kx * dw), :] * wi[ky, kx]
    lo, hi = clamp_range(op, out_t)
    return [_requantize(acc, bias, mult, shift, out_zp, lo, hi)]


@kernel(FullyConnected)
def fully_connected(op: FullyConnected, ins, outs, vals):
    x_t, w_t = ins[0], ins[1]
    out_t = outs[0]
    x, w = vals[0], vals[1]
    bias = vals[2] if len(vals) > 2 else None
    units, depth = w.shape
    if x.size % depth:
        raise UnsupportedError(f"FULLY_CONNECTED: input of {x.size} values is not a multiple of depth {depth}")
    rows = x.size // depth
    if op.keep_num_dims:
        expect_shape(op, out_t, x.shape[:-1] + (units,))
    else:
        expect_shape(op, out_t, (rows, units))
    in_scale, in_zp = scale_zp(x_t, "input", op)
    out_scale, out_zp = scale_zp(out_t, "output", op)
    wq = quant_of(w_t, "filter", op)
    if wq.per_channel:
        # FullyConnectedPerChannel: weights are symmetric, zero points are not used.
        w_zp = 0
        scales = fc_effective_scales(in_scale, wq.scale, out_scale)
    else:
        w_zp = int(wq.zero_point[0])
        scales = np.repeat(fc_effective_scales(in_scale, wq.scale, out_scale), units)
    xo = x.reshape(rows, depth).astype(np.float64) - in_zp
    wo = w.astype(np.float64) - w_zp
    acc = (xo @ wo.T).astype(np.int64)
    if bias is not None:
        acc = acc + bias.astype(np.int64)
    acc = wrap_int32(acc)
    lo, hi = clamp_range(op, out_t)
    out = np.clip(rescale_double_round(acc, scales) + out_zp, lo, hi).astype(np.int8)
    return [out.reshape(out_t.shape)]
