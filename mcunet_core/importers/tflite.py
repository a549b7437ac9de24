"""TFLite flatbuffer -> int8 graph IR, parsed with the ``tflite`` package.

What real models contain and this importer accepts:

- opcode-table entries no operator uses (ignored);
- old models whose 1-D per-channel bias tensors carry ``quantized_dimension`` 3
  (TFLite 2.x refuses them, TFLite Micro accepts them; so do we: axis 0);
- float input/output with QUANTIZE / DEQUANTIZE at the edges;
- explicit PAD before CONV_2D / DEPTHWISE_CONV_2D, folded into the convolution's
  explicit padding when that is exact (same quantization on both sides of the
  PAD, padding only height and width, the padded tensor read by that op only);
- SAME / VALID padding, rewritten as explicit :class:`Padding2D`.

An op or shape outside the support table raises :class:`UnsupportedError`
naming the op, its index and its input/output shapes; a malformed or truncated
file raises :class:`UserError`, never another exception.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import UnsupportedError, UserError
from ..ir.graph import Graph, GraphError
from ..ir.ops import (
    Activation,
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
from ..ir.tensor import DType, QuantParams, Tensor

__all__ = ["import_tflite", "CONVERTERS", "Converter"]

_IDENTIFIER = b"TFL3"
_SCHEMA_VERSION = 3

# tflite.TensorType values
_TT_FLOAT32, _TT_INT32, _TT_UINT8, _TT_INT64, _TT_INT16, _TT_INT8, _TT_INT4 = 0, 2, 3, 4, 7, 9, 17
_TYPE_NAMES = {
    0: "float32", 1: "float16", 2: "int32", 3: "uint8", 4: "int64", 5: "string", 6: "bool", 7: "int16",
    8: "complex64", 9: "int8", 10: "float64", 11: "complex128", 12: "uint64", 13: "resource", 14: "variant",
    15: "uint32", 16: "uint16", 17: "int4",
}
_IR_DTYPES = {_TT_FLOAT32: DType.FLOAT32, _TT_INT32: DType.INT32, _TT_INT16: DType.INT16, _TT_INT8: DType.INT8}
_NP_CONST = {_TT_INT32: "<i4", _TT_INT64: "<i8", _TT_INT8: "i1", _TT_INT16: "<i2", _TT_FLOAT32: "<f4", _TT_UINT8: "u1"}

# tflite.ActivationFunctionType
_ACTIVATIONS = {0: Activation.NONE, 1: Activation.RELU, 2: Activation.RELU_N1_TO_1, 3: Activation.RELU6}
_ACT_NAMES = {4: "TANH", 5: "SIGN_BIT"}


def _builtin_names() -> dict[int, str]:
    import tflite

    return {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_") and isinstance(v, int)}


# ----------------------------------------------------------------------------------------------
# Raw flatbuffer view (every access may raise on a corrupt file; callers wrap it)
# ----------------------------------------------------------------------------------------------


@dataclass
class _RawTensor:
    index: int
    name: str
    shape: tuple[int, ...]
    type: int
    buffer: int
    scale: np.ndarray | None
    zero_point: np.ndarray | None
    quantized_dimension: int
    is_variable: bool
    sparse: bool


@dataclass
class _RawOp:
    index: int
    opname: str
    version: int
    inputs: list[int]
    outputs: list[int]
    options_type: int
    options: object  # flatbuffers Table or None
    custom: bool


def _ints(vec) -> list[int]:
    if isinstance(vec, int):  # the tflite package returns 0 for an absent vector
        return []
    return [int(v) for v in vec]


class _Model:
    """Eagerly decoded view of the main subgraph (bounded by the file size)."""

    def __init__(self, buf: bytes):
        import tflite

        self.buf = buf
        model = tflite.Model.GetRootAs(buf, 0)
        self.version = int(model.Version())
        n_sub = model.SubgraphsLength()
        if n_sub < 1:
            raise UserError("the model has no subgraph")
        names = _builtin_names()
        self.opcodes: list[tuple[str, int, bool]] = []
        for i in range(model.OperatorCodesLength()):
            oc = model.OperatorCodes(i)
            code = max(int(oc.BuiltinCode()), int(oc.DeprecatedBuiltinCode()))
            name = names.get(code, f"BUILTIN_{code}")
            custom = name == "CUSTOM"
            if custom:
                cc = oc.CustomCode()
                name = "CUSTOM:" + (cc.decode("utf-8", "replace") if cc else "?")
            self.opcodes.append((name, int(oc.Version()), custom))
        self.n_buffers = model.BuffersLength()
        self._buffers: dict[int, bytes | None] = {}
        # Touch every buffer table (used or not) so that a truncated file fails here,
        # the way TFLite's flatbuffer verifier refuses it, instead of importing silently.
        for i in range(self.n_buffers):
            b = model.Buffers(i)
            n = b.DataLength()
            if n:
                b.Data(n - 1)
            off, size = int(b.Offset()), int(b.Size())
            if off > 1 and off + size > len(buf):
                raise UserError(f"buffer {i} lies beyond the end of the file")
        for i in range(model.MetadataLength()):
            model.Metadata(i).Buffer()
        model.Description()
        self._model = model
        sg = model.Subgraphs(0)
        self.tensors: list[_RawTensor] = []
        for i in range(sg.TensorsLength()):
            t = sg.Tensors(i)
            q = t.Quantization()
            scale = zp = None
            qdim = 0
            if q is not None:
                if q.ScaleLength() > 0:
                    scale = np.array(q.ScaleAsNumpy(), dtype=np.float32).reshape(-1)
                if q.ZeroPointLength() > 0:
                    zp = np.array(q.ZeroPointAsNumpy(), dtype=np.int64).reshape(-1)
                qdim = int(q.QuantizedDimension())
            raw_name = t.Name()
            self.tensors.append(
                _RawTensor(
                    index=i,
                    name=raw_name.decode("utf-8", "replace") if raw_name else "",
                    shape=tuple(_ints(t.ShapeAsNumpy())),
                    type=int(t.Type()),
                    buffer=int(t.Buffer()),
                    scale=scale,
                    zero_point=zp,
                    quantized_dimension=qdim,
                    is_variable=bool(t.IsVariable()),
                    sparse=t.Sparsity() is not None,
                )
            )
        self.inputs = _ints(sg.InputsAsNumpy())
        self.outputs = _ints(sg.OutputsAsNumpy())
        self.ops: list[_RawOp] = []
        for i in range(sg.OperatorsLength()):
            op = sg.Operators(i)
            oi = int(op.OpcodeIndex())
            if not 0 <= oi < len(self.opcodes):
                raise UserError(f"operator {i} uses opcode index {oi}, the table has {len(self.opcodes)}")
            name, version, custom = self.opcodes[oi]
            self.ops.append(
                _RawOp(
                    index=i,
                    opname=name,
                    version=version,
                    inputs=_ints(op.InputsAsNumpy()),
                    outputs=_ints(op.OutputsAsNumpy()),
                    options_type=int(op.BuiltinOptionsType()),
                    options=op.BuiltinOptions(),
                    custom=custom,
                )
            )
        n_t = len(self.tensors)
        for where, idxs in (("subgraph inputs", self.inputs), ("subgraph outputs", self.outputs)):
            for t in idxs:
                if not 0 <= t < n_t:
                    raise UserError(f"{where} reference tensor {t}, the subgraph has {n_t}")
        for op in self.ops:
            for t in op.inputs:
                if t != -1 and not 0 <= t < n_t:
                    raise UserError(f"operator {op.index} ({op.opname}) reads tensor {t}, the subgraph has {n_t}")
            for t in op.outputs:
                if not 0 <= t < n_t:
                    raise UserError(f"operator {op.index} ({op.opname}) writes tensor {t}, the subgraph has {n_t}")

    def buffer_bytes(self, index: int) -> bytes | None:
        if index == 0:
            return None
        if index in self._buffers:
            return self._buffers[index]
        data = self._buffer_bytes(index)
        self._buffers[index] = data
        return data

    def _buffer_bytes(self, index: int) -> bytes | None:
        if not 0 <= index < self.n_buffers:
            raise UserError(f"buffer index {index} out of range ({self.n_buffers} buffers)")
        b = self._model.Buffers(index)
        offset, size = int(b.Offset()), int(b.Size())
        if offset > 1:
            if offset + size > len(self.buf):
                raise UserError(f"buffer {index} lies beyond the end of the file")
            return self.buf[offset:offset + size] if size else None
        n = b.DataLength()
        if n == 0:
            return None
        data = b.DataAsNumpy()
        return bytes(np.asarray(data, dtype=np.uint8))


# ----------------------------------------------------------------------------------------------
# Conversion context
# ----------------------------------------------------------------------------------------------


class _Importer:
    def __init__(self, model: _Model, name: str):
        self.m = model
        self.graph = Graph(name=name)
        self.names: dict[int, str] = {}
        self.op_origin: list[list[int]] = []
        used: dict[str, int] = {}
        for t in model.tensors:
            base = t.name or f"t{t.index}"
            if base in used:
                base = f"{base}#{t.index}"
            used[base] = t.index
            self.names[t.index] = base

    # -- tensors -----------------------------------------------------------------------------

    def shape(self, idx: int) -> tuple[int, ...] | None:
        return None if idx < 0 else self.m.tensors[idx].shape

    def raw(self, idx: int) -> _RawTensor:
        return self.m.tensors[idx]

    def const_array(self, idx: int, ctx: "OpCtx", what: str) -> np.ndarray:
        t = self.raw(idx)
        data = self.m.buffer_bytes(t.buffer)
        if data is None:
            ctx.unsupported(f"{what} must be a constant tensor")
        if t.type not in _NP_CONST:
            ctx.unsupported(f"{what} has unsupported type {_TYPE_NAMES.get(t.type, t.type)}")
        dt = np.dtype(_NP_CONST[t.type])
        count = 1
        for d in t.shape:
            if d < 0:
                raise UserError(f"tensor {t.index} has a negative dimension {t.shape}")
            count *= d
        if count * dt.itemsize != len(data):
            raise UserError(
                f"tensor {t.index} ({t.name!r}): buffer holds {len(data)} bytes, shape {t.shape} needs {count * dt.itemsize}"
            )
        return np.frombuffer(data, dtype=dt).astype(dt.newbyteorder("="), copy=True).reshape(t.shape)

    def is_const(self, idx: int) -> bool:
        return idx >= 0 and self.m.buffer_bytes(self.raw(idx).buffer) is not None

    def quant(self, t: _RawTensor, ctx: "OpCtx") -> QuantParams | None:
        if t.scale is None:
            return None
        scale = t.scale
        zp = t.zero_point if t.zero_point is not None else np.zeros(scale.shape, dtype=np.int64)
        if zp.size == 1 and scale.size > 1:
            zp = np.repeat(zp, scale.size)
        if zp.size != scale.size:
            raise UserError(f"tensor {t.index} ({t.name!r}): {scale.size} scales but {zp.size} zero points")
        if not np.all(np.isfinite(scale)) or np.any(scale < 0):
            raise UserError(f"tensor {t.index} ({t.name!r}): invalid quantization scale")
        if scale.size == 1:
            return QuantParams(scale, zp, None)
        axis = t.quantized_dimension
        rank = len(t.shape)
        if not 0 <= axis < rank or t.shape[axis] != scale.size:
            # Old converters wrote quantized_dimension 3 on 1-D per-channel bias vectors.
            if rank == 1 and t.shape[0] == scale.size:
                axis = 0
            else:
                ctx.unsupported(
                    f"tensor {t.name!r} has {scale.size} per-channel scales along axis {t.quantized_dimension} of shape {t.shape}"
                )
        return QuantParams(scale, zp, axis)

    def tensor(self, idx: int, ctx: "OpCtx", *, const: bool | None = None, types=None) -> str:
        """IR name of TFLite tensor ``idx``, registering it on first use."""
        t = self.raw(idx)
        if types is not None and t.type not in types:
            ctx.unsupported(
                f"tensor {t.name!r} has type {_TYPE_NAMES.get(t.type, t.type)}; "
                f"expected {'/'.join(_TYPE_NAMES[x] for x in types)}"
            )
        name = self.names[idx]
        if name in self.graph.tensors:
            return name
        if t.type not in _IR_DTYPES:
            ctx.unsupported(f"tensor {t.name!r} has unsupported type {_TYPE_NAMES.get(t.type, t.type)}")
        if t.is_variable:
            ctx.unsupported(f"tensor {t.name!r} is a variable tensor")
        if t.sparse:
            ctx.unsupported(f"tensor {t.name!r} is sparse")
        if any(d <= 0 for d in t.shape):
            ctx.unsupported(f"tensor {t.name!r} has a non-positive or dynamic dimension {t.shape}")
        data = None
        if self.m.buffer_bytes(t.buffer) is not None:
            data = self.const_array(idx, ctx, f"tensor {t.name!r}")
        if const is True and data is None:
            ctx.unsupported(f"tensor {t.name!r} must be constant")
        self.graph.add_tensor(Tensor(name, t.shape, _IR_DTYPES[t.type], self.quant(t, ctx), data))
        self.graph.meta.setdefault("tensor_index", {})[name] = idx
        return name


@dataclass
class OpCtx:
    """What a converter sees of one TFLite operator."""

    imp: _Importer
    raw: _RawOp
    options: object = None

    @property
    def index(self) -> int:
        return self.raw.index

    @property
    def opname(self) -> str:
        return self.raw.opname

    @property
    def inputs(self) -> list[int]:
        return self.raw.inputs

    @property
    def outputs(self) -> list[int]:
        return self.raw.outputs

    def shapes(self) -> str:
        fmt = lambda idxs: ", ".join("-" if i < 0 else str(list(self.imp.shape(i))) for i in idxs)  # noqa: E731
        return f"inputs ({fmt(self.inputs)}) -> outputs ({fmt(self.outputs)})"

    def unsupported(self, reason: str):
        raise UnsupportedError(f"op {self.index} ({self.opname}): {reason}; {self.shapes()}")

    def arity(self, min_in: int, max_in: int, n_out: int = 1) -> None:
        if not min_in <= len(self.inputs) <= max_in or len(self.outputs) != n_out:
            n_in = str(min_in) if min_in == max_in else f"{min_in} to {max_in}"
            self.unsupported(f"expected {n_in} input(s) and {n_out} output(s)")
        for i in self.inputs[:min_in]:
            if i < 0:
                self.unsupported("a required input is missing")

    def rank(self, idx: int, *ranks: int) -> tuple[int, ...]:
        s = self.imp.shape(idx)
        if len(s) not in ranks:
            self.unsupported(f"tensor {self.imp.raw(idx).name!r} has rank {len(s)}; expected {' or '.join(map(str, ranks))}")
        return s

    def activation(self, code: int) -> Activation:
        if code not in _ACTIVATIONS:
            self.unsupported(f"fused activation {_ACT_NAMES.get(code, code)}")
        return _ACTIVATIONS[code]

    def int8_io(self, *idxs: int) -> None:
        for i in idxs:
            t = self.imp.raw(i)
            if t.type != _TT_INT8:
                self.unsupported(f"tensor {t.name!r} is {_TYPE_NAMES.get(t.type, t.type)}; only int8 activations are supported")
            if t.scale is None:
                self.unsupported(f"tensor {t.name!r} is not quantized")
            if t.scale.size != 1:
                self.unsupported(f"activation tensor {t.name!r} must be per-tensor quantized")

    def same_quant(self, a: int, b: int, why: str) -> None:
        ta, tb = self.imp.raw(a), self.imp.raw(b)
        za = 0 if ta.zero_point is None else int(ta.zero_point[0])
        zb = 0 if tb.zero_point is None else int(tb.zero_point[0])
        if np.float32(ta.scale[0]) != np.float32(tb.scale[0]) or za != zb:
            self.unsupported(f"{why}: {ta.name!r} and {tb.name!r} must share scale and zero point")

    def const_ints(self, idx: int, what: str) -> list[int]:
        if idx < 0:
            self.unsupported(f"{what} is missing")
        arr = self.imp.const_array(idx, self, what)
        if arr.dtype.kind != "i":
            self.unsupported(f"{what} must be an integer tensor")
        return [int(v) for v in arr.reshape(-1)]

    def t(self, idx: int, **kw) -> str:
        return self.imp.tensor(idx, self, **kw)

    def opt(self, cls_name: str, options_type: int | None):
        """Decode the builtin options table as ``tflite.<cls_name>`` (None when absent)."""
        import tflite

        if self.raw.options is None:
            return None
        if options_type is not None and self.raw.options_type != options_type:
            raise UserError(f"operator {self.index} ({self.opname}) carries options type {self.raw.options_type}")
        obj = getattr(tflite, cls_name)()
        obj.Init(self.raw.options.Bytes, self.raw.options.Pos)
        return obj

    def require(self, obj, what: str):
        if obj is None:
            self.unsupported(f"missing {what}")
        return obj


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
    if b.type != _TT_INT32:
        ctx.unsupported(f"bias {b.name!r} must be int32, got {_TYPE_NAMES.get(b.type, b.type)}")
    if tuple(b.shape) != (channels,):
        ctx.unsupported(f"bias {b.name!r} has shape {b.shape}; expected ({channels},)")
    return ctx.t(ctx.inputs[2], const=True)


def _filter(ctx: OpCtx, idx: int, axis: int, channels: int) -> str:
    w = ctx.imp.raw(idx)
    if w.type != _TT_INT8:
        ctx.unsupported(f"filter {w.name!r} must be int8, got {_TYPE_NAMES.get(w.type, w.type)}")
    if w.scale is None:
        ctx.unsupported(f"filter {w.name!r} is not quantized")
    name = ctx.t(idx, const=True)
    q = ctx.imp.graph.tensors[name].quant
    if q.per_channel and (q.axis != axis or q.scale.size != channels):
        ctx.unsupported(f"filter {w.name!r} must be quantized per tensor or per channel along axis {axis}")
    return name


@_converter(
    "CONV_2D",
    ("CONV_2D",),
    "int8 input/output (per-tensor), int8 constant filter [O,KH,KW,C/groups] per-tensor or per-channel (axis 0) "
    "with zero zero-points, optional int32 bias",
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
    if np.any(ctx.imp.graph.tensors[wn].quant.zero_point != 0):
        ctx.unsupported("filter zero points must be 0")
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
    "int8 input/output, int8 constant filter [1,KH,KW,C*M] per-tensor or per-channel (axis 3), optional int32 bias",
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
    if np.any(ctx.imp.graph.tensors[wn].quant.zero_point != 0):
        ctx.unsupported("filter zero points must be 0")
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
    "int8 input/output, int8 constant weights [O,K] (per-tensor with any zero point, or per-channel axis 0 with zero zero-points), "
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
    wn = _filter(ctx, w, 0, units)
    q = ctx.imp.graph.tensors[wn].quant
    if q.per_channel and np.any(q.zero_point != 0):
        ctx.unsupported("per-channel weights need zero zero-points")
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
    if tx.type == _TT_INT8:
        ctx.int8_io(x)
    elif tx.type != _TT_FLOAT32:
        ctx.unsupported(f"input type {_TYPE_NAMES.get(tx.type, tx.type)}")
    if tuple(ctx.imp.shape(x)) != tuple(ctx.imp.shape(out)):
        ctx.unsupported("shape changes")
    return Quantize((ctx.t(x),), (ctx.t(out),))


@_converter("DEQUANTIZE", ("DEQUANTIZE",), "int8 -> float32 (model output edge); per-tensor")
def _dequantize(ctx: OpCtx) -> Op:
    ctx.arity(1, 1)
    x, out = ctx.inputs[0], ctx.outputs[0]
    ctx.int8_io(x)
    if ctx.imp.raw(out).type != _TT_FLOAT32:
        ctx.unsupported("output must be float32")
    if tuple(ctx.imp.shape(x)) != tuple(ctx.imp.shape(out)):
        ctx.unsupported("shape changes")
    return Dequantize((ctx.t(x),), (ctx.t(out, types=(_TT_FLOAT32,)),))


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


# ----------------------------------------------------------------------------------------------
# Passes
# ----------------------------------------------------------------------------------------------


def _fold_pads(graph: Graph, op_origin: list[list[int]]) -> None:
    """Fold a PAD into the CONV_2D / DEPTHWISE_CONV_2D that alone consumes it, where exact."""
    i = 0
    while i < len(graph.ops):
        op = graph.ops[i]
        if not isinstance(op, Pad):
            i += 1
            continue
        out = op.outputs[0]
        users = graph.consumers(out)
        foldable = (
            len(users) == 1
            and out not in graph.outputs
            and isinstance(graph.ops[users[0]], (Conv2D, DepthwiseConv2D))
            and graph.ops[users[0]].inputs[0] == out
            and out not in graph.ops[users[0]].inputs[1:]
            and len(op.paddings) == 4
            and op.paddings[0] == (0, 0)
            and op.paddings[3] == (0, 0)
            and graph.tensors[op.inputs[0]].quant == graph.tensors[out].quant
        )
        if not foldable:
            i += 1
            continue
        conv = graph.ops[users[0]]
        (t, b), (l, r) = op.paddings[1], op.paddings[2]
        p = conv.padding
        conv.padding = Padding2D(p.top + t, p.bottom + b, p.left + l, p.right + r)
        conv.inputs = (op.inputs[0],) + tuple(conv.inputs[1:])
        op_origin[users[0]] = sorted(op_origin[i] + op_origin[users[0]])
        del graph.ops[i]
        del op_origin[i]
        graph.remove_tensor(out)
        graph.meta.get("tensor_index", {}).pop(out, None)


def _read(path_or_bytes) -> tuple[bytes, str]:
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        return bytes(path_or_bytes), "<bytes>"
    path = os.fspath(path_or_bytes)
    try:
        with open(path, "rb") as fh:
            return fh.read(), path
    except OSError as e:
        raise UserError(f"{path}: cannot read model ({e.strerror or e})") from None


def import_tflite(path_or_bytes, *, name: str | None = None, fold_pad: bool = True) -> Graph:
    """Parse a ``.tflite`` file (path or bytes) into a validated :class:`Graph`.

    ``graph.meta`` records ``source_sha256``, ``tensor_index`` (IR tensor name ->
    TFLite tensor index) and ``op_index`` (per IR op, the TFLite operator indices
    it came from; several when a PAD was folded).
    """
    buf, label = _read(path_or_bytes)
    if name is None:
        name = os.path.splitext(os.path.basename(label))[0] if label != "<bytes>" else "model"
    if len(buf) < 8 or buf[4:8] != _IDENTIFIER:
        raise UserError(f"{label}: not a TFLite flatbuffer (missing the 'TFL3' identifier)")
    try:
        model = _Model(buf)
    except UserError as e:
        raise UserError(f"{label}: malformed TFLite file: {e}") from None
    except Exception as e:  # corrupt offsets surface as struct/index/value errors
        raise UserError(f"{label}: malformed or truncated TFLite file ({type(e).__name__}: {e})") from None
    if model.version != _SCHEMA_VERSION:
        raise UserError(f"{label}: TFLite schema version {model.version}; only version {_SCHEMA_VERSION} is supported")
    try:
        return _convert(model, name, label, buf, fold_pad)
    except UserError:
        raise
    except Exception as e:
        raise UserError(f"{label}: malformed TFLite file ({type(e).__name__}: {e})") from None


def _convert(model: _Model, name: str, label: str, buf: bytes, fold_pad: bool) -> Graph:
    imp = _Importer(model, name)
    graph = imp.graph
    graph.meta["source_sha256"] = hashlib.sha256(buf).hexdigest()
    written: set[int] = set(model.inputs)
    for raw in model.ops:
        ctx = OpCtx(imp, raw)
        if raw.custom:
            ctx.unsupported("custom operators are not supported")
        entry = CONVERTERS.get(raw.opname)
        if entry is None:
            ctx.unsupported("operator not supported")
        for t in raw.inputs:
            if t >= 0 and t not in written and not imp.is_const(t):
                raise UserError(f"{label}: operator {raw.index} ({raw.opname}) reads tensor {t} before any operator writes it")
        for t in raw.outputs:
            if t in written:
                raise UserError(f"{label}: operator {raw.index} ({raw.opname}) rewrites tensor {t}")
            written.add(t)
        op = entry.fn(ctx)
        graph.ops.append(op)
        imp.op_origin.append([raw.index])
    for idx in model.inputs:
        dummy = OpCtx(imp, _RawOp(-1, "<input>", 0, [idx], [], 0, None, False))
        graph.inputs.append(imp.tensor(idx, dummy))
    for idx in model.outputs:
        dummy = OpCtx(imp, _RawOp(-1, "<output>", 0, [], [idx], 0, None, False))
        graph.outputs.append(imp.tensor(idx, dummy))
    if fold_pad:
        _fold_pads(graph, imp.op_origin)
    graph.meta["op_index"] = imp.op_origin
    # inputs that are constants are not inputs; TFLite lists them rarely, but be strict.
    for n in graph.inputs:
        if graph.tensors[n].is_constant:
            raise UnsupportedError(f"{label}: graph input {n!r} is a constant tensor")
    try:
        graph.validate()
    except GraphError as e:
        raise UserError(f"{label}: inconsistent graph: {e}") from None
    return graph
