"""Per-op cost figures: MACs, parameters, activation sizes (used by the NAS and reports).

MACs count multiply-accumulates of the arithmetic that dominates each op:
CONV_2D ``N*OH*OW*O*KH*KW*C/groups``, DEPTHWISE_CONV_2D ``N*OH*OW*C*M*KH*KW``,
FULLY_CONNECTED ``rows*units*depth``, AVERAGE_POOL_2D one accumulate per window
element ``N*OH*OW*C*KH*KW``, MEAN one per input element, MUL one per output
element; everything else (data movement, comparisons, lookups, ADD) counts 0.
Parameters are the constant tensors an op reads (weights, biases, constant
operands); totals count a shared constant once. Activation bytes are the op's
non-constant inputs and outputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .graph import Graph
from .ops import AveragePool2D, Conv2D, DepthwiseConv2D, FullyConnected, Mean, Mul, Op
from .tensor import Tensor

__all__ = ["OpStats", "GraphStats", "op_macs", "graph_stats", "format_stats"]


@dataclass(frozen=True)
class OpStats:
    index: int
    opcode: str
    macs: int
    params: int  # constant elements read by the op
    param_bytes: int
    input_bytes: int  # non-constant inputs
    output_bytes: int
    input_shapes: tuple[tuple[int, ...], ...]
    output_shapes: tuple[tuple[int, ...], ...]

    @property
    def activation_bytes(self) -> int:
        """Bytes the op touches in the activation arena if nothing is shared (inputs + outputs)."""
        return self.input_bytes + self.output_bytes


@dataclass(frozen=True)
class GraphStats:
    ops: list[OpStats] = field(default_factory=list)
    total_macs: int = 0
    total_params: int = 0
    total_param_bytes: int = 0
    input_bytes: int = 0
    output_bytes: int = 0
    max_activation_bytes: int = 0  # the largest single-op inputs + outputs (a lower bound of peak SRAM)

    def as_dict(self) -> dict:
        return {
            "total_macs": self.total_macs,
            "total_params": self.total_params,
            "total_param_bytes": self.total_param_bytes,
            "input_bytes": self.input_bytes,
            "output_bytes": self.output_bytes,
            "max_activation_bytes": self.max_activation_bytes,
            "ops": [
                {
                    "index": o.index,
                    "opcode": o.opcode,
                    "macs": o.macs,
                    "params": o.params,
                    "param_bytes": o.param_bytes,
                    "input_bytes": o.input_bytes,
                    "output_bytes": o.output_bytes,
                }
                for o in self.ops
            ],
        }


def _size(shape) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


def op_macs(op: Op, ins: list[Tensor | None], outs: list[Tensor]) -> int:
    out = outs[0]
    if isinstance(op, Conv2D):
        w = ins[1]
        return _size(out.shape) * w.shape[1] * w.shape[2] * w.shape[3]
    if isinstance(op, DepthwiseConv2D):
        w = ins[1]
        return _size(out.shape) * w.shape[1] * w.shape[2]
    if isinstance(op, FullyConnected):
        return _size(out.shape) * ins[1].shape[1]
    if isinstance(op, AveragePool2D):
        return _size(out.shape) * op.filter[0] * op.filter[1]
    if isinstance(op, Mean):
        return _size(ins[0].shape)
    if isinstance(op, Mul):
        return _size(out.shape)
    return 0


def graph_stats(graph: Graph) -> GraphStats:
    rows = []
    seen_consts: set[str] = set()
    total_params = total_param_bytes = 0
    for i, op in enumerate(graph.ops):
        ins = graph.op_inputs(op)
        outs = graph.op_outputs(op)
        consts = [t for t in ins if t is not None and t.is_constant]
        for t in consts:
            if t.name not in seen_consts:
                seen_consts.add(t.name)
                total_params += t.size
                total_param_bytes += t.nbytes
        rows.append(
            OpStats(
                index=i,
                opcode=op.OPCODE,
                macs=op_macs(op, ins, outs),
                params=sum(t.size for t in consts),
                param_bytes=sum(t.nbytes for t in consts),
                input_bytes=sum(t.nbytes for t in ins if t is not None and not t.is_constant),
                output_bytes=sum(t.nbytes for t in outs),
                input_shapes=tuple(t.shape for t in ins if t is not None),
                output_shapes=tuple(t.shape for t in outs),
            )
        )
    return GraphStats(
        ops=rows,
        total_macs=sum(r.macs for r in rows),
        total_params=total_params,
        total_param_bytes=total_param_bytes,
        input_bytes=sum(graph.tensors[n].nbytes for n in graph.inputs),
        output_bytes=sum(graph.tensors[n].nbytes for n in graph.outputs),
        max_activation_bytes=max((r.activation_bytes for r in rows), default=0),
    )


def format_stats(stats: GraphStats) -> str:
    """A markdown table of the per-op figures and the totals."""
    lines = [
        "| # | op | output | MACs | params | param bytes | act in | act out |",
        "|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in stats.ops:
        shape = "x".join(map(str, r.output_shapes[0])) if r.output_shapes else ""
        lines.append(
            f"| {r.index} | {r.opcode} | {shape} | {r.macs:,} | {r.params:,} | {r.param_bytes:,} | {r.input_bytes:,} | {r.output_bytes:,} |"
        )
    lines.append(
        f"| | **total** | | {stats.total_macs:,} | {stats.total_params:,} | {stats.total_param_bytes:,} | "
        f"peak op {stats.max_activation_bytes:,} | |"
    )
    return "\n".join(lines)
