"""One converter per supported TFLite builtin, and the registry that lists them.

Each converter checks what its op may be (the constraints it registers are the
ones the support table prints) and returns the IR op; everything it reads
about tensors goes through :class:`OpCtx`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..ir.ops import (
    Add,
    AveragePool2D,
    Concatenation,
    Conv2D,
    DepthwiseConv2D,
    Dequantize,
    FullyConnected,
    HardSwish,
    Logistic,
    MaxPool2D,
    Mean,
    Mul,
    Op,
    Pad,
    Padding2D,
    Quantize,
    Reshape,
    ResizeNearestNeighbor,
    Softmax,
    Transpose,
    conv_output_hw,
)
from .tflite_context import OpCtx
from .tflite_flatbuffer import TT_FLOAT32, TT_INT4, TT_INT8, TT_INT32, TYPE_NAMES

__all__ = ["CONVERTERS", "Converter"]

Converter = Callable[[OpCtx], "Op | None"]


@dataclass
class _Entry:
    fn: Converter
    ir_ops: tuple[str, ...]
    constraints: tuple[str, ...] = field(default_factory=tuple)


#: TFLite builtin name -> converter (with its documented constraints, for the support table).
CONVERTERS: dict[str, _Entry] = {}


def _converter(opname: str, ir_ops: tuple[str, ...], *constraints: str):
    def deco(fn: Converter) -> Converter:
        CONVERTERS[opname] = _Entry(fn, ir_ops, tuple(constraints))
        return fn

    return deco


def _padding(ctx: OpCtx, code: int, in_hw, k_hw, s_hw, d_hw=(1, 1)) -> Padding2D:
    if code == 0:  # SAME
        return Padding2D.same(in_hw, k_hw, s_hw, d_hw)
    if code == 1:  # VALID
        return Padding2D()
    ctx.unsupported(f"padding mode {code}")


def _positive(ctx: OpCtx, **values: int) -> None:
    for k, v in values.items():
        if v <= 0:
            ctx.unsupported(f"{k} must be positive, got {v}")


def _check_hw(ctx: OpCtx, in_shape, k_hw, stride, dilation, padding, out_shape) -> None:
    oh, ow = conv_output_hw(in_shape[1:3], k_hw, stride, dilation, padding)
    if oh <= 0 or ow <= 0 or (oh, ow) != tuple(out_shape[1:3]):
        ctx.unsupported(f"output height/width {tuple(out_shape[1:3])} do not follow from the window (expected {(oh, ow)})")


def _bias(ctx: OpCtx, channels: int) -> str:
    if len(ctx.inputs) < 3 or ctx.inputs[2] < 0:
        return ""
    b = ctx.imp.raw(ctx.inputs[2])
    if b.type != TT_INT32:
        ctx.unsupported(f"bias {b.name!r} must be int32, got {TYPE_NAMES.get(b.type, b.type)}")
    if tuple(b.shape) != (channels,):
        ctx.unsupported(f"bias {b.name!r} has shape {b.shape}; expected ({channels},)")
    return ctx.t(ctx.inputs[2], const=True)


def _filter(ctx: OpCtx, idx: int, axis: int, channels: int, symmetric: bool = True) -> str:
    """``symmetric``: zero points must be 0 (conv, depthwise; FC only per channel; int4 always).
    int8 or int4 (TFLite's packed INT4, unpacked into the IR's int8 container)."""
    w = ctx.imp.raw(idx)
    if w.type not in (TT_INT8, TT_INT4):
        ctx.unsupported(f"filter {w.name!r} must be int8 or int4, got {TYPE_NAMES.get(w.type, w.type)}")
    if w.scale is None:
        ctx.unsupported(f"filter {w.name!r} is not quantized")
    symmetric = symmetric or w.type == TT_INT4
    name = ctx.t(idx, const=True, int4=True)
    q = ctx.imp.graph.tensors[name].quant
    if q.per_channel and (q.axis != axis or q.scale.size != channels):
        ctx.unsupported(f"filter {w.name!r} must be quantized per tensor or per channel along axis {axis}")
    if (symmetric or q.per_channel) and np.any(q.zero_point != 0):
        ctx.invalid(f"filter {w.name!r} has zero point {int(q.zero_point[q.zero_point != 0][0])}: "
                    f"{'per-channel ' if not symmetric else ''}filters are symmetric (zero points 0)")
    return name


@_converter(
    "CONV_2D",
    ("CONV_2D",),
    "int8 input/output (per-tensor), int8 or int4 (packed, two per byte) constant filter [O,KH,KW,C/groups] "
    "per-tensor or per-channel (axis 0) with zero zero-points, optional int32 bias",
    "any stride and dilation; SAME/VALID padding (or a folded PAD); fused NONE/RELU/RELU6/RELU_N1_TO_1",
)
def _conv(ctx: OpCtx) -> Op:
    ctx.arity(2, 3)
    x, w, out = ctx.inputs[0], ctx.inputs[1], ctx.outputs[0]
    ctx.int8_io(x, out)
    xs, ws, os_ = ctx.rank(x, 4), ctx.rank(w, 4), ctx.rank(out, 4)
    o = ctx.require(ctx.opt("Conv2DOptions", 1), "Conv2DOptions")
    stride = (int(o.StrideH()), int(o.StrideW()))
    dilation = (int(o.DilationHFactor()), int(o.DilationWFactor()))
    _positive(ctx, stride_h=stride[0], stride_w=stride[1], dilation_h=dilation[0], dilation_w=dilation[1])
    if ws[3] <= 0 or xs[3] % ws[3] or ws[0] % (xs[3] // ws[3]) or ws[0] != os_[3]:
        ctx.unsupported(f"filter {ws} does not match input depth {xs[3]} / output depth {os_[3]}")
    pad = _padding(ctx, int(o.Padding()), xs[1:3], ws[1:3], stride, dilation)
    _check_hw(ctx, xs, ws[1:3], stride, dilation, pad, os_)
    if os_[0] != xs[0]:
        ctx.unsupported("batch size changes")
    wn = _filter(ctx, w, 0, ws[0])
    return Conv2D(
        (ctx.t(x), wn, _bias(ctx, ws[0])),
        (ctx.t(out),),
        stride=stride,
        dilation=dilation,
        padding=pad,
        activation=ctx.activation(int(o.FusedActivationFunction())),
    )


@_converter(
    "DEPTHWISE_CONV_2D",
    ("DEPTHWISE_CONV_2D",),
    "int8 input/output, int8 or int4 (packed) constant filter [1,KH,KW,C*M] per-tensor or per-channel (axis 3), "
    "optional int32 bias",
    "any depth multiplier M, stride and dilation; SAME/VALID padding (or a folded PAD); fused NONE/RELU/RELU6/RELU_N1_TO_1",
)
def _depthwise(ctx: OpCtx) -> Op:
    ctx.arity(2, 3)
    x, w, out = ctx.inputs[0], ctx.inputs[1], ctx.outputs[0]
    ctx.int8_io(x, out)
    xs, ws, os_ = ctx.rank(x, 4), ctx.rank(w, 4), ctx.rank(out, 4)
    o = ctx.require(ctx.opt("DepthwiseConv2DOptions", 2), "DepthwiseConv2DOptions")
    stride = (int(o.StrideH()), int(o.StrideW()))
    dilation = (int(o.DilationHFactor()), int(o.DilationWFactor()))
    _positive(ctx, stride_h=stride[0], stride_w=stride[1], dilation_h=dilation[0], dilation_w=dilation[1])
    c, oc = xs[3], ws[3]
    if ws[0] != 1 or c <= 0 or oc % c or oc != os_[3]:
        ctx.unsupported(f"filter {ws} does not match input depth {c} / output depth {os_[3]}")
    pad = _padding(ctx, int(o.Padding()), xs[1:3], ws[1:3], stride, dilation)
    _check_hw(ctx, xs, ws[1:3], stride, dilation, pad, os_)
    if os_[0] != xs[0]:
        ctx.unsupported("batch size changes")
    wn = _filter(ctx, w, 3, oc)
    return DepthwiseConv2D(
        (ctx.t(x), wn, _bias(ctx, oc)),
        (ctx.t(out),),
        stride=stride,
        dilation=dilation,
        padding=pad,
        depth_multiplier=oc // c,
        activation=ctx.activation(int(o.FusedActivationFunction())),
    )


@_converter(
    "FULLY_CONNECTED",
    ("FULLY_CONNECTED",),
    "int8 input/output, int8 constant weights [O,K] (per-tensor with any zero point, or per-channel axis 0 with zero zero-points) "
    "or int4 (packed) ones (zero zero-points), "
    "optional int32 bias; default weights format; keep_num_dims either way; fused NONE/RELU/RELU6/RELU_N1_TO_1",
)
def _fully_connected(ctx: OpCtx) -> Op:
    ctx.arity(2, 3)
    x, w, out = ctx.inputs[0], ctx.inputs[1], ctx.outputs[0]
    ctx.int8_io(x, out)
    xs, ws, os_ = ctx.imp.shape(x), ctx.rank(w, 2), ctx.imp.shape(out)
    o = ctx.opt("FullyConnectedOptions", 8)
    act, keep, fmt = 0, False, 0
    if o is not None:
        act, keep, fmt = int(o.FusedActivationFunction()), bool(o.KeepNumDims()), int(o.WeightsFormat())
    if fmt != 0:
        ctx.unsupported("shuffled weights format")
    units, depth = ws
    size = int(np.prod(xs, dtype=object)) if xs else 1
    if depth <= 0 or size % depth:
        ctx.unsupported(f"input of {size} values is not a multiple of the weights depth {depth}")
    expected = tuple(xs[:-1]) + (units,) if keep else (size // depth, units)
    if keep and xs[-1] != depth:
        ctx.unsupported("keep_num_dims needs the input's last dimension to equal the weights depth")
    if tuple(os_) != expected:
        ctx.unsupported(f"output shape {tuple(os_)}; expected {expected}")
    wn = _filter(ctx, w, 0, units, symmetric=False)
    return FullyConnected(
        (ctx.t(x), wn, _bias(ctx, units)), (ctx.t(out),), activation=ctx.activation(act), keep_num_dims=keep
    )


def _pool(cls, ctx: OpCtx) -> Op:
    ctx.arity(1, 1)
    x, out = ctx.inputs[0], ctx.outputs[0]
    ctx.int8_io(x, out)
    xs, os_ = ctx.rank(x, 4), ctx.rank(out, 4)
    o = ctx.require(ctx.opt("Pool2DOptions", 5), "Pool2DOptions")
    stride = (int(o.StrideH()), int(o.StrideW()))
    filt = (int(o.FilterHeight()), int(o.FilterWidth()))
    _positive(ctx, stride_h=stride[0], stride_w=stride[1], filter_h=filt[0], filter_w=filt[1])
    pad = _padding(ctx, int(o.Padding()), xs[1:3], filt, stride)
    _check_hw(ctx, xs, filt, stride, (1, 1), pad, os_)
    if (os_[0], os_[3]) != (xs[0], xs[3]):
        ctx.unsupported("pooling changes batch or depth")
    ctx.same_quant(x, out, "int8 pooling does not rescale")
    return cls((ctx.t(x),), (ctx.t(out),), filter=filt, stride=stride, padding=pad,
               activation=ctx.activation(int(o.FusedActivationFunction())))


_POOL_CONSTRAINTS = ("int8 4-D input/output with identical scale and zero point; SAME/VALID; fused NONE/RELU/RELU6/RELU_N1_TO_1",)


@_converter("AVERAGE_POOL_2D", ("AVERAGE_POOL_2D",), *_POOL_CONSTRAINTS)
def _avg_pool(ctx: OpCtx) -> Op:
    return _pool(AveragePool2D, ctx)


@_converter("MAX_POOL_2D", ("MAX_POOL_2D",), *_POOL_CONSTRAINTS)
def _max_pool(ctx: OpCtx) -> Op:
    return _pool(MaxPool2D, ctx)


def _binary(cls, opts_name: str, opts_type: int, ctx: OpCtx) -> Op:
    ctx.arity(2, 2)
    a, b, out = ctx.inputs[0], ctx.inputs[1], ctx.outputs[0]
    ctx.int8_io(a, b, out)
    sa, sb, so = ctx.imp.shape(a), ctx.imp.shape(b), ctx.imp.shape(out)
    if max(len(sa), len(sb)) > 6:
        ctx.unsupported("more than 6 dimensions")
    try:
        shape = np.broadcast_shapes(sa, sb)
    except ValueError:
        ctx.unsupported("input shapes do not broadcast")
    if tuple(shape) != tuple(so):
        ctx.unsupported(f"output shape {tuple(so)}; broadcasting gives {tuple(shape)}")
    o = ctx.opt(opts_name, opts_type)
    act = int(o.FusedActivationFunction()) if o is not None else 0
    return cls((ctx.t(a), ctx.t(b)), (ctx.t(out),), activation=ctx.activation(act))


@_converter(
    "ADD", ("ADD",),
    "int8 inputs/output (per-tensor, any scales and zero points; a constant operand is fine), NumPy broadcasting up to 6-D; "
    "fused NONE/RELU/RELU6/RELU_N1_TO_1",
)
def _add(ctx: OpCtx) -> Op:
    return _binary(Add, "AddOptions", 11, ctx)


@_converter(
    "MUL", ("MUL",),
    "int8 inputs/output (per-tensor, any scales and zero points), NumPy broadcasting up to 6-D; fused NONE/RELU/RELU6/RELU_N1_TO_1",
)
def _mul(ctx: OpCtx) -> Op:
    return _binary(Mul, "MulOptions", 21, ctx)


@_converter("MEAN", ("MEAN",), "int8 input/output (any scales), constant int32 axes (negative allowed), keep_dims either way")
def _mean(ctx: OpCtx) -> Op:
    ctx.arity(2, 2)
    x, out = ctx.inputs[0], ctx.outputs[0]
    ctx.int8_io(x, out)
    rank = len(ctx.imp.shape(x))
    axes = ctx.const_ints(ctx.inputs[1], "axes")
    for a in axes:
        if not -rank <= a < rank:
            ctx.unsupported(f"axis {a} out of range")
    o = ctx.opt("ReducerOptions", 27)
    keep = bool(o.KeepDims()) if o is not None else False
    resolved = sorted({a % rank for a in axes}) if rank else []
    xs = ctx.imp.shape(x)
    expected = tuple(1 if i in resolved else d for i, d in enumerate(xs)) if keep else tuple(
        d for i, d in enumerate(xs) if i not in resolved
    )
    if tuple(ctx.imp.shape(out)) != expected:
        ctx.unsupported(f"output shape; expected {expected}")
    return Mean((ctx.t(x),), (ctx.t(out),), axes=tuple(axes), keep_dims=keep)


def _pad_common(ctx: OpCtx) -> Op:
    x, out = ctx.inputs[0], ctx.outputs[0]
    ctx.int8_io(x, out)
    xs = ctx.imp.shape(x)
    flat = ctx.const_ints(ctx.inputs[1], "paddings")
    if len(flat) != 2 * len(xs):
        ctx.unsupported(f"paddings hold {len(flat)} values for a rank-{len(xs)} input")
    pairs = tuple((flat[2 * i], flat[2 * i + 1]) for i in range(len(xs)))
    if any(a < 0 or b < 0 for a, b in pairs):
        ctx.unsupported("negative padding")
    if tuple(ctx.imp.shape(out)) != tuple(d + a + b for d, (a, b) in zip(xs, pairs)):
        ctx.unsupported("output shape does not match the paddings")
    ctx.same_quant(x, out, "int8 PAD copies values")
    return Pad((ctx.t(x),), (ctx.t(out),), paddings=pairs)


@_converter("PAD", ("PAD",), "int8 input/output with identical quantization, constant paddings (up to 5-D), pads with the zero point; "
            "folded into a following CONV_2D/DEPTHWISE_CONV_2D when it pads only H and W and feeds only that op")
def _pad(ctx: OpCtx) -> Op:
    ctx.arity(2, 2)
    return _pad_common(ctx)


@_converter("PADV2", ("PAD",), "as PAD, with a constant pad value equal to the output zero point")
def _padv2(ctx: OpCtx) -> Op:
    ctx.arity(2, 3)
    if len(ctx.inputs) == 3 and ctx.inputs[2] >= 0:
        value = ctx.const_ints(ctx.inputs[2], "constant_values")
        zp = ctx.imp.raw(ctx.outputs[0]).zero_point
        if len(value) != 1 or value[0] != (0 if zp is None else int(zp[0])):
            ctx.unsupported("pad value differs from the output zero point")
    return _pad_common(ctx)


def _move_quant(ctx: OpCtx, x: int, out: int) -> None:
    """Data-movement ops copy raw int8 values; they must not change quantization."""
    ctx.int8_io(x, out)
    ctx.same_quant(x, out, f"{ctx.opname} copies values")


@_converter("RESHAPE", ("RESHAPE",), "int8 input/output with identical quantization; the new shape is the output tensor's")
def _reshape(ctx: OpCtx) -> Op:
    ctx.arity(1, 2)
    x, out = ctx.inputs[0], ctx.outputs[0]
    _move_quant(ctx, x, out)
    if int(np.prod(ctx.imp.shape(x), dtype=object)) != int(np.prod(ctx.imp.shape(out), dtype=object)):
        ctx.unsupported("element counts differ")
    return Reshape((ctx.t(x),), (ctx.t(out),))


@_converter("SOFTMAX", ("SOFTMAX",), "int8 input, int8 output with zero point -128 and scale 1/256; over the last axis; any beta")
def _softmax(ctx: OpCtx) -> Op:
    ctx.arity(1, 1)
    x, out = ctx.inputs[0], ctx.outputs[0]
    ctx.int8_io(x, out)
    if tuple(ctx.imp.shape(x)) != tuple(ctx.imp.shape(out)) or not ctx.imp.shape(x):
        ctx.unsupported("output shape must equal the (non-scalar) input shape")
    t = ctx.imp.raw(out)
    zp = 0 if t.zero_point is None else int(t.zero_point[0])
    if zp != -128 or abs(float(t.scale[0]) - 1 / 256) > 0.001 / 256:
        ctx.unsupported("output must have zero point -128 and scale 1/256")
    o = ctx.opt("SoftmaxOptions", 9)
    beta = float(o.Beta()) if o is not None else 1.0
    return Softmax((ctx.t(x),), (ctx.t(out),), beta=beta)


@_converter("CONCATENATION", ("CONCATENATION",), "int8 inputs/output all with identical quantization; any axis; no fused activation")
def _concat(ctx: OpCtx) -> Op:
    if len(ctx.inputs) < 1 or len(ctx.outputs) != 1 or any(i < 0 for i in ctx.inputs):
        ctx.unsupported("expected one or more inputs and one output")
    out = ctx.outputs[0]
    for i in ctx.inputs:
        _move_quant(ctx, i, out)
    o = ctx.require(ctx.opt("ConcatenationOptions", 10), "ConcatenationOptions")
    if int(o.FusedActivationFunction()) != 0:
        ctx.unsupported("fused activation on CONCATENATION")
    shapes = [ctx.imp.shape(i) for i in ctx.inputs]
    rank = len(shapes[0])
    axis = int(o.Axis())
    if not -rank <= axis < rank:
        ctx.unsupported(f"axis {axis} out of range")
    axis %= rank
    if any(len(s) != rank or any(a != b for d, (a, b) in enumerate(zip(s, shapes[0])) if d != axis) for s in shapes):
        ctx.unsupported("input shapes differ outside the concatenation axis")
    expected = list(shapes[0])
    expected[axis] = sum(s[axis] for s in shapes)
    if tuple(expected) != tuple(ctx.imp.shape(out)):
        ctx.unsupported("output shape does not match")
    return Concatenation(tuple(ctx.t(i) for i in ctx.inputs), (ctx.t(out),), axis=axis)


@_converter("RESIZE_NEAREST_NEIGHBOR", ("RESIZE_NEAREST_NEIGHBOR",),
            "int8 4-D input/output with identical quantization, constant size; align_corners and half_pixel_centers either way")
def _resize_nearest(ctx: OpCtx) -> Op:
    ctx.arity(2, 2)
    x, out = ctx.inputs[0], ctx.outputs[0]
    _move_quant(ctx, x, out)
    xs, os_ = ctx.rank(x, 4), ctx.rank(out, 4)
    size = ctx.const_ints(ctx.inputs[1], "size")
    if len(size) != 2 or tuple(size) != tuple(os_[1:3]) or (os_[0], os_[3]) != (xs[0], xs[3]):
        ctx.unsupported(f"size {size} does not match the output shape")
    o = ctx.opt("ResizeNearestNeighborOptions", 74)
    ac = bool(o.AlignCorners()) if o is not None else False
    hp = bool(o.HalfPixelCenters()) if o is not None else False
    return ResizeNearestNeighbor((ctx.t(x),), (ctx.t(out),), align_corners=ac, half_pixel_centers=hp)


@_converter("TRANSPOSE", ("TRANSPOSE",), "int8 input/output with identical quantization, constant permutation, up to 6-D")
def _transpose(ctx: OpCtx) -> Op:
    ctx.arity(2, 2)
    x, out = ctx.inputs[0], ctx.outputs[0]
    _move_quant(ctx, x, out)
    xs = ctx.imp.shape(x)
    perm = ctx.const_ints(ctx.inputs[1], "perm")
    perm = [p % len(xs) if -len(xs) <= p < len(xs) else -1 for p in perm]
    if sorted(perm) != list(range(len(xs))) or len(xs) > 6:
        ctx.unsupported(f"permutation {perm} is not a permutation of {len(xs)} axes")
    if tuple(xs[p] for p in perm) != tuple(ctx.imp.shape(out)):
        ctx.unsupported("output shape does not match the permutation")
    return Transpose((ctx.t(x),), (ctx.t(out),), perm=tuple(perm))


@_converter("QUANTIZE", ("QUANTIZE",), "float32 -> int8 (model input edge) or int8 -> int8 requantization; per-tensor")
def _quantize(ctx: OpCtx) -> Op:
    ctx.arity(1, 1)
    x, out = ctx.inputs[0], ctx.outputs[0]
    ctx.int8_io(out)
    tx = ctx.imp.raw(x)
    if tx.type == TT_INT8:
        ctx.int8_io(x)
    elif tx.type != TT_FLOAT32:
        ctx.unsupported(f"input type {TYPE_NAMES.get(tx.type, tx.type)}")
    if tuple(ctx.imp.shape(x)) != tuple(ctx.imp.shape(out)):
        ctx.unsupported("shape changes")
    return Quantize((ctx.t(x),), (ctx.t(out),))


@_converter("DEQUANTIZE", ("DEQUANTIZE",), "int8 -> float32 (model output edge); per-tensor")
def _dequantize(ctx: OpCtx) -> Op:
    ctx.arity(1, 1)
    x, out = ctx.inputs[0], ctx.outputs[0]
    ctx.int8_io(x)
    if ctx.imp.raw(out).type != TT_FLOAT32:
        ctx.unsupported("output must be float32")
    if tuple(ctx.imp.shape(x)) != tuple(ctx.imp.shape(out)):
        ctx.unsupported("shape changes")
    return Dequantize((ctx.t(x),), (ctx.t(out, types=(TT_FLOAT32,)),))


@_converter("LOGISTIC", ("LOGISTIC",), "int8 input/output; output scale exactly 1/256 (lookup table built as TFLite does)")
def _logistic(ctx: OpCtx) -> Op:
    ctx.arity(1, 1)
    x, out = ctx.inputs[0], ctx.outputs[0]
    ctx.int8_io(x, out)
    if tuple(ctx.imp.shape(x)) != tuple(ctx.imp.shape(out)):
        ctx.unsupported("shape changes")
    if float(ctx.imp.raw(out).scale[0]) != 1.0 / 256:
        ctx.unsupported("output scale must be exactly 1/256")
    return Logistic((ctx.t(x),), (ctx.t(out),))


@_converter("HARD_SWISH", ("HARD_SWISH",), "int8 input/output; output scale not below input scale / 128")
def _hard_swish(ctx: OpCtx) -> Op:
    ctx.arity(1, 1)
    x, out = ctx.inputs[0], ctx.outputs[0]
    ctx.int8_io(x, out)
    if tuple(ctx.imp.shape(x)) != tuple(ctx.imp.shape(out)):
        ctx.unsupported("shape changes")
    tx, to = ctx.imp.raw(x), ctx.imp.raw(out)
    if np.float32(np.float32(1 / 128) * tx.scale[0]) / np.float32(to.scale[0]) >= 1.0:
        ctx.unsupported("output scale too small for the int16 fixed-point path")
    return HardSwish((ctx.t(x),), (ctx.t(out),))
