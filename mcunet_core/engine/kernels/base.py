"""What a kernel tells the engine: its C function, scratch, memory behaviour, constants and
the work its time is modelled by.

Lowering is split in two so the NAS can ask for exact peak memory cheaply:
``Kernel.plan()`` looks at shapes only (function name, scratch bytes, aliasing rule);
``Kernel.lower()`` also builds the reordered weights and folded constants. Neither makes a
whole-graph choice: those are made once per graph (``engine/decisions.py``) and read from
``LoweringContext.decisions``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ...ir import Graph, Op, Tensor
from ..target import Target

if TYPE_CHECKING:
    from ..decisions import GraphDecisions


@dataclass(frozen=True)
class InPlace:
    """The output occupies the input's bytes, starting ``delta`` bytes after it.

    Used where the kernel copes with it by construction (depthwise through a channel
    scratch plane, element-wise ops, RESHAPE views).
    """

    input_index: int = 0
    delta: int = 0


@dataclass(frozen=True)
class StreamingOverlap:
    """The output may overlap its input when the kernel never overwrites live input.

    The kernel produces ``out_units`` units (pixels or rows) of ``out_unit`` bytes in
    increasing order; once it writes output unit ``u``, input units below
    ``dead_slope * u + dead_bias`` (of ``in_units`` units of ``in_unit`` bytes) are no
    longer needed. The output may then start at most ``max_delta()`` bytes after the input.
    """

    input_index: int
    in_unit: int
    out_unit: int
    in_units: int
    out_units: int
    dead_slope: int = 1
    dead_bias: int = 0

    def max_delta(self) -> int:
        # For every u whose write still has live input above it (dead(u) < in_units):
        #   offset(out) - offset(in) <= max(dead(u), 0) * in_unit - (u + 1) * out_unit.
        # The bound is piecewise linear in u (flat dead count until dead(u) turns positive),
        # so its minimum is at an end of the range or at that kink.
        def dead(u: int) -> int:
            return max(self.dead_slope * u + self.dead_bias, 0)

        last = self.out_units - 1
        if self.dead_slope > 0:
            last = min(last, (self.in_units - 1 - self.dead_bias) // self.dead_slope)
        if last < 0 or dead(0) >= self.in_units:
            return self.in_units * self.in_unit  # every input byte is consumed before the first write
        candidates = {0, last}
        if self.dead_slope > 0 and self.dead_bias < 0:
            kink = -self.dead_bias // self.dead_slope
            candidates |= {u for u in (kink, kink + 1) if 0 <= u <= last}
        return min(dead(u) * self.in_unit - (u + 1) * self.out_unit for u in candidates)


MemoryRule = InPlace | StreamingOverlap | None


@dataclass(frozen=True)
class KernelPlan:
    """Shape-only facts about one op's kernel."""

    function: str | None  # None: no code (a view such as RESHAPE)
    sources: tuple[str, ...] = ()  # C files under firmware/kernels/
    scratch_bytes: int = 0
    memory: MemoryRule = None
    #: ``<function>_get_buffer_size(*buffer_size_args)`` in C returns ``scratch_bytes``
    #: (tests/engine/test_buffer_sizes.py keeps the two equal for every kernel).
    buffer_size_args: tuple[int, ...] = ()


@dataclass(frozen=True)
class ConstArray:
    """A constant array the kernel reads from flash."""

    name: str
    ctype: str  # int8_t, int16_t, int32_t, float
    data: np.ndarray
    align: int = 4


@dataclass(frozen=True)
class ConstStruct:
    """A kernel's parameter block in flash: ``fields`` are (name, int | const-array name | None)."""

    name: str
    ctype: str
    fields: tuple[tuple[str, int | str | None], ...]


# ---- arguments of a kernel call, rendered by the model.c template -------------------
@dataclass(frozen=True)
class TensorArg:
    """Pointer to an activation tensor in the arena (resolved through the memory plan)."""

    tensor: str
    ctype: str = "int8_t"
    const: bool = False
    kind: ClassVar[str] = "tensor"


@dataclass(frozen=True)
class ScratchArg:
    ctype: str = "int16_t"
    kind: ClassVar[str] = "scratch"


@dataclass(frozen=True)
class ConstArg:
    name: str
    kind: ClassVar[str] = "const"


@dataclass(frozen=True)
class StructArg:
    """Pointer to a ``ConstStruct``."""

    name: str
    kind: ClassVar[str] = "struct"


@dataclass(frozen=True)
class IntArg:
    value: int
    kind: ClassVar[str] = "int"


Arg = TensorArg | ScratchArg | ConstArg | StructArg | IntArg


@dataclass
class KernelCall:
    op_index: int
    plan: KernelPlan
    args: list[Arg] = field(default_factory=list)
    constants: list[ConstArray] = field(default_factory=list)
    structs: list[ConstStruct] = field(default_factory=list)
    comment: str = ""


@dataclass(frozen=True)
class LoweringContext:
    """One op in its graph, seen from a kernel, with the graph's decisions."""

    graph: Graph
    op: Op
    index: int
    target: Target
    decisions: "GraphDecisions" = field(compare=False, repr=False)

    @classmethod
    def every_op(cls, graph: Graph, target: Target, decisions: "GraphDecisions") -> list["LoweringContext"]:
        return [cls(graph, op, i, target, decisions) for i, op in enumerate(graph.ops)]

    @property
    def inputs(self) -> list[Tensor | None]:
        return self.graph.op_inputs(self.op)

    @property
    def outputs(self) -> list[Tensor]:
        return self.graph.op_outputs(self.op)

    @property
    def prefix(self) -> str:
        """C identifier prefix of this layer's constants."""
        return f"l{self.index}_{self.op.OPCODE.lower()}"

    def shapes(self) -> str:
        ins = ", ".join(str(list(t.shape)) if t is not None else "-" for t in self.inputs)
        outs = ", ".join(str(list(t.shape)) for t in self.outputs)
        return f"inputs {ins} -> outputs {outs}"


@dataclass(frozen=True)
class Work:
    """What drives one op's time on its kernel: the latency family (the cost table's key) and
    its work counts (inner-loop iterations, outputs, calls...), named in ``names`` order."""

    family: str
    names: tuple[str, ...]
    values: tuple[float, ...]


class Kernel:
    """One specialization of one op. Subclasses register per op type via ``OP``."""

    OP: ClassVar[type[Op]]
    #: Higher is tried first; the generic plain-C kernel of each op has the lowest.
    PRIORITY: ClassVar[int] = 0
    #: The latency family this kernel's time is modelled by (``work()``); None: no cost model.
    LATENCY_FAMILY: ClassVar[str | None] = None

    @property
    def name(self) -> str:
        """The kernel's public name (``Target.disabled_kernels`` takes these)."""
        return type(self).__name__

    def supports(self, ctx: LoweringContext) -> bool:
        return True

    def work(self, ctx: LoweringContext, plan: KernelPlan) -> Work | None:
        """The work counts of ``LATENCY_FAMILY`` for this op (None: the kernel has no cost model)."""
        return None

    def plan(self, ctx: LoweringContext) -> KernelPlan:
        raise NotImplementedError

    def lower(self, ctx: LoweringContext) -> KernelCall:
        raise NotImplementedError
