"""Int8 graph IR: tensors, per-op classes, the graph container."""

from .graph import Graph, GraphError
from .ops import OP_CLASSES, Activation, Op, Padding2D
from .tensor import DType, QuantParams, Tensor

__all__ = ["Graph", "GraphError", "OP_CLASSES", "Activation", "Op", "Padding2D", "DType", "QuantParams", "Tensor"]
