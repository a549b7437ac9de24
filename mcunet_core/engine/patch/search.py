"""The patch schedule, chosen by exact search: every candidate (split op, patch grid) is
unrolled, planned by the memory planner and costed by the kernel cost model; the lowest
arena whose instructions stay within ``(1 + cap)`` of the whole-tensor run's wins, and the
whole-tensor plan wins when no schedule is lower. A candidate's arena is bounded below by its
live activation bytes, so most are never planned."""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import UserError
from ...ir import Graph
from ..cost_model import NoCostModel, OpWork, default_latency_model
from ..kernels import select_kernel
from ..kernels.base import LoweringContext
from ..planner.memory_plan import plan_from_kernel_plans
from .schedule import PatchSchedule
from .stage import stage_output, valid_splits

#: Most patches per side a candidate has (MCUNetV2 uses 2-4 x 2-4 on VWW and ImageNet).
MAX_SIDE = 8


@dataclass(frozen=True)
class Candidate:
    """One schedule (None: whole tensors) with its exact arena and predicted instructions
    (None: a kernel without a fitted cost)."""

    schedule: PatchSchedule | None
    arena: int
    instructions: int | None

    def to_json(self) -> dict:
        return {"schedule": self.schedule.to_json() if self.schedule else None, "arena_bytes": self.arena,
                "instructions": self.instructions}


@dataclass
class _Costed:
    """A candidate before planning: its plans, predicted instructions and arena lower bound."""

    decisions: object
    plans: list
    instructions: int | None
    bound: int  # the live activation bytes at its busiest op: no placement goes below

    @classmethod
    def of(cls, graph: Graph, target, decisions) -> "_Costed":
        g = decisions.graph_for(graph)
        contexts = LoweringContext.every_op(g, target, decisions)
        kernels = [select_kernel(ctx) for ctx in contexts]
        plans = [k.plan(ctx) for k, ctx in zip(kernels, contexts)]
        try:
            work = [OpWork.of(ctx.index, k.work(ctx, p)) for ctx, k, p in zip(contexts, kernels, plans)
                    if p.function is not None]
            instructions = default_latency_model().instructions(work)
        except (NoCostModel, AttributeError, TypeError):  # work() None: no latency family
            instructions = None
        return cls(decisions, plans, instructions, decisions.peak_live_bytes)

    def planned(self, graph: Graph, target) -> Candidate:
        g = self.decisions.graph_for(graph)
        arena = plan_from_kernel_plans(g, self.plans, target.pools).arena_bytes
        return Candidate(self.decisions.schedule, arena, self.instructions)


def candidates(graph: Graph) -> list[PatchSchedule]:
    """Every split with grids of 2..MAX_SIDE patches a side, and of rows (tall inputs)."""
    out = []
    for split in valid_splits(graph):
        h, w = graph.tensors[stage_output(graph, split)].shape[1:3]
        grids = {(n, n) for n in range(2, min(h, w, MAX_SIDE) + 1)} | {(n, 1) for n in range(2, min(h, MAX_SIDE) + 1)}
        out += [PatchSchedule(split, g) for g in sorted(grids)]
    return out


def search(graph: Graph, target, whole, *, exhaustive: bool = False) -> tuple[Candidate, list[Candidate]]:
    """(the chosen candidate, the candidates planned, whole tensors first). Branch and bound:
    every candidate is costed (cheap), those within the instruction cap are planned in the
    order of their arena's lower bound until the bound reaches the best arena planned, so the
    result is the one an exhaustive search finds; ``exhaustive`` plans every candidate
    (tables)."""
    from ..decisions import decide_patched

    base = _Costed.of(graph, target, whole).planned(graph, target)
    best, seen = base, [base]
    if base.instructions is None:
        return base, seen  # the cap cannot be checked
    limit = base.instructions * (1 + target.patch.cap)
    costed = [_Costed.of(graph, target, decide_patched(graph, target, whole, s)) for s in candidates(graph)]
    costed = [c for c in costed if exhaustive or (c.instructions is not None and c.instructions <= limit)]
    for c in sorted(costed, key=lambda c: (c.bound, c.decisions.schedule.patches, c.decisions.schedule.split)):
        if not exhaustive and c.bound >= best.arena:
            break
        try:
            cand = c.planned(graph, target)
        except UserError:  # no placement fits the board's pools
            continue
        seen.append(cand)
        if cand.instructions is not None and cand.instructions <= limit and cand.arena < best.arena:
            best = cand
    return best, seen


def choose_schedule(graph: Graph, target, whole) -> PatchSchedule | None:
    """``target.patch``'s schedule for ``graph``: the fixed one, or auto's choice (None:
    whole tensors)."""
    policy = target.patch
    if policy.mode == "fixed":
        return policy.schedule
    return search(graph, target, whole)[0].schedule
