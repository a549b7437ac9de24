"""Int8 graph IR: tensors, per-op classes, the graph container.

Also here: ``serialize`` (graph.json + weights.npz), ``stats`` (MACs, params,
activation sizes), ``reference`` (the bit-exact NumPy interpreter) and
``support`` (the generated op/shape support table).
"""

from .graph import Graph, GraphError
from .ops import OP_CLASSES, Activation, Op, Padding2D
from .tensor import DType, QuantParams, Tensor

__all__ = ["Graph", "GraphError", "OP_CLASSES", "Activation", "Op", "Padding2D", "DType", "QuantParams", "Tensor"]
