"""Seeded generators of small random .tflite models, one family per supported op.

Each generator takes a ``numpy.random.Generator`` and returns a :class:`Case`:
the flatbuffer bytes plus inputs to feed. Quantization parameters are random
(per-channel scales, zero points, activations, strides, paddings, dilations),
with output scales chosen so that results do not all saturate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tflite_builder import (
    ModelBuilder,
    add_options,
    concat_options,
    conv2d_options,
    depthwise_options,
    empty_options,
    fc_options,
    mul_options,
    pool_options,
    reducer_options,
    reshape_options,
    resize_nearest_options,
    softmax_options,
)

ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]


@dataclass
class Case:
    model: bytes
    inputs: list[np.ndarray]
    info: dict = field(default_factory=dict)


def act_quant(rng) -> tuple[float, int]:
    return float(10 ** rng.uniform(-2.3, -0.7)), int(rng.integers(-128, 128))


def int8_input(rng, shape) -> np.ndarray:
    x = rng.integers(-128, 128, size=shape)
    flat = x.reshape(-1)
    if flat.size > 4:  # make sure the extremes occur
        flat[rng.integers(flat.size)] = -128
        flat[rng.integers(flat.size)] = 127
    return x.astype(np.int8)


def _finish(mb: ModelBuilder, ins, outs, rng, info, float_inputs=None) -> Case:
    data = mb.finish(ins, outs)
    arrays = []
    for i in ins:
        t = mb.tensors[i]
        if t.type == "float32":
            arrays.append((rng.normal(size=t.shape) * float_inputs).astype(np.float32))
        else:
            arrays.append(int8_input(rng, t.shape))
    return Case(data, arrays, info)


def _out_scale(rng, in_scale, w_scale, fan_in, w_typical=73.0) -> float:
    acc_real = np.sqrt(max(fan_in, 1)) * 74.0 * w_typical * in_scale * w_scale
    return float(acc_real * rng.uniform(0.3, 3.0) / 64.0)


def _pad_mode(rng, in_hw, eff_k) -> str:
    if rng.random() < 0.5 and all(h >= k for h, k in zip(in_hw, eff_k)):
        return "VALID"
    return "SAME"


def _out_hw(mode, in_hw, eff_k, stride):
    if mode == "SAME":
        return tuple((h + s - 1) // s for h, s in zip(in_hw, stride))
    return tuple((h - k + s) // s for h, k, s in zip(in_hw, eff_k, stride))


def _weights(rng, shape, channels, axis, per_channel, dtype="int8"):
    """Random filter values and scales; int4 ones span -8..7 (TFLite's INT4)."""
    w = rng.integers(-8, 8, size=shape) if dtype == "int4" else rng.integers(-127, 128, size=shape)
    if per_channel:
        scale = 10 ** rng.uniform(-3, -1.3, size=channels)
    else:
        scale = np.array([10 ** rng.uniform(-3, -1.3)])
    return w, scale


def _bias(mb, rng, in_scale, w_scale, channels, fan_in, optional=True):
    """A random int32 bias (scale in_scale * w_scale), or None (no bias input) now and then.

    litert's int8 CONV_2D insists on a bias, so convolutions pass ``optional=False``.
    """
    if optional and rng.random() < 0.15:
        return None
    bscale = (np.float32(in_scale) * w_scale.astype(np.float32)).astype(np.float32)
    data = rng.integers(-1, 2, size=channels) * rng.integers(0, 2000 * int(np.sqrt(fan_in)) + 1, size=channels)
    return mb.tensor([channels], "int32", scale=bscale, zero_point=np.zeros(bscale.size), data=data)


def _with_bias(*inputs):
    return [i for i in inputs if i is not None]


def _w_typical(dtype: str) -> float:
    return 4.6 if dtype == "int4" else 73.0


def gen_conv(rng, *, groups_ok=True, pad_op=False, wtype="int8") -> Case:
    mb = ModelBuilder()
    n = 1 if rng.random() < 0.8 else 2
    h, w = (int(v) for v in rng.integers(1, 12, size=2))
    groups = int(rng.choice([1, 1, 1, 2])) if groups_ok else 1
    cg = int(rng.integers(1, 6))
    cin = cg * groups
    cout = groups * int(rng.integers(1, 5))
    kh, kw = (int(v) for v in rng.integers(1, 5, size=2))
    stride = tuple(int(v) for v in rng.integers(1, 4, size=2))
    dilation = tuple(int(v) for v in rng.choice([1, 1, 2, 3], size=2))
    in_s, in_z = act_quant(rng)
    pads = None
    if pad_op:
        pads = [(0, 0), tuple(int(v) for v in rng.integers(0, 3, size=2)), tuple(int(v) for v in rng.integers(0, 3, size=2)), (0, 0)]
    ph = h + (pads[1][0] + pads[1][1] if pads else 0)
    pw = w + (pads[2][0] + pads[2][1] if pads else 0)
    eff = ((kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1)
    mode = "VALID" if pad_op and ph >= eff[0] and pw >= eff[1] else _pad_mode(rng, (ph, pw), eff)
    oh, ow = _out_hw(mode, (ph, pw), eff, stride)
    per_channel = rng.random() < 0.7
    wdata, wscale = _weights(rng, (cout, kh, kw, cg), cout, 0, per_channel, wtype)
    x = mb.tensor([n, h, w, cin], "int8", scale=in_s, zero_point=in_z)
    conv_in = x
    if pads:
        conv_in = mb.tensor([n, ph, pw, cin], "int8", scale=in_s, zero_point=in_z)
        p = mb.tensor([4, 2], "int32", data=np.array(pads))
        mb.op("PAD", [x, p], [conv_in], *empty_options("PadOptions"))
    wt = mb.tensor([cout, kh, kw, cg], wtype, scale=wscale, zero_point=np.zeros(wscale.size), data=wdata)
    b = _bias(mb, rng, in_s, wscale, cout, kh * kw * cg, optional=False)
    out_s = _out_scale(rng, in_s, float(np.mean(wscale)), kh * kw * cg, _w_typical(wtype))
    y = mb.tensor([n, oh, ow, cout], "int8", scale=out_s, zero_point=int(rng.integers(-128, 128)))
    act = str(rng.choice(ACTS))
    mb.op("CONV_2D", _with_bias(conv_in, wt, b), [y], *conv2d_options(mode, stride, dilation, act))
    return _finish(mb, [x], [y], rng, dict(mode=mode, stride=stride, dilation=dilation, groups=groups, pads=pads,
                                          wtype=wtype))


def gen_conv_pad(rng) -> Case:
    return gen_conv(rng, groups_ok=False, pad_op=True)


def gen_conv_int4(rng) -> Case:
    return gen_conv(rng, wtype="int4")


def gen_depthwise(rng, pad_op=False, wtype="int8") -> Case:
    mb = ModelBuilder()
    h, w = (int(v) for v in rng.integers(1, 12, size=2))
    c = int(rng.integers(1, 7))
    m = int(rng.choice([1, 1, 2, 3]))
    kh, kw = (int(v) for v in rng.integers(1, 5, size=2))
    stride = tuple(int(v) for v in rng.integers(1, 4, size=2))
    dilation = tuple(int(v) for v in rng.choice([1, 1, 2], size=2))
    in_s, in_z = act_quant(rng)
    pads = None
    if pad_op:
        pads = [(0, 0), tuple(int(v) for v in rng.integers(0, 3, size=2)), tuple(int(v) for v in rng.integers(0, 3, size=2)), (0, 0)]
    ph = h + (pads[1][0] + pads[1][1] if pads else 0)
    pw = w + (pads[2][0] + pads[2][1] if pads else 0)
    eff = ((kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1)
    mode = _pad_mode(rng, (ph, pw), eff)
    oh, ow = _out_hw(mode, (ph, pw), eff, stride)
    per_channel = rng.random() < 0.7
    wdata, wscale = _weights(rng, (1, kh, kw, c * m), c * m, 3, per_channel, wtype)
    x = mb.tensor([1, h, w, c], "int8", scale=in_s, zero_point=in_z)
    conv_in = x
    if pads:
        conv_in = mb.tensor([1, ph, pw, c], "int8", scale=in_s, zero_point=in_z)
        p = mb.tensor([4, 2], "int64", data=np.array(pads))
        mb.op("PAD", [x, p], [conv_in], *empty_options("PadOptions"))
    wt = mb.tensor([1, kh, kw, c * m], wtype, scale=wscale, zero_point=np.zeros(wscale.size), data=wdata,
                   quantized_dimension=3)
    b = _bias(mb, rng, in_s, wscale, c * m, kh * kw)
    out_s = _out_scale(rng, in_s, float(np.mean(wscale)), kh * kw, _w_typical(wtype))
    y = mb.tensor([1, oh, ow, c * m], "int8", scale=out_s, zero_point=int(rng.integers(-128, 128)))
    act = str(rng.choice(ACTS))
    mb.op("DEPTHWISE_CONV_2D", _with_bias(conv_in, wt, b), [y], *depthwise_options(mode, stride, dilation, m, act))
    return _finish(mb, [x], [y], rng, dict(mode=mode, stride=stride, dilation=dilation, multiplier=m, pads=pads,
                                          wtype=wtype))


def gen_depthwise_pad(rng) -> Case:
    return gen_depthwise(rng, pad_op=True)


def gen_depthwise_int4(rng) -> Case:
    return gen_depthwise(rng, wtype="int4")


def gen_fc(rng, wtype="int8") -> Case:
    mb = ModelBuilder()
    rank = int(rng.integers(2, 5))
    shape = [int(v) for v in rng.integers(1, 5, size=rank)]
    depth = shape[-1] = int(rng.integers(1, 40))
    units = int(rng.integers(1, 12))
    keep = bool(rng.random() < 0.3)
    in_s, in_z = act_quant(rng)
    per_channel = rng.random() < 0.3
    wdata, wscale = _weights(rng, (units, depth), units, 0, per_channel, wtype)
    wzp = np.zeros(wscale.size, dtype=np.int64)
    x = mb.tensor(shape, "int8", scale=in_s, zero_point=in_z)
    wt = mb.tensor([units, depth], wtype, scale=wscale, zero_point=wzp, data=wdata)
    b = _bias(mb, rng, in_s, wscale, units, depth)
    out_s = _out_scale(rng, in_s, float(np.mean(wscale)), depth, _w_typical(wtype))
    rows = int(np.prod(shape[:-1]))
    out_shape = shape[:-1] + [units] if keep else [rows, units]
    y = mb.tensor(out_shape, "int8", scale=out_s, zero_point=int(rng.integers(-128, 128)))
    mb.op("FULLY_CONNECTED", _with_bias(x, wt, b), [y], *fc_options(str(rng.choice(ACTS)), keep))
    return _finish(mb, [x], [y], rng, dict(keep=keep, per_channel=per_channel, wtype=wtype))


def gen_fc_int4(rng) -> Case:
    return gen_fc(rng, wtype="int4")


def _gen_pool(rng, opname) -> Case:
    mb = ModelBuilder()
    h, w = (int(v) for v in rng.integers(1, 12, size=2))
    c = int(rng.integers(1, 6))
    filt = tuple(int(v) for v in rng.integers(1, 5, size=2))
    stride = tuple(int(v) for v in rng.integers(1, 4, size=2))
    mode = _pad_mode(rng, (h, w), filt)
    oh, ow = _out_hw(mode, (h, w), filt, stride)
    s, z = act_quant(rng)
    x = mb.tensor([1, h, w, c], "int8", scale=s, zero_point=z)
    y = mb.tensor([1, oh, ow, c], "int8", scale=s, zero_point=z)
    mb.op(opname, [x], [y], *pool_options(mode, stride, filt, str(rng.choice(ACTS))))
    return _finish(mb, [x], [y], rng, dict(mode=mode, filter=filt, stride=stride))


def gen_avg_pool(rng) -> Case:
    return _gen_pool(rng, "AVERAGE_POOL_2D")


def gen_max_pool(rng) -> Case:
    return _gen_pool(rng, "MAX_POOL_2D")


def _broadcast_pair(rng):
    rank = int(rng.integers(1, 5))
    base = [int(v) for v in rng.integers(1, 6, size=rank)]
    other = [1 if rng.random() < 0.4 else d for d in base]
    drop = int(rng.integers(0, rank)) if rng.random() < 0.3 else 0
    other = other[drop:] or [1]
    return (base, other) if rng.random() < 0.5 else (other, base)


def _gen_binary(rng, opname, options) -> Case:
    mb = ModelBuilder()
    sa, sb = _broadcast_pair(rng)
    out_shape = list(np.broadcast_shapes(tuple(sa), tuple(sb)))
    (s1, z1), (s2, z2) = act_quant(rng), act_quant(rng)
    a = mb.tensor(sa, "int8", scale=s1, zero_point=z1)
    const_b = rng.random() < 0.2
    b = mb.tensor(sb, "int8", scale=s2, zero_point=z2, data=int8_input(rng, sb) if const_b else None)
    if opname == "ADD":
        so = float((max(s1, s2) * 2) * rng.uniform(0.4, 2.5))
    else:
        so = float(s1 * s2 * 128 * rng.uniform(0.3, 3.0))
    y = mb.tensor(out_shape, "int8", scale=so, zero_point=int(rng.integers(-128, 128)))
    mb.op(opname, [a, b], [y], *options(str(rng.choice(ACTS))))
    ins = [a] if const_b else [a, b]
    return _finish(mb, ins, [y], rng, dict(shapes=(sa, sb), const=const_b))


def gen_add(rng) -> Case:
    return _gen_binary(rng, "ADD", add_options)


def gen_mul(rng) -> Case:
    return _gen_binary(rng, "MUL", mul_options)


def gen_mean(rng) -> Case:
    mb = ModelBuilder()
    rank = int(rng.integers(1, 5))
    shape = [int(v) for v in rng.integers(1, 8, size=rank)]
    if rank == 4 and rng.random() < 0.5:
        axes = [1, 2]
    else:
        k = int(rng.integers(1, rank + 1))
        axes = [int(a) for a in rng.choice(rank, size=k, replace=False)]
    axes = [a - rank if rng.random() < 0.3 else a for a in axes]
    keep = bool(rng.random() < 0.5)
    resolved = {a % rank for a in axes}
    out_shape = [1 if i in resolved else d for i, d in enumerate(shape)] if keep else [
        d for i, d in enumerate(shape) if i not in resolved]
    s, z = act_quant(rng)
    if rng.random() < 0.3:
        so, zo = s, z
    else:
        so, zo = float(s * rng.uniform(0.2, 2.0)), int(rng.integers(-128, 128))
    x = mb.tensor(shape, "int8", scale=s, zero_point=z)
    ax = mb.tensor([len(axes)], "int32", data=np.array(axes))
    y = mb.tensor(out_shape, "int8", scale=so, zero_point=zo)
    mb.op("MEAN", [x, ax], [y], *reducer_options(keep))
    return _finish(mb, [x], [y], rng, dict(axes=axes, keep=keep))


def gen_pad(rng) -> Case:
    mb = ModelBuilder()
    rank = int(rng.integers(1, 5))
    shape = [int(v) for v in rng.integers(1, 6, size=rank)]
    pads = rng.integers(0, 3, size=(rank, 2))
    s, z = act_quant(rng)
    x = mb.tensor(shape, "int8", scale=s, zero_point=z)
    p = mb.tensor([rank, 2], "int32", data=pads)
    y = mb.tensor([d + a + b for d, (a, b) in zip(shape, pads)], "int8", scale=s, zero_point=z)
    mb.op("PAD", [x, p], [y], *empty_options("PadOptions"))
    return _finish(mb, [x], [y], rng, dict(pads=pads.tolist()))


def gen_padv2(rng) -> Case:
    """PADV2 whose pad value is the zero point, sometimes feeding a depthwise conv (folded)."""
    mb = ModelBuilder()
    h, w, c = (int(v) for v in rng.integers(1, 7, size=3))
    pads = np.array([[0, 0], rng.integers(0, 3, size=2), rng.integers(0, 3, size=2), [0, int(rng.integers(0, 2))]])
    s, z = act_quant(rng)
    x = mb.tensor([1, h, w, c], "int8", scale=s, zero_point=z)
    p = mb.tensor([4, 2], "int32", data=pads)
    v = mb.tensor([1], "int8", scale=s, zero_point=z, data=np.array([z]))
    shape = [d + a + b for d, (a, b) in zip([1, h, w, c], pads)]
    y = mb.tensor(shape, "int8", scale=s, zero_point=z)
    mb.op("PADV2", [x, p, v], [y], *empty_options("PadV2Options"))
    if rng.random() < 0.5:
        return _finish(mb, [x], [y], rng, dict(pads=pads.tolist()))
    cc = shape[3]
    wd, ws = _weights(rng, (1, 3, 3, cc), cc, 3, True)
    wt = mb.tensor([1, 3, 3, cc], "int8", scale=ws, zero_point=np.zeros(cc), data=wd, quantized_dimension=3)
    b = _bias(mb, rng, s, ws, cc, 9, optional=False)
    oh, ow = _out_hw("SAME", shape[1:3], (3, 3), (1, 1))
    y2 = mb.tensor([1, oh, ow, cc], "int8", scale=_out_scale(rng, s, float(np.mean(ws)), 9), zero_point=0)
    mb.op("DEPTHWISE_CONV_2D", _with_bias(y, wt, b), [y2], *depthwise_options("SAME", (1, 1), (1, 1), 1, "RELU"))
    return _finish(mb, [x], [y2], rng, dict(pads=pads.tolist(), conv=True))


def gen_reshape(rng) -> Case:
    mb = ModelBuilder()
    shape = [int(v) for v in rng.integers(1, 6, size=int(rng.integers(1, 5)))]
    total = int(np.prod(shape))
    new = [total]
    for f in (2, 3, 5):
        if new[-1] % f == 0 and rng.random() < 0.5:
            new = new[:-1] + [new[-1] // f, f]
    rng.shuffle(new)
    s, z = act_quant(rng)
    x = mb.tensor(shape, "int8", scale=s, zero_point=z)
    st = mb.tensor([len(new)], "int32", data=np.array(new))
    y = mb.tensor(new, "int8", scale=s, zero_point=z)
    mb.op("RESHAPE", [x, st], [y], *reshape_options(new))
    return _finish(mb, [x], [y], rng, dict(new=new))


def gen_softmax(rng) -> Case:
    mb = ModelBuilder()
    rank = int(rng.integers(1, 5))
    shape = [int(v) for v in rng.integers(1, 4, size=rank)]
    shape[-1] = int(rng.integers(1, 33))
    s = float(10 ** rng.uniform(-2.5, 0))
    z = int(rng.integers(-128, 128))
    beta = float(rng.choice([1.0, 1.0, rng.uniform(0.2, 3.0)]))
    x = mb.tensor(shape, "int8", scale=s, zero_point=z)
    y = mb.tensor(shape, "int8", scale=1.0 / 256, zero_point=-128)
    mb.op("SOFTMAX", [x], [y], *softmax_options(beta))
    return _finish(mb, [x], [y], rng, dict(beta=beta, scale=s))


def gen_concat(rng) -> Case:
    mb = ModelBuilder()
    rank = int(rng.integers(1, 5))
    base = [int(v) for v in rng.integers(1, 5, size=rank)]
    axis = int(rng.integers(0, rank))
    k = int(rng.integers(1, 4))
    s, z = act_quant(rng)
    ins = []
    total = 0
    for _ in range(k):
        shp = list(base)
        shp[axis] = int(rng.integers(1, 4))
        total += shp[axis]
        ins.append(mb.tensor(shp, "int8", scale=s, zero_point=z))
    out = list(base)
    out[axis] = total
    y = mb.tensor(out, "int8", scale=s, zero_point=z)
    ax = axis - rank if rng.random() < 0.3 else axis
    mb.op("CONCATENATION", ins, [y], *concat_options(ax))
    return _finish(mb, ins, [y], rng, dict(axis=ax))


def gen_resize_nearest(rng) -> Case:
    mb = ModelBuilder()
    h, w, c = (int(v) for v in rng.integers(1, 7, size=3))
    oh, ow = (int(v) for v in rng.integers(1, 13, size=2))
    mode = int(rng.integers(0, 3))
    align, half = mode == 1, mode == 2
    s, z = act_quant(rng)
    x = mb.tensor([1, h, w, c], "int8", scale=s, zero_point=z)
    size = mb.tensor([2], "int32", data=np.array([oh, ow]))
    y = mb.tensor([1, oh, ow, c], "int8", scale=s, zero_point=z)
    mb.op("RESIZE_NEAREST_NEIGHBOR", [x, size], [y], *resize_nearest_options(align, half))
    return _finish(mb, [x], [y], rng, dict(size=(oh, ow), align=align, half=half))


def gen_transpose(rng) -> Case:
    mb = ModelBuilder()
    rank = int(rng.integers(1, 6))
    shape = [int(v) for v in rng.integers(1, 5, size=rank)]
    perm = [int(p) for p in rng.permutation(rank)]
    s, z = act_quant(rng)
    x = mb.tensor(shape, "int8", scale=s, zero_point=z)
    pt = mb.tensor([rank], "int32", data=np.array(perm))
    y = mb.tensor([shape[p] for p in perm], "int8", scale=s, zero_point=z)
    mb.op("TRANSPOSE", [x, pt], [y], *empty_options("TransposeOptions"))
    return _finish(mb, [x], [y], rng, dict(perm=perm))


def gen_quantize(rng) -> Case:
    mb = ModelBuilder()
    shape = [int(v) for v in rng.integers(1, 6, size=int(rng.integers(1, 5)))]
    so, zo = act_quant(rng)
    if rng.random() < 0.6:
        x = mb.tensor(shape, "float32")
        y = mb.tensor(shape, "int8", scale=so, zero_point=zo)
        mb.op("QUANTIZE", [x], [y], *empty_options("QuantizeOptions"))
        return _finish(mb, [x], [y], rng, dict(kind="float"), float_inputs=so * 60)
    si, zi = act_quant(rng)
    x = mb.tensor(shape, "int8", scale=si, zero_point=zi)
    y = mb.tensor(shape, "int8", scale=so, zero_point=zo)
    mb.op("QUANTIZE", [x], [y], *empty_options("QuantizeOptions"))
    return _finish(mb, [x], [y], rng, dict(kind="requantize"))


def gen_dequantize(rng) -> Case:
    mb = ModelBuilder()
    shape = [int(v) for v in rng.integers(1, 6, size=int(rng.integers(1, 5)))]
    s, z = act_quant(rng)
    x = mb.tensor(shape, "int8", scale=s, zero_point=z)
    y = mb.tensor(shape, "float32")
    mb.op("DEQUANTIZE", [x], [y], *empty_options("DequantizeOptions"))
    return _finish(mb, [x], [y], rng, {})


def gen_logistic(rng) -> Case:
    mb = ModelBuilder()
    shape = [int(v) for v in rng.integers(1, 9, size=int(rng.integers(1, 5)))]
    s = float(10 ** rng.uniform(-2.5, -0.3))
    z = int(rng.integers(-128, 128))
    x = mb.tensor(shape, "int8", scale=s, zero_point=z)
    y = mb.tensor(shape, "int8", scale=1.0 / 256, zero_point=-128)
    mb.op("LOGISTIC", [x], [y])
    case = _finish(mb, [x], [y], rng, dict(scale=s, zp=z))
    case.inputs = [np.resize(np.arange(-128, 128, dtype=np.int8), shape)] + case.inputs[1:]
    return case


def gen_hard_swish(rng) -> Case:
    mb = ModelBuilder()
    shape = [int(v) for v in rng.integers(1, 9, size=int(rng.integers(1, 5)))]
    s = float(10 ** rng.uniform(-2.5, -0.5))
    z = int(rng.integers(-128, 128))
    so = float(s * rng.uniform(0.02, 3.0))
    zo = int(rng.integers(-128, 128))
    x = mb.tensor(shape, "int8", scale=s, zero_point=z)
    y = mb.tensor(shape, "int8", scale=so, zero_point=zo)
    mb.op("HARD_SWISH", [x], [y])
    case = _finish(mb, [x], [y], rng, dict(scale=s, out_scale=so))
    case.inputs = [np.resize(np.arange(-128, 128, dtype=np.int8), shape)]
    return case


def gen_chain(rng) -> Case:
    """Float in -> QUANTIZE -> CONV(RELU6) -> DW -> ADD(residual) -> MEAN -> FC -> SOFTMAX -> DEQUANTIZE -> float out."""
    mb = ModelBuilder()
    h = w = int(rng.integers(4, 10))
    c = int(rng.integers(2, 6))
    xf = mb.tensor([1, h, w, 3], "float32", name="image")
    s0, z0 = act_quant(rng)
    x = mb.tensor([1, h, w, 3], "int8", scale=s0, zero_point=z0)
    mb.op("QUANTIZE", [xf], [x], *empty_options("QuantizeOptions"))
    wd, ws = _weights(rng, (c, 3, 3, 3), c, 0, True)
    wt = mb.tensor([c, 3, 3, 3], "int8", scale=ws, zero_point=np.zeros(c), data=wd)
    b = _bias(mb, rng, s0, ws, c, 27, optional=False)
    s1 = _out_scale(rng, s0, float(np.mean(ws)), 27)
    y1 = mb.tensor([1, h, w, c], "int8", scale=s1, zero_point=-128)
    mb.op("CONV_2D", _with_bias(x, wt, b), [y1], *conv2d_options("SAME", (1, 1), (1, 1), "RELU6"))
    wd2, ws2 = _weights(rng, (1, 3, 3, c), c, 3, True)
    wt2 = mb.tensor([1, 3, 3, c], "int8", scale=ws2, zero_point=np.zeros(c), data=wd2, quantized_dimension=3)
    b2 = _bias(mb, rng, s1, ws2, c, 9)
    s2 = _out_scale(rng, s1, float(np.mean(ws2)), 9)
    y2 = mb.tensor([1, h, w, c], "int8", scale=s2, zero_point=int(rng.integers(-20, 20)))
    mb.op("DEPTHWISE_CONV_2D", _with_bias(y1, wt2, b2), [y2], *depthwise_options("SAME", (1, 1), (1, 1), 1, "NONE"))
    s3 = float(max(s1, s2) * 2)
    y3 = mb.tensor([1, h, w, c], "int8", scale=s3, zero_point=int(rng.integers(-20, 20)))
    mb.op("ADD", [y1, y2], [y3], *add_options("RELU"))
    ax = mb.tensor([2], "int32", data=np.array([1, 2]))
    y4 = mb.tensor([1, c], "int8", scale=s3 * 0.5, zero_point=-100)
    mb.op("MEAN", [y3, ax], [y4], *reducer_options(False))
    units = int(rng.integers(2, 8))
    wd3, ws3 = _weights(rng, (units, c), units, 0, False)
    wt3 = mb.tensor([units, c], "int8", scale=ws3, zero_point=[0], data=wd3)
    b3 = _bias(mb, rng, s3 * 0.5, ws3, units, c)
    y5 = mb.tensor([1, units], "int8", scale=_out_scale(rng, s3 * 0.5, float(ws3[0]), c), zero_point=3)
    mb.op("FULLY_CONNECTED", _with_bias(y4, wt3, b3), [y5], *fc_options("NONE"))
    y6 = mb.tensor([1, units], "int8", scale=1.0 / 256, zero_point=-128)
    mb.op("SOFTMAX", [y5], [y6], *softmax_options(1.0))
    yf = mb.tensor([1, units], "float32", name="probabilities")
    mb.op("DEQUANTIZE", [y6], [yf], *empty_options("DequantizeOptions"))
    mb.opcode("TANH")  # an opcode-table entry no operator uses
    return _finish(mb, [xf], [yf], rng, {}, float_inputs=s0 * 60)


GENERATORS = {
    "conv": gen_conv,
    "conv_pad": gen_conv_pad,
    "conv_int4": gen_conv_int4,
    "depthwise": gen_depthwise,
    "depthwise_pad": gen_depthwise_pad,
    "depthwise_int4": gen_depthwise_int4,
    "fully_connected": gen_fc,
    "fully_connected_int4": gen_fc_int4,
    "average_pool": gen_avg_pool,
    "max_pool": gen_max_pool,
    "add": gen_add,
    "mul": gen_mul,
    "mean": gen_mean,
    "pad": gen_pad,
    "padv2": gen_padv2,
    "reshape": gen_reshape,
    "softmax": gen_softmax,
    "concatenation": gen_concat,
    "resize_nearest": gen_resize_nearest,
    "transpose": gen_transpose,
    "quantize": gen_quantize,
    "dequantize": gen_dequantize,
    "logistic": gen_logistic,
    "hard_swish": gen_hard_swish,
    "chain": gen_chain,
}
