"""The import context: raw TFLite tensors and operators -> IR tensors, with the checks.

:class:`Importer` owns the graph under construction and turns raw tensors into
IR tensors (names, dtypes, constant data, quantization) once each;
:class:`OpCtx` is what a converter sees of one operator, with the shared checks
(arity, rank, int8 activations, same quantization) whose errors name the op,
its index and its shapes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import UnsupportedError, UserError
from ..ir.graph import Graph
from ..ir.int4 import packed_len, unpack_int4
from ..ir.ops import Activation
from ..ir.tensor import DType, QuantParams, Tensor
from .quant_check import ZERO_POINTS
from .tflite_flatbuffer import (
    NP_CONST,
    TT_FLOAT32,
    TT_INT4,
    TT_INT8,
    TT_INT16,
    TT_INT32,
    TYPE_NAMES,
    Model,
    RawOp,
    RawTensor,
)

__all__ = ["Importer", "OpCtx"]

_IR_DTYPES = {TT_FLOAT32: DType.FLOAT32, TT_INT32: DType.INT32, TT_INT16: DType.INT16, TT_INT8: DType.INT8,
              TT_INT4: DType.INT4}

# tflite.ActivationFunctionType
_ACTIVATIONS = {0: Activation.NONE, 1: Activation.RELU, 2: Activation.RELU_N1_TO_1, 3: Activation.RELU6}
_ACT_NAMES = {4: "TANH", 5: "SIGN_BIT"}


class Importer:
    def __init__(self, model: Model, name: str):
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

    def raw(self, idx: int) -> RawTensor:
        return self.m.tensors[idx]

    def const_array(self, idx: int, ctx: "OpCtx", what: str) -> np.ndarray:
        t = self.raw(idx)
        data = self.m.buffer_bytes(t.buffer)
        if data is None:
            ctx.unsupported(f"{what} must be a constant tensor")
        if t.type == TT_INT4:
            return self._int4_array(t, data, ctx)
        if t.type not in NP_CONST:
            ctx.unsupported(f"{what} has unsupported type {TYPE_NAMES.get(t.type, t.type)}")
        dt = np.dtype(NP_CONST[t.type])
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

    def _int4_array(self, t: RawTensor, data: bytes, ctx: "OpCtx") -> np.ndarray:
        """TFLite's packed INT4 buffer (two per byte, low nibble first) -> int8 values."""
        count = 1
        for d in t.shape:
            if d < 0:
                raise UserError(f"tensor {t.index} has a negative dimension {t.shape}")
            count *= d
        if len(data) != packed_len(count):
            ctx.invalid(f"int4 tensor {t.index} ({t.name!r}): buffer holds {len(data)} bytes, shape {list(t.shape)} "
                        f"({count} values, two per byte) needs {packed_len(count)}")
        return unpack_int4(data, count).reshape(t.shape)

    def is_const(self, idx: int) -> bool:
        return idx >= 0 and self.m.buffer_bytes(self.raw(idx).buffer) is not None

    def quant(self, t: RawTensor, ctx: "OpCtx") -> QuantParams | None:
        if t.scale is None:
            return None
        scale = t.scale
        zp = t.zero_point if t.zero_point is not None else np.zeros(scale.shape, dtype=np.int64)
        if zp.size == 1 and scale.size > 1:
            zp = np.repeat(zp, scale.size)
        if zp.size != scale.size:
            ctx.invalid(f"tensor {t.name!r} has {scale.size} scales but {zp.size} zero points")
        if not np.all(np.isfinite(scale)) or np.any(scale <= 0):
            bad = scale[~(np.isfinite(scale) & (scale > 0))]
            ctx.invalid(f"tensor {t.name!r} has quantization scale {float(bad[0]):g} (scales must be finite "
                        f"and positive)")
        dtype = _IR_DTYPES.get(t.type)
        lo, hi = ZERO_POINTS.get(dtype, (None, None))
        if lo is not None and (np.any(zp < lo) or np.any(zp > hi)):
            bad = zp[(zp < lo) | (zp > hi)]
            ctx.invalid(f"tensor {t.name!r} has zero point {int(bad[0])}, outside {dtype.value}'s "
                        f"{lo if lo == hi else f'{lo}..{hi}'}")
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

    def tensor(self, idx: int, ctx: "OpCtx", *, const: bool | None = None, types=None, int4: bool = False) -> str:
        """IR name of TFLite tensor ``idx``, registering it on first use (INT4 only where
        ``int4``: the constant filters of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED)."""
        t = self.raw(idx)
        if t.type == TT_INT4 and not int4:
            ctx.unsupported(f"tensor {t.name!r} is int4; int4 is supported only for constant filters of "
                            f"CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED")
        if types is not None and t.type not in types:
            ctx.unsupported(
                f"tensor {t.name!r} has type {TYPE_NAMES.get(t.type, t.type)}; "
                f"expected {'/'.join(TYPE_NAMES[x] for x in types)}"
            )
        name = self.names[idx]
        if name in self.graph.tensors:
            return name
        if t.type not in _IR_DTYPES:
            ctx.unsupported(f"tensor {t.name!r} has unsupported type {TYPE_NAMES.get(t.type, t.type)}")
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

    imp: Importer
    raw: RawOp
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

    def invalid(self, reason: str):
        """A parameter no TFLite kernel accepts (not a missing feature of this toolchain)."""
        raise UserError(f"op {self.index} ({self.opname}): {reason}")

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
            if t.type != TT_INT8:
                self.unsupported(f"tensor {t.name!r} is {TYPE_NAMES.get(t.type, t.type)}; only int8 activations are supported")
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
