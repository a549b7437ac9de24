"""Quantization parameters checked as TFLite's kernels check them in Prepare(), so a model
with parameters no TFLite kernel accepts is refused with its op, tensor and file instead of
failing later inside the engine or computing nonsense: each tensor's scale (finite,
positive) and zero point (in its type's range, ``ZERO_POINTS``) as the importer reads it,
then once per op after import the scales' combinations (``CHECKS``: requantization
multipliers a fixed-point form holds, bias scales equal to input x filter scale, ADD's
output scale).

What each op's fixed-point constants come from is the same code the reference interpreter
and the code generator use (``mcunet_core.quant``); here they are only derived and bounded.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import UserError
from ..ir import ops as O
from ..ir.graph import Graph
from ..ir.tensor import DType
from ..quant import params as P
from ..quant.multiplier import quantize_multipliers

#: zero points each integer type's kernels accept (int16 and int32 are symmetric in TFLite)
ZERO_POINTS = {DType.INT4: (-8, 7), DType.INT8: (-128, 127), DType.INT16: (0, 0), DType.INT32: (0, 0)}
#: the largest left shift of MultiplyByQuantizedMultiplier (TFLite checks shift <= 30)
MAX_LEFT_SHIFT = 30
#: TFLite's bias scale tolerance (conv/fc Prepare: |s_in * s_w - s_b| <= 1e-6 * min)
BIAS_SCALE_TOLERANCE = 1e-6


def _multipliers(reals, what: str) -> str | None:
    """A problem with TFLite's fixed-point form of ``reals`` (per channel), or None."""
    reals = np.atleast_1d(np.asarray(reals, dtype=np.float64))
    if not np.all(np.isfinite(reals)):
        return f"{what}: requantization multiplier is not finite"
    mult, shift = quantize_multipliers(reals)
    if np.any(shift > MAX_LEFT_SHIFT):
        return (f"{what}: requantization multiplier {float(reals.max()):g} needs a left shift above "
                f"{MAX_LEFT_SHIFT} (the output scale is far too small for its input)")
    if np.all(mult == 0) and np.any(reals != 0):
        return (f"{what}: every requantization multiplier is below 2**-31 (at most {float(reals.max()):g}): "
                f"the output would not depend on the input (the output scale is far too large)")
    return None


def _bias_scale(g: Graph, op, what: str) -> str | None:
    if len(op.inputs) < 3 or not op.inputs[2]:
        return None
    x, w, b = (g.tensors[n] for n in op.inputs[:3])
    if b.quant is None:
        return f"{what}: bias {b.name!r} is not quantized"
    product = np.float64(x.quant.scale[0]) * w.quant.scale.astype(np.float64)
    if product.size == 1:
        product = np.repeat(product, b.quant.scale.size)
    bias = b.quant.scale.astype(np.float64)
    if product.size != bias.size:
        return f"{what}: bias {b.name!r} has {bias.size} scales for {product.size} channels"
    if np.any(np.abs(product - bias) > BIAS_SCALE_TOLERANCE * np.minimum(product, bias)):
        i = int(np.argmax(np.abs(product - bias) / np.minimum(product, bias)))
        return (f"{what}: bias {b.name!r} scale {bias[i]:g} is not input scale x filter scale {product[i]:g} "
                f"(channel {i})")
    return None


def _conv(g: Graph, op, what: str) -> str | None:
    x, w, y = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]], g.tensors[op.outputs[0]]
    reals = float(x.quant.scale[0]) * w.quant.scale.astype(np.float64) / float(y.quant.scale[0])
    return _bias_scale(g, op, what) or _multipliers(reals, what)


def _scales(g: Graph, names) -> list[float]:
    return [float(g.tensors[n].quant.scale[0]) for n in names]


def _add(g: Graph, op, what: str) -> str | None:
    s1, s2, so = _scales(g, (*op.inputs, *op.outputs))
    try:
        P.add_params(s1, 0, s2, 0, so, 0)
    except ValueError:
        return (f"{what}: output scale {so:g} is below 2 x the larger input scale / 2**20 "
                f"({2 * max(s1, s2) / (1 << 20):g}): TFLite's ADD cannot rescale to it")
    return None


def _mul(g: Graph, op, what: str) -> str | None:
    s1, s2, so = _scales(g, (*op.inputs, *op.outputs))
    return _multipliers([np.float32(s1) * np.float32(s2) / np.float32(so)], what)


def _requantize(g: Graph, op, what: str) -> str | None:
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    if x.dtype is DType.FLOAT32 or y.dtype is DType.FLOAT32:
        return None
    return _multipliers([float(x.quant.scale[0]) / float(y.quant.scale[0])], what)


#: per op class, what its Prepare() needs of the scales (ops that keep their input's
#: quantization are checked by the importer's converters)
CHECKS: dict[type, Callable[[Graph, object, str], str | None]] = {
    O.Conv2D: _conv, O.DepthwiseConv2D: _conv, O.FullyConnected: _conv,
    O.Add: _add, O.Mul: _mul, O.Quantize: _requantize, O.Mean: _requantize,
}


def check_quantization(graph: Graph, label: str) -> None:
    """Raise one UserError listing every op whose scales TFLite's kernels refuse (each
    tensor's own scale and zero point the importer checked as it read them)."""
    problems = []
    origin = graph.meta.get("op_index") or [[i] for i in range(len(graph.ops))]
    for i, op in enumerate(graph.ops):
        check = CHECKS.get(type(op))
        problem = check(graph, op, f"{label}: op {origin[i][-1]} ({op.OPCODE})") if check else None
        if problem:
            problems.append(problem)
    if problems:
        raise UserError(problems)
