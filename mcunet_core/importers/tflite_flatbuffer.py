"""The ``.tflite`` flatbuffer, decoded into plain raw tensors and operators.

Kept apart from the conversion so that every read of the (possibly corrupt)
file happens here, eagerly and bounded by the file size: a truncated or
inconsistent file fails while :class:`Model` is built, and the caller wraps
whatever it raises into one :class:`UserError`. Also holds the TFLite tensor
type tables the rest of the importer checks against.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import UserError

__all__ = [
    "Model", "RawTensor", "RawOp", "TYPE_NAMES", "NP_CONST",
    "TT_FLOAT32", "TT_INT32", "TT_UINT8", "TT_INT64", "TT_INT16", "TT_INT8", "TT_INT4",
]

# tflite.TensorType values
TT_FLOAT32, TT_INT32, TT_UINT8, TT_INT64, TT_INT16, TT_INT8, TT_INT4 = 0, 2, 3, 4, 7, 9, 17
TYPE_NAMES = {
    0: "float32", 1: "float16", 2: "int32", 3: "uint8", 4: "int64", 5: "string", 6: "bool", 7: "int16",
    8: "complex64", 9: "int8", 10: "float64", 11: "complex128", 12: "uint64", 13: "resource", 14: "variant",
    15: "uint32", 16: "uint16", 17: "int4",
}
NP_CONST = {TT_INT32: "<i4", TT_INT64: "<i8", TT_INT8: "i1", TT_INT16: "<i2", TT_FLOAT32: "<f4", TT_UINT8: "u1"}


def _builtin_names() -> dict[int, str]:
    import tflite

    return {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_") and isinstance(v, int)}


# ----------------------------------------------------------------------------------------------
# Raw flatbuffer view (every access may raise on a corrupt file; callers wrap it)
# ----------------------------------------------------------------------------------------------


@dataclass
class RawTensor:
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
class RawOp:
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


class Model:
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
        self.tensors: list[RawTensor] = []
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
                RawTensor(
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
        self.ops: list[RawOp] = []
        for i in range(sg.OperatorsLength()):
            op = sg.Operators(i)
            oi = int(op.OpcodeIndex())
            if not 0 <= oi < len(self.opcodes):
                raise UserError(f"operator {i} uses opcode index {oi}, the table has {len(self.opcodes)}")
            name, version, custom = self.opcodes[oi]
            self.ops.append(
                RawOp(
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

