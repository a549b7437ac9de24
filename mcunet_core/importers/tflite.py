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
naming the file, the op, its index and its input/output shapes; quantization
parameters TFLite's kernels would refuse (``quant_check``) and a malformed or
truncated file raise :class:`UserError`, never another exception.
"""

from __future__ import annotations

import hashlib
import os

from ..errors import UnsupportedError, UserError
from ..ir.graph import Graph, GraphError
from .pad_folding import fold_pads
from .quant_check import check_quantization
from .tflite_context import Importer, OpCtx
from .tflite_converters import CONVERTERS, Converter
from .tflite_flatbuffer import Model, RawOp

__all__ = ["import_tflite", "CONVERTERS", "Converter"]

_IDENTIFIER = b"TFL3"
_SCHEMA_VERSION = 3


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
        model = Model(buf)
    except UserError as e:
        raise UserError(f"{label}: malformed TFLite file: {e}") from None
    except Exception as e:  # corrupt offsets surface as struct/index/value errors
        raise UserError(f"{label}: malformed or truncated TFLite file ({type(e).__name__}: {e})") from None
    if model.version != _SCHEMA_VERSION:
        raise UserError(f"{label}: TFLite schema version {model.version}; only version {_SCHEMA_VERSION} is supported")
    try:
        return _convert(model, name, label, buf, fold_pad)
    except UserError as e:  # every message names the file
        prefix = f"{label}: "
        raise type(e)([m if m.startswith(prefix) else prefix + m for m in e.messages]) from None
    except Exception as e:
        raise UserError(f"{label}: malformed TFLite file ({type(e).__name__}: {e})") from None


def _convert(model: Model, name: str, label: str, buf: bytes, fold_pad: bool) -> Graph:
    imp = Importer(model, name)
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
        for t in (*raw.inputs, *raw.outputs):  # every tensor's own scale and zero point, before the op's rules
            if t >= 0:
                imp.quant(imp.raw(t), ctx)
        op = entry.fn(ctx)
        graph.ops.append(op)
        imp.op_origin.append([raw.index])
    for idx in model.inputs:
        dummy = OpCtx(imp, RawOp(-1, "<input>", 0, [idx], [], 0, None, False))
        graph.inputs.append(imp.tensor(idx, dummy))
    for idx in model.outputs:
        dummy = OpCtx(imp, RawOp(-1, "<output>", 0, [], [idx], 0, None, False))
        graph.outputs.append(imp.tensor(idx, dummy))
    if fold_pad:
        fold_pads(graph, imp.op_origin)
    graph.meta["op_index"] = imp.op_origin
    check_quantization(graph, label)
    # inputs that are constants are not inputs; TFLite lists them rarely, but be strict.
    for n in graph.inputs:
        if graph.tensors[n].is_constant:
            raise UnsupportedError(f"{label}: graph input {n!r} is a constant tensor")
    try:
        graph.validate()
    except GraphError as e:
        raise UserError(f"{label}: inconsistent graph: {e}") from None
    return graph
