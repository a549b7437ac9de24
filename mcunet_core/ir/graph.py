"""The graph container: tensors by name, ops in topological order, NHWC layout."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from .ops import Op
from .tensor import Tensor


class GraphError(ValueError):
    """The graph is structurally inconsistent (a bug in whoever built it)."""


@dataclass
class Graph:
    name: str
    tensors: dict[str, Tensor] = field(default_factory=dict)
    ops: list[Op] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    #: JSON-serializable provenance (e.g. the importer's tensor/op index maps); not semantics.
    meta: dict = field(default_factory=dict)

    def add_tensor(self, tensor: Tensor) -> Tensor:
        if tensor.name in self.tensors:
            raise GraphError(f"duplicate tensor name {tensor.name!r}")
        self.tensors[tensor.name] = tensor
        return tensor

    def tensor(self, name: str) -> Tensor:
        return self.tensors[name]

    def op_inputs(self, op: Op) -> list[Tensor | None]:
        return [self.tensors[n] if n else None for n in op.inputs]

    def op_outputs(self, op: Op) -> list[Tensor]:
        return [self.tensors[n] for n in op.outputs]

    def producer(self, name: str) -> int | None:
        """Index of the op writing tensor ``name`` (None for graph inputs and constants)."""
        for i, op in enumerate(self.ops):
            if name in op.outputs:
                return i
        return None

    def consumers(self, name: str) -> list[int]:
        return [i for i, op in enumerate(self.ops) if name in op.inputs]

    def remove_tensor(self, name: str) -> None:
        del self.tensors[name]

    def lifetimes(self) -> dict[str, tuple[int, int]]:
        """Per activation: (op that writes it, last op that reads it). Graph inputs are written
        at -1, graph outputs read at len(ops); a tensor nobody reads dies where it is born."""
        n = len(self.ops)
        first: dict[str, int] = {name: -1 for name in self.inputs}
        last: dict[str, int] = {}
        for i, op in enumerate(self.ops):
            for name in op.inputs:
                if name and not self.tensors[name].is_constant:
                    last[name] = i
            for name in op.outputs:
                first[name] = i
        for name in self.outputs:
            last[name] = n
        return {name: (f, last.get(name, f)) for name, f in first.items()}

    def op_graph(self, index: int) -> "Graph":
        """Op ``index`` alone as a graph (its weights, quantization and activation; its first
        input and output become the graph's): how a kernel is measured and tested by itself."""
        op = self.ops[index]
        sub = Graph(f"{self.name}_op{index}")
        for name in dict.fromkeys((*op.inputs, *op.outputs)):
            if name:
                sub.add_tensor(copy.copy(self.tensors[name]))
        sub.ops, sub.inputs, sub.outputs = [op], [op.inputs[0]], [op.outputs[0]]
        return sub

    def activations(self) -> list[Tensor]:
        """Non-constant tensors: what lives in the SRAM arena."""
        return [t for t in self.tensors.values() if not t.is_constant]

    def validate(self) -> None:
        """Check names resolve and ops are in topological order."""
        defined = set(self.inputs) | {n for n, t in self.tensors.items() if t.is_constant}
        for name in list(self.inputs) + list(self.outputs):
            if name not in self.tensors:
                raise GraphError(f"graph endpoint {name!r} is not a tensor")
        for i, op in enumerate(self.ops):
            for name in op.inputs:
                if not name:
                    continue
                if name not in self.tensors:
                    raise GraphError(f"op {i} ({op.OPCODE}) reads unknown tensor {name!r}")
                if name not in defined:
                    raise GraphError(f"op {i} ({op.OPCODE}) reads {name!r} before it is written")
            for name in op.outputs:
                if name not in self.tensors:
                    raise GraphError(f"op {i} ({op.OPCODE}) writes unknown tensor {name!r}")
                if name in defined:
                    raise GraphError(f"op {i} ({op.OPCODE}) rewrites {name!r}")
                defined.add(name)
        for name in self.outputs:
            if name not in defined:
                raise GraphError(f"graph output {name!r} is never written")
