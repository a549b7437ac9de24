"""Which first ops of a graph can run patch by patch: spatially local ops (convolution,
depthwise, pooling, element-wise, residual ADD) between the graph's one image input and one
tensor that crosses the split."""

from __future__ import annotations

from ...ir import DType, Graph
from ...ir.ops import (Add, AveragePool2D, Conv2D, DepthwiseConv2D, HardSwish, Logistic, MaxPool2D, Mul,
                       Quantize)

#: Ops whose output block needs only the same (element-wise) or a windowed block of their inputs.
LOCAL_OPS = (Conv2D, DepthwiseConv2D, AveragePool2D, MaxPool2D, Add, Mul, Logistic, HardSwish, Quantize)
WINDOWED_OPS = (Conv2D, DepthwiseConv2D, AveragePool2D, MaxPool2D)


def _image(graph: Graph, name: str) -> bool:
    t = graph.tensors[name]
    return len(t.shape) == 4 and t.shape[0] == 1 and t.dtype is DType.INT8 and t.quant is not None


def _local(graph: Graph, index: int) -> bool:
    op = graph.ops[index]
    if not isinstance(op, LOCAL_OPS) or len(op.outputs) != 1 or not _image(graph, op.outputs[0]):
        return False
    acts = [n for n in op.inputs if n and not graph.tensors[n].is_constant]
    if isinstance(op, WINDOWED_OPS):
        return acts == [op.inputs[0]] and _image(graph, acts[0])
    # element-wise: every operand an activation of the output's shape (no broadcast, no constant)
    out = graph.tensors[op.outputs[0]].shape
    return len(acts) == len([n for n in op.inputs if n]) and all(graph.tensors[n].shape == out for n in acts)


def stage_output(graph: Graph, split: int) -> str | None:
    """The one tensor ops ``[0, split)`` hand the rest of the graph, if they form a patch
    stage; None otherwise."""
    if not 0 < split < len(graph.ops) or len(graph.inputs) != 1 or not _image(graph, graph.inputs[0]):
        return None
    if not all(_local(graph, i) for i in range(split)):
        return None
    produced = {n for op in graph.ops[:split] for n in op.outputs}
    if produced & set(graph.outputs):
        return None
    crossing = {n for op in graph.ops[split:] for n in op.inputs if n in produced or n == graph.inputs[0]}
    if len(crossing) != 1 or graph.inputs[0] in crossing:
        return None
    (name,) = crossing
    h, w = graph.tensors[name].shape[1:3]
    return name if h * w > 1 else None


def valid_splits(graph: Graph) -> list[int]:
    return [s for s in range(1, len(graph.ops)) if stage_output(graph, s) is not None]
