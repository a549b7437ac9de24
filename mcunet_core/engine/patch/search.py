"""The patch schedule, chosen by exact search: every candidate (split op, patch grid) is
unrolled, planned by the memory planner and costed by the kernel cost model; the lowest
arena whose instructions stay within ``(1 + cap)`` of the whole-tensor run's wins, and the
whole-tensor plan wins when no schedule is lower. A candidate's arena is bounded below by its
live activation bytes, so most are never planned. A candidate that does not fit the target's
RAM pools is never chosen; its arena is then what it needs in one unbounded pool.

``cheapest_fit`` is the fallback when nothing fits under the cap: the fitting schedule of
fewest instructions, whatever it costs."""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import UserError
from ...ir import Graph
from ..cost_model import NoCostModel, OpWork, default_latency_model
from ..kernels import select_kernel
from ..kernels.base import LoweringContext
from ..planner.memory_plan import plan_from_kernel_plans
from ..planner.pools import SINGLE
from .schedule import PatchSchedule
from .stage import stage_output, valid_splits

#: Most patches per side a candidate has (MCUNetV2 uses 2-4 x 2-4 on VWW and ImageNet).
MAX_SIDE = 8


@dataclass(frozen=True)
class Candidate:
    """One schedule (None: whole tensors) with its exact arena and predicted instructions
    (None: a kernel without a fitted cost); ``fits``: placed in the target's RAM pools (when
    not, ``arena`` is what it needs in one pool)."""

    schedule: PatchSchedule | None
    arena: int
    instructions: int | None
    fits: bool = True

    def to_json(self) -> dict:
        return {"schedule": self.schedule.to_json() if self.schedule else None, "arena_bytes": self.arena,
                "instructions": self.instructions, "fits": self.fits}

    def figures(self, base: "Candidate | None" = None) -> str:
        """``arena 91,120 B, 42,500,000 instructions (+2.7% over base)``."""
        count = "instructions unknown" if self.instructions is None else f"{self.instructions:,} instructions"
        if base is not None and base.instructions and self.instructions is not None and self.schedule:
            count += f" ({self.instructions / base.instructions - 1:+.1%})"
        return f"arena {self.arena:,} B, {count}"

    def describe(self, base: "Candidate | None" = None) -> str:
        """``split 6, 5x1 patches: arena 91,120 B, 42,500,000 instructions (+2.7%)``."""
        return f"{self.schedule or 'whole tensors'}: {self.figures(base)}"


def _room(target) -> int | None:
    """Bytes the target's RAM pools hold together (None: unbounded)."""
    return None if any(p.capacity is None for p in target.pools) else sum(p.capacity for p in target.pools)


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
        room, external = _room(target), self.decisions.external_inputs
        try:
            if room is not None and self.bound > room:
                raise UserError("more live bytes than the pools hold")
            arena, fits = plan_from_kernel_plans(g, self.plans, target.pools, external=external).arena_bytes, True
        except UserError:  # no placement fits the board's pools: what it needs in one
            arena, fits = plan_from_kernel_plans(g, self.plans, SINGLE, external=external).arena_bytes, False
        return Candidate(self.decisions.schedule, arena, self.instructions, fits)


def narrow_splits(graph: Graph, most: int) -> list[int]:
    """Per stage-output resolution, highest first, the split handing on the fewest bytes (the
    earliest of equals): where MCUNetV2 splits, after the high-resolution ops; ``most`` of them."""
    best: dict[tuple[int, int], int] = {}
    for split in valid_splits(graph):
        t = graph.tensors[stage_output(graph, split)]
        hw = tuple(t.shape[1:3])
        if hw not in best or t.nbytes < graph.tensors[stage_output(graph, best[hw])].nbytes:
            best[hw] = split
    ranked = sorted(best.items(), key=lambda kv: -kv[0][0] * kv[0][1])
    return sorted(split for _, split in ranked[:most])


def candidates(graph: Graph, policy=None) -> list[PatchSchedule]:
    """Every split with grids of 2..MAX_SIDE patches a side, and of rows (tall inputs); or,
    where ``policy`` (a ``PatchPolicy``) narrows them, its sides at its fewest splits."""
    sides, most = (policy.sides, policy.max_splits) if policy is not None else (None, None)
    splits = valid_splits(graph) if most is None else narrow_splits(graph, most)
    out = []
    for split in splits:
        h, w = graph.tensors[stage_output(graph, split)].shape[1:3]
        if sides is None:
            grids = ({(n, n) for n in range(2, min(h, w, MAX_SIDE) + 1)}
                     | {(n, 1) for n in range(2, min(h, MAX_SIDE) + 1)})
        else:
            grids = {(n, n) for n in sides if 2 <= n <= min(h, w)} | {(n, 1) for n in sides if 2 <= n <= h}
        out += [PatchSchedule(split, g) for g in sorted(grids)]
    return out


def whole_tensors(graph: Graph, target, whole) -> Candidate:
    """The whole-tensor run as a candidate: its arena (planned) and instructions."""
    return _Costed.of(graph, target, whole).planned(graph, target)


def costed(graph: Graph, target, whole) -> list[_Costed]:
    """Every candidate unrolled, its kernels planned and its instructions predicted (no arena
    yet): what ``search`` and ``cheapest_fit`` share."""
    from ..decisions import decide_patched

    return [_Costed.of(graph, target, decide_patched(graph, target, whole, s)) for s in candidates(graph, target.patch)]


def search(graph: Graph, target, whole, *, exhaustive: bool = False, cap: float | None = None,
           pool: list[_Costed] | None = None) -> tuple[Candidate, list[Candidate]]:
    """(the chosen candidate, the candidates planned, whole tensors first). Branch and bound:
    every candidate is costed (cheap), those within the instruction cap (``target.patch.cap``
    unless ``cap``) are planned in the order of their arena's lower bound until the bound
    reaches the best arena planned, so the result is the one an exhaustive search finds;
    ``exhaustive`` plans every candidate (tables). When nothing under the cap fits the
    target's pools, the chosen one is the lowest arena planned, with ``fits`` False.
    ``pool``: the candidates ``costed`` already (default: all of them, costed here)."""
    base = whole_tensors(graph, target, whole)
    seen = [base]
    if base.instructions is None:
        return base, seen  # the cap cannot be checked
    limit = base.instructions * (1 + (target.patch.cap if cap is None else cap))
    within = [c for c in (costed(graph, target, whole) if pool is None else pool)
              if exhaustive or (c.instructions is not None and c.instructions <= limit)]
    best = base  # the lowest fitting arena under the cap; while nothing fits, the lowest arena
    for c in sorted(within, key=lambda c: (c.bound, c.decisions.schedule.patches, c.decisions.schedule.split)):
        if not exhaustive and c.bound >= best.arena:
            break
        cand = c.planned(graph, target)
        seen.append(cand)
        under = cand.instructions is not None and cand.instructions <= limit
        if under and (cand.fits, -cand.arena) > (best.fits, -best.arena):
            best = cand
    return best, seen


def cheapest_fit(graph: Graph, target, whole, pool: list[_Costed] | None = None) -> Candidate | None:
    """The schedule of fewest predicted instructions that fits the target's RAM pools, at any
    instruction cost (None: none fits). Candidates whose live bytes exceed the pools' room
    are not planned."""
    room = _room(target)
    pool = costed(graph, target, whole) if pool is None else pool
    pool = [c for c in pool if c.instructions is not None and (room is None or c.bound <= room)]
    for c in sorted(pool, key=lambda c: (c.instructions, c.bound)):
        cand = c.planned(graph, target)
        if cand.fits:
            return cand
    return None
