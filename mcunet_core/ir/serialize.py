"""Graph <-> ``graph.json`` + ``weights.npz``, with deterministic bytes.

``graph.json`` lists the tensors (shape, dtype, quantization, the npz key of
constant data) and the ops in order (opcode, tensor names, typed attributes).
Scales are float32 values written as JSON numbers: ``repr`` of the widened
double is exact, so they round-trip bit for bit. ``weights.npz`` is a plain
(stored, uncompressed) zip of ``.npy`` members written with fixed timestamps in
sorted key order, so equal graphs give equal bytes and a build cache can hash
them. Both files are written atomically; the JSON records the weights' sha256.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import math
import typing
import zipfile
from pathlib import Path

import numpy as np

from ..atomic import atomic_write_bytes, atomic_write_text
from ..errors import UserError
from .graph import Graph, GraphError
from .ops import OP_CLASSES, Activation, Op, Padding2D
from .int4 import pack_int4, packed_len, unpack_int4
from .tensor import DType, QuantParams, Tensor

FORMAT = "mcunet-ir"
VERSION = 1
GRAPH_FILE = "graph.json"
WEIGHTS_FILE = "weights.npz"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)

__all__ = ["save_graph", "load_graph", "graph_to_json", "graph_from_json", "npz_bytes"]


# -- attributes ------------------------------------------------------------------------------

def _encode_attr(value):
    if isinstance(value, Padding2D):
        return {"top": value.top, "bottom": value.bottom, "left": value.left, "right": value.right}
    if isinstance(value, Activation):
        return value.value
    if isinstance(value, (tuple, list)):
        return [_encode_attr(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        if not math.isfinite(f):
            raise GraphError(f"non-finite attribute value {f!r}")
        return f
    raise GraphError(f"cannot serialize attribute value {value!r}")


def _decode_attr(tp, value):
    origin = typing.get_origin(tp)
    if tp is Padding2D:
        return Padding2D(**{k: int(value[k]) for k in ("top", "bottom", "left", "right")})
    if tp is Activation:
        return Activation(value)
    if tp is bool:
        return bool(value)
    if tp is int:
        return int(value)
    if tp is float:
        return float(value)
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode_attr(args[0], v) for v in value)
        if len(args) != len(value):
            raise GraphError(f"attribute {value!r} does not match {tp}")
        return tuple(_decode_attr(a, v) for a, v in zip(args, value))
    raise GraphError(f"cannot decode attribute of type {tp}")


def _op_fields(cls: type[Op]) -> dict[str, object]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls) if f.name not in ("inputs", "outputs")}


# -- tensors ---------------------------------------------------------------------------------

def _encode_quant(q: QuantParams | None):
    if q is None:
        return None
    scales = [float(s) for s in q.scale.astype(np.float32)]
    if not all(math.isfinite(s) for s in scales):
        raise GraphError("non-finite quantization scale")
    return {"scale": scales, "zero_point": [int(z) for z in q.zero_point], "axis": q.axis}


def _decode_quant(d) -> QuantParams | None:
    if d is None:
        return None
    return QuantParams(np.array(d["scale"], dtype=np.float32), np.array(d["zero_point"], dtype=np.int64), d.get("axis"))


def _weight_key(index: int) -> str:
    return f"t{index:05d}"


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """A deterministic .npz: stored members, fixed dates, sorted keys."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as zf:
        for key in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arrays[key]), version=(1, 0), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue())
    return out.getvalue()


def graph_to_json(graph: Graph) -> tuple[dict, dict[str, np.ndarray]]:
    """The JSON document and the constant arrays (npz key -> array) of ``graph``."""
    arrays: dict[str, np.ndarray] = {}
    tensors = []
    for i, t in enumerate(graph.tensors.values()):
        key = None
        if t.is_constant:
            key = _weight_key(i)
            if t.dtype is DType.INT4:  # stored packed, as TFLite stores it
                arrays[key] = np.frombuffer(pack_int4(t.data), dtype=np.uint8)
            else:
                arrays[key] = np.asarray(t.data, dtype=t.dtype.numpy)
        tensors.append(
            {"name": t.name, "shape": list(t.shape), "dtype": t.dtype.value, "quant": _encode_quant(t.quant), "data": key}
        )
    ops = []
    for op in graph.ops:
        attrs = {k: _encode_attr(v) for k, v in op.attrs().items()}
        ops.append({"opcode": op.OPCODE, "inputs": list(op.inputs), "outputs": list(op.outputs), "attrs": attrs})
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "name": graph.name,
        "inputs": list(graph.inputs),
        "outputs": list(graph.outputs),
        "tensors": tensors,
        "ops": ops,
        "meta": graph.meta,
    }
    return doc, arrays


def graph_from_json(doc: dict, arrays: typing.Mapping[str, np.ndarray]) -> Graph:
    if doc.get("format") != FORMAT or doc.get("version") != VERSION:
        raise UserError(f"not a {FORMAT} v{VERSION} graph (format {doc.get('format')!r}, version {doc.get('version')!r})")
    g = Graph(name=doc["name"], inputs=list(doc["inputs"]), outputs=list(doc["outputs"]), meta=doc.get("meta") or {})
    for t in doc["tensors"]:
        data = None
        if t["data"] is not None:
            if t["data"] not in arrays:
                raise UserError(f"weights file lacks {t['data']!r} (tensor {t['name']!r})")
            data = arrays[t["data"]]
            if t["dtype"] == DType.INT4.value:
                count = int(np.prod(t["shape"], dtype=np.int64))
                if np.asarray(data).size != packed_len(count):
                    raise UserError(f"int4 tensor {t['name']!r}: {np.asarray(data).size} packed bytes for "
                                    f"{count} values (needs {packed_len(count)})")
                data = unpack_int4(np.asarray(data, dtype=np.uint8).tobytes(), count)
        g.add_tensor(Tensor(t["name"], tuple(t["shape"]), DType(t["dtype"]), _decode_quant(t["quant"]), data))
    for o in doc["ops"]:
        cls = OP_CLASSES.get(o["opcode"])
        if cls is None:
            raise UserError(f"unknown opcode {o['opcode']!r} in graph file")
        fields = _op_fields(cls)
        unknown = set(o["attrs"]) - set(fields)
        if unknown:
            raise UserError(f"{o['opcode']}: unknown attributes {sorted(unknown)}")
        attrs = {k: _decode_attr(fields[k], v) for k, v in o["attrs"].items()}
        g.ops.append(cls(tuple(o["inputs"]), tuple(o["outputs"]), **attrs))
    g.validate()
    return g


def _dump(doc: dict) -> str:
    """Readable and diff-friendly: one top-level key per line, one tensor / op per line."""
    enc = lambda v: json.dumps(v, ensure_ascii=True, allow_nan=False, separators=(", ", ": "))  # noqa: E731
    lines = ["{"]
    keys = list(doc)
    for k, key in enumerate(keys):
        value = doc[key]
        comma = "," if k < len(keys) - 1 else ""
        if key in ("tensors", "ops") and value:
            lines.append(f" {enc(key)}: [")
            lines.extend(f"  {enc(v)}{',' if i < len(value) - 1 else ''}" for i, v in enumerate(value))
            lines.append(f" ]{comma}")
        else:
            lines.append(f" {enc(key)}: {enc(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def save_graph(graph: Graph, directory, prefix: str = "") -> tuple[Path, Path]:
    """Write ``<directory>/<prefix>graph.json`` and ``<prefix>weights.npz``; returns both paths."""
    directory = Path(directory)
    graph.validate()
    doc, arrays = graph_to_json(graph)
    blob = npz_bytes(arrays)
    weights_path = directory / f"{prefix}{WEIGHTS_FILE}"
    json_path = directory / f"{prefix}{GRAPH_FILE}"
    doc["weights"] = {"file": weights_path.name, "sha256": hashlib.sha256(blob).hexdigest()}
    text = _dump(doc)
    atomic_write_bytes(weights_path, blob)
    atomic_write_text(json_path, text)
    return json_path, weights_path


def load_graph(directory, prefix: str = "") -> Graph:
    """Read a graph written by :func:`save_graph` (checks the weights' sha256)."""
    directory = Path(directory)
    json_path = directory / f"{prefix}{GRAPH_FILE}"
    try:
        doc = json.loads(json_path.read_text(encoding="utf-8"))
    except OSError as e:
        raise UserError(f"{json_path}: cannot read graph ({e.strerror or e})") from None
    except json.JSONDecodeError as e:
        raise UserError(f"{json_path}: not valid JSON ({e})") from None
    w = doc.get("weights") or {}
    weights_path = directory / w.get("file", f"{prefix}{WEIGHTS_FILE}")
    try:
        blob = weights_path.read_bytes()
    except OSError as e:
        raise UserError(f"{weights_path}: cannot read weights ({e.strerror or e})") from None
    if w.get("sha256") and hashlib.sha256(blob).hexdigest() != w["sha256"]:
        raise UserError(f"{weights_path}: does not match {json_path.name} (sha256 differs); rebuild the graph")
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except Exception as e:
        raise UserError(f"{weights_path}: unreadable weights ({e})") from None
    try:
        return graph_from_json(doc, arrays)
    except (KeyError, TypeError, ValueError) as e:
        if isinstance(e, UserError):
            raise
        raise UserError(f"{json_path}: malformed graph file ({type(e).__name__}: {e})") from None
