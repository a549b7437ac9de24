"""Folding an explicit PAD into the convolution that alone reads it.

A pass over the imported graph, apart from the per-op converters because it
looks at two ops at once: it rewrites the convolution's explicit padding,
drops the PAD and its tensor, and merges their TFLite operator indices.
"""

from __future__ import annotations

from ..ir.graph import Graph
from ..ir.ops import Conv2D, DepthwiseConv2D, Pad, Padding2D

__all__ = ["fold_pads"]


def fold_pads(graph: Graph, op_origin: list[list[int]]) -> None:
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
