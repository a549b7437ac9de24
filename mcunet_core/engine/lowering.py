"""Choose a kernel for every op and turn the graph into kernel calls."""

from __future__ import annotations

from ..ir import Graph
from .kernels import select_kernel
from .kernels.base import KernelCall, KernelPlan, LoweringContext
from .planner.memory_plan import MemoryPlan, plan_from_kernel_plans
from .target import Target


def _contexts(graph: Graph, target: Target) -> list[LoweringContext]:
    return [LoweringContext(graph, op, i, target) for i, op in enumerate(graph.ops)]


def kernel_plans(graph: Graph, target: Target) -> list[KernelPlan]:
    """Shape-only kernel facts per op (cheap: what the NAS needs)."""
    return [select_kernel(ctx).plan(ctx) for ctx in _contexts(graph, target)]


def plan_memory(graph: Graph, target: Target) -> MemoryPlan:
    return plan_from_kernel_plans(graph, kernel_plans(graph, target), target.pools)


def peak_memory(graph: Graph, target: Target) -> int:
    """Exact arena bytes (activations + scratch) of the deployed model."""
    return plan_memory(graph, target).arena_bytes


def lower_graph(graph: Graph, target: Target) -> list[KernelCall]:
    """Full lowering: reordered weights, folded constants and call arguments per op."""
    return [select_kernel(ctx).lower(ctx) for ctx in _contexts(graph, target)]
