"""Choose a kernel for every op and turn the graph into kernel calls."""

from __future__ import annotations

from typing import Iterable

from ..ir import Graph
from .kernels import select_kernel
from .kernels.base import KernelCall, KernelPlan, LoweringContext
from .planner.memory_plan import MemoryPlan, plan_from_kernel_plans
from .target import Target


def _contexts(graph: Graph, target: Target, decided: dict | None = None) -> list[LoweringContext]:
    # one cache per pass: whole-graph decisions (weight formats, live bytes) made once;
    # ``decided`` presets some of them
    cache: dict = dict(decided or {})
    return [LoweringContext(graph, op, i, target, cache) for i, op in enumerate(graph.ops)]


def kernel_plans(graph: Graph, target: Target) -> list[KernelPlan]:
    """Shape-only kernel facts per op, without the call arguments. Under a flash budget the
    weight-format choice still lowers the graph's constants once (it weighs the emitted
    arrays), so a caller that also needs the calls should use one lowering pass instead."""
    return [select_kernel(ctx).plan(ctx) for ctx in _contexts(graph, target)]


def plan_memory(graph: Graph, target: Target) -> MemoryPlan:
    return plan_from_kernel_plans(graph, kernel_plans(graph, target), target.pools)


def peak_memory(graph: Graph, target: Target) -> int:
    """Exact arena bytes (activations + scratch, every pool) of the deployed model."""
    return plan_memory(graph, target).arena_bytes


def lower_graph(graph: Graph, target: Target) -> list[KernelCall]:
    """Full lowering: reordered weights, folded constants and call arguments per op."""
    return [select_kernel(ctx).lower(ctx) for ctx in _contexts(graph, target)]


def constant_bytes(graph: Graph, target: Target, decided: dict, ops: Iterable[int] | None = None) -> dict[int, int]:
    """Flash bytes of the constants of each op (of ``ops``, default all) lowered with the
    whole-graph decisions ``decided`` (memo key -> value) taken as made: what a decision
    costs in flash, measured on the very arrays the code generator would emit."""
    contexts = _contexts(graph, target, decided)
    wanted = range(len(contexts)) if ops is None else ops
    return {i: sum(c.data.nbytes for c in select_kernel(contexts[i]).lower(contexts[i]).constants) for i in wanted}


def lower_and_plan(graph: Graph, target: Target) -> tuple[list[KernelCall], MemoryPlan]:
    """Both in one pass (the code generator): each kernel is chosen and laid out once, and
    the plan comes from the very kernel plans the calls carry."""
    calls = [select_kernel(ctx).lower(ctx) for ctx in _contexts(graph, target)]
    return calls, plan_from_kernel_plans(graph, [c.plan for c in calls], target.pools)
