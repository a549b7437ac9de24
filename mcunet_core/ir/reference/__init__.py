"""Bit-exact NumPy reference interpreter for the int8 graph IR.

"Correct" means what TFLite's reference kernels (``OpResolverType.BUILTIN_REF``)
compute; every kernel here mirrors one of them. Kernels live one module per op
family and register themselves in :data:`KERNELS` (op class -> function).

>>> outputs = run(graph, {"input": x})            # {output name: array}
>>> every = run(graph, [x], keep_all=True)         # every activation by name
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np

from ...errors import UnsupportedError, UserError
from ..graph import Graph, GraphError
from ..ops import Op
from ..tensor import DType
from . import activation, conv, elementwise, pool, quantize, reduce, region, shape  # noqa: F401  (registration)
from .registry import KERNELS, kernel

__all__ = ["KERNELS", "kernel", "run", "supported_op_classes"]

Callback = Callable[[int, Op, Mapping[str, np.ndarray]], None]


def supported_op_classes() -> list[type[Op]]:
    return sorted(KERNELS, key=lambda c: c.OPCODE)


def _bind_inputs(graph: Graph, inputs) -> dict[str, np.ndarray]:
    if isinstance(inputs, np.ndarray):
        inputs = [inputs]
    if isinstance(inputs, Mapping):
        unknown = sorted(set(inputs) - set(graph.inputs))
        missing = [n for n in graph.inputs if n not in inputs]
        if unknown or missing:
            raise UserError(f"graph {graph.name!r}: inputs {graph.inputs}; got unknown {unknown}, missing {missing}")
        given = {n: inputs[n] for n in graph.inputs}
    else:
        seq = list(inputs)
        if len(seq) != len(graph.inputs):
            raise UserError(f"graph {graph.name!r} has {len(graph.inputs)} inputs, {len(seq)} given")
        given = dict(zip(graph.inputs, seq))
    bound = {}
    for name, value in given.items():
        t = graph.tensors[name]
        arr = np.asarray(value)
        if arr.shape != t.shape:
            if arr.size == t.size:
                arr = arr.reshape(t.shape)
            else:
                raise UserError(f"input {name!r}: expected shape {t.shape}, got {arr.shape}")
        if t.dtype is DType.FLOAT32:
            arr = arr.astype(np.float32)
        else:
            info = np.iinfo(t.dtype.numpy)
            if arr.dtype.kind not in "iu":
                raise UserError(f"input {name!r}: expected {t.dtype.value} values, got {arr.dtype}")
            if arr.size and (arr.min() < info.min or arr.max() > info.max):
                raise UserError(f"input {name!r}: values outside the {t.dtype.value} range")
            arr = arr.astype(t.dtype.numpy)
        bound[name] = arr
    return bound


def run(
    graph: Graph,
    inputs: "Mapping[str, np.ndarray] | Sequence[np.ndarray] | np.ndarray",
    *,
    keep_all: bool = False,
    callback: Callback | None = None,
) -> dict[str, np.ndarray]:
    """Execute ``graph`` on one set of inputs.

    Returns ``{output name: array}`` in ``graph.outputs`` order, or with
    ``keep_all=True`` every activation (inputs included) in execution order.
    ``callback(op_index, op, {output name: array})`` runs after each op.
    """
    values: dict[str, np.ndarray] = {n: t.data for n, t in graph.tensors.items() if t.is_constant}
    acts = _bind_inputs(graph, inputs)
    values.update(acts)
    kept: dict[str, np.ndarray] = dict(acts) if keep_all else {}
    last_use = {}
    for i, op in enumerate(graph.ops):
        for n in op.inputs:
            if n:
                last_use[n] = i
    for i, op in enumerate(graph.ops):
        fn = KERNELS.get(type(op))
        if fn is None:
            raise UnsupportedError(f"op {i} ({op.OPCODE}): no reference kernel")
        try:
            in_vals = [values[n] if n else None for n in op.inputs]
        except KeyError as e:
            raise GraphError(f"op {i} ({op.OPCODE}) reads {e.args[0]!r} before it is written") from None
        in_ts = graph.op_inputs(op)
        out_ts = graph.op_outputs(op)
        results = fn(op, in_ts, out_ts, in_vals)
        produced = {}
        for t, r in zip(out_ts, results):
            r = np.asarray(r)
            if r.shape != t.shape or r.dtype != t.dtype.numpy:
                raise GraphError(
                    f"op {i} ({op.OPCODE}) produced {r.dtype}{r.shape} for {t.name!r} ({t.dtype.value}{t.shape})"
                )
            values[t.name] = r
            produced[t.name] = r
        if keep_all:
            kept.update(produced)
        if callback is not None:
            callback(i, op, produced)
        for n in op.inputs:  # free activations nobody reads any more
            if n and last_use.get(n) == i and n not in graph.outputs and not graph.tensors[n].is_constant:
                values.pop(n, None)
    if keep_all:
        return kept
    return {n: values[n] for n in graph.outputs}
