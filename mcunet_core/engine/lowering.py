"""The lowering pass: the graph's decisions made once, then every op's kernel chosen and
laid out once with them; the memory plan, footprint and work counts read that one pass."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from ..errors import UserError
from ..ir import Graph
from ..sram import peak_sram_bytes
from .cost_model import FirmwareCosts, LatencyModel, NoCostModel, OpWork, default_latency_model
from .decisions import GraphDecisions, decide
from .kernels import select_kernel
from .kernels.base import Kernel, KernelCall, KernelPlan, LoweringContext
from .patch.constants import share_constants
from .planner.memory_plan import MemoryPlan, plan_from_kernel_plans
from .target import Target


@dataclass(frozen=True)
class Footprint:
    """What the deployed model takes: SRAM (arena + firmware RAM) and flash (constants + code)."""

    arena: int  # activations + scratch, every pool: the planner's exact figure
    stack: int  # the firmware's stack high-water (measured on the fit models)
    other_static_ram: int  # static RAM besides the arena and the stack
    constants: int  # the lowered constants' bytes (weights, records, tables)
    code: int  # runtime + per-op calls + the kernels linked

    @property
    def peak_sram(self) -> int:
        return peak_sram_bytes(self.arena + self.other_static_ram, self.stack)

    @property
    def flash(self) -> int:
        return self.constants + self.code


@dataclass
class Lowered:
    """One lowering pass of ``graph`` for ``target``: the decisions, the kernels and calls
    (``graph`` is the unrolled graph when the decisions chose a patch schedule)."""

    graph: Graph
    target: Target
    decisions: GraphDecisions
    kernels: list[Kernel]
    calls: list[KernelCall] = field(repr=False)
    #: detection post-processing after the last op (``engine.postprocess``), planned in the arena
    postprocess: object | None = None

    @property
    def plans(self) -> list[KernelPlan]:
        return [c.plan for c in self.calls]

    @cached_property
    def plan(self) -> MemoryPlan:
        """The arena layout (UserError naming the board when no placement fits its RAM pools)."""
        try:
            after = self.postprocess.buffers(len(self.graph.ops)) if self.postprocess is not None else ()
            return plan_from_kernel_plans(self.graph, self.plans, self.target.pools, after,
                                          self.decisions.external_inputs)
        except UserError as e:
            raise UserError([f"board {self.target.name}: {m}" for m in e.messages]) from None

    @property
    def constant_bytes(self) -> int:
        post = self.postprocess.constant_bytes if self.postprocess is not None else 0
        return int(sum(c.data.nbytes for call in self.calls for c in call.constants)) + post

    def footprint(self, firmware: FirmwareCosts | None = None) -> Footprint:
        """Exact arena and constants of this model, with the firmware's measured RAM and code."""
        fw = firmware or FirmwareCosts.measured()
        post = self.postprocess.kernel_plans() if self.postprocess is not None else []
        return Footprint(self.plan.arena_bytes, fw.stack, fw.other_static_ram, self.constant_bytes,
                         fw.code.bytes(self.plans + post))

    def work(self) -> list[OpWork]:
        """Work counts of every op that runs code (views such as RESHAPE run none)."""
        out = []
        contexts = LoweringContext.every_op(self.graph, self.target, self.decisions)
        for ctx, kernel, call in zip(contexts, self.kernels, self.calls):
            if call.plan.function is None:
                continue
            work = kernel.work(ctx, call.plan)
            if work is None:
                raise NoCostModel(f"{self.graph.name}: op {ctx.index} {ctx.op.OPCODE} runs {kernel.name} "
                                  f"({call.plan.function}), which declares no latency family ({ctx.shapes()}); "
                                  f"give it LATENCY_FAMILY and work(), then rerun bench/nas_latency_fit.py")
            out.append(OpWork.of(ctx.index, work))
        return out

    def instructions(self, model: LatencyModel | None = None) -> int:
        """Predicted instructions of one inference on the emulated core."""
        return (model or default_latency_model()).instructions(self.work())

    def postprocess_instructions(self, model: LatencyModel | None = None) -> int:
        """Predicted instructions of the detection post-processing after the inference (0: none),
        in the worst case its buffers allow (``engine.postprocess.PostprocessCounts``)."""
        if self.postprocess is None:
            return 0
        return (model or default_latency_model()).instructions(self.postprocess.work(len(self.graph.ops)))


def lower(graph: Graph, target: Target, decisions: GraphDecisions | None = None, postprocess=None) -> Lowered:
    """The full pass: decisions (unless given), then reordered weights, folded constants and
    call arguments per op; ``postprocess`` (``engine.postprocess.YoloPostprocess``) joins the
    plan after the last op."""
    decisions = decisions or decide(graph, target)
    graph = decisions.graph_for(graph)
    contexts = LoweringContext.every_op(graph, target, decisions)
    kernels = [select_kernel(ctx) for ctx in contexts]
    calls = [k.lower(ctx) for k, ctx in zip(kernels, contexts)]
    if decisions.patched is not None:
        calls = share_constants(calls)
    return Lowered(graph, target, decisions, kernels, calls, postprocess)


def kernel_plans(graph: Graph, target: Target, decisions: GraphDecisions | None = None) -> list[KernelPlan]:
    """Shape-only kernel facts per op, without the call arguments (under a flash budget the
    decisions still lower the constants to weigh the weight formats)."""
    decisions = decisions or decide(graph, target)
    graph = decisions.graph_for(graph)
    return [select_kernel(ctx).plan(ctx) for ctx in LoweringContext.every_op(graph, target, decisions)]


def plan_memory(graph: Graph, target: Target) -> MemoryPlan:
    decisions = decide(graph, target)
    return plan_from_kernel_plans(decisions.graph_for(graph), kernel_plans(graph, target, decisions), target.pools,
                                  external=decisions.external_inputs)


def peak_memory(graph: Graph, target: Target) -> int:
    """Exact arena bytes (activations + scratch, every pool) of the deployed model: what the
    code generator allocates. Peak SRAM adds the firmware's RAM (``Lowered.footprint()``)."""
    return plan_memory(graph, target).arena_bytes
