"""The schedule a target's patch policy gives a graph, and why: ``fixed`` takes the given one;
``auto`` takes the search's (lowest arena under the instruction cap, whole tensors when lower).
Fit or patch: when nothing under the cap fits the target's RAM pools, ``auto`` takes the
fitting schedule of fewest instructions at any cost; when none fits, the build fails naming
what the best schedule needed."""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import UserError
from ...ir import Graph
from .schedule import PatchPolicy, PatchSchedule
from .search import Candidate, cheapest_fit, costed, search, whole_tensors


@dataclass(frozen=True)
class PatchChoice:
    """The policy, the whole-tensor run, the chosen candidate (None: a fixed schedule, not
    searched) and ``relaxed``: chosen over the cap because nothing under it fits."""

    policy: PatchPolicy
    schedule: PatchSchedule | None
    whole: Candidate | None = None
    chosen: Candidate | None = None
    relaxed: bool = False

    def to_json(self) -> dict:
        return {"policy": self.policy.to_json(), "cap": self.policy.cap, "relaxed": self.relaxed,
                "whole": self.whole.to_json() if self.whole else None,
                "chosen": self.chosen.to_json() if self.chosen else None}

    def describe(self) -> str:
        """One line for the build's output."""
        if self.chosen is None:
            return f"patch {self.policy}: {self.schedule} (fixed); whole tensors {self.whole.figures()}"
        line = f"patch {self.policy} (cap {self.policy.cap:.0%}): {self.chosen.describe(self.whole)}"
        if self.schedule is not None and self.whole is not None:
            line += (f"; whole tensors {self.whole.arena:,} B" if self.whole.fits
                     else f"; whole tensors need {self.whole.arena:,} B and do not fit")
        if self.relaxed:
            line += f", over the {self.policy.cap:.0%} cap: nothing under it fits the RAM"
        return line


def _tried(policy: PatchPolicy) -> str:
    splits = "every split" if policy.max_splits is None else f"{policy.max_splits} splits"
    grids = "up to 8x8 patches" if policy.sides is None else "/".join(f"{n}x{n}" for n in policy.sides) + " patches"
    return f"{splits} with {grids}"


def _room(target) -> str:
    return ", ".join(f"{p.name} {p.capacity:,} B" for p in target.pools if p.capacity is not None) or "unbounded"


def choose(graph: Graph, target, whole) -> PatchChoice:
    """``target.patch``'s schedule for ``graph`` (whole-graph decisions ``whole``); a UserError
    when ``auto`` finds no schedule that fits the target's RAM pools."""
    policy = target.patch
    if policy.mode == "fixed":
        return PatchChoice(policy, policy.schedule, whole_tensors(graph, target, whole))
    pool = costed(graph, target, whole)
    best, seen = search(graph, target, whole, pool=pool)
    base = seen[0]
    if best.fits or not pool or base.instructions is None:  # no schedule to try: the planner's own error
        return PatchChoice(policy, best.schedule, base, best)
    cheapest = cheapest_fit(graph, target, whole, pool)
    if cheapest is not None:
        return PatchChoice(policy, cheapest.schedule, base, cheapest, relaxed=True)
    lowest, _ = search(graph, target, whole, cap=float("inf"), pool=pool)
    best = (f"the best patch schedule ({lowest.schedule}) needs {lowest.figures(base)}" if lowest.schedule
            else "no patch schedule needs less")
    raise UserError(
        f"board {target.name}: {graph.name} does not fit its RAM, with or without patches: whole tensors need an "
        f"arena of {base.arena:,} B ({base.instructions:,} instructions), {best}; the board's RAM holds "
        f"{_room(target)} (patch auto tried {_tried(policy)}, at any instruction cost); "
        f"shrink the model or its resolution")
