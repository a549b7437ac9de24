"""Offset assignment: several orderings fed to a first-fit placer, then local search.

Every strategy is deterministic, so the NAS (which calls the same planner) and the
deployed firmware always agree on the peak. Overlap tests are half-open: [off, off+size).
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

from .problem import Problem


def _align_up(x: int, a: int) -> int:
    return (x + a - 1) // a * a


@dataclass
class Placement:
    offsets: dict[str, int]  # group name -> base offset
    peak: int
    strategy: str


class _Index:
    """Precomputed conflicts and overlap exceptions between groups."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.groups = problem.groups
        self.rules = {(o.inp, o.out): o.max_delta for o in problem.overlaps}
        # conflicts[i] = list of (j, [(rel_i, size_i, rel_j, size_j, rule)]) for time-overlapping member pairs
        n = len(self.groups)
        self.conflicts: list[list[tuple[int, list[tuple]]]] = [[] for _ in range(n)]
        for i, j in itertools.combinations(range(n), 2):
            gi, gj = self.groups[i], self.groups[j]
            if not (gi.first <= gj.last and gj.first <= gi.last):
                continue
            pairs = []
            for mi in gi.members:
                for mj in gj.members:
                    if mi.buffer.live_with(mj.buffer):
                        pairs.append((mi.rel, mi.buffer.size, mj.rel, mj.buffer.size, self._rule(mi, mj)))
            if pairs:
                self.conflicts[i].append((j, pairs))
                self.conflicts[j].append((i, [(c, d, a, b, None if r is None else (-r[0], r[1])) for a, b, c, d, r in pairs]))

    def _rule(self, mi, mj):
        """(sign, max_delta): overlap allowed if sign*(off_j - off_i) <= max_delta."""
        a, b = mi.buffer.name, mj.buffer.name
        if (a, b) in self.rules:  # i is the input, j the output
            return (1, self.rules[(a, b)])
        if (b, a) in self.rules:  # j is the input, i the output
            return (-1, self.rules[(b, a)])
        return None

    def fits(self, i: int, base: int, offsets: dict[int, int]) -> bool:
        for j, pairs in self.conflicts[i]:
            oj = offsets.get(j)
            if oj is None:
                continue
            for rel_i, size_i, rel_j, size_j, rule in pairs:
                ai, aj = base + rel_i, oj + rel_j
                if ai < aj + size_j and aj < ai + size_i:
                    if rule is None:
                        return False
                    sign, max_delta = rule
                    if sign * (aj - ai) > max_delta:
                        return False
        return True

    def candidates(self, i: int, offsets: dict[int, int]) -> list[int]:
        cands = {0}
        for j, pairs in self.conflicts[i]:
            oj = offsets.get(j)
            if oj is None:
                continue
            for rel_i, size_i, rel_j, size_j, rule in pairs:
                cands.add(oj + rel_j + size_j - rel_i)
                if rule is not None:
                    sign, max_delta = rule
                    # the furthest overlap the rule allows, from either side
                    cands.add(oj + rel_j - sign * max_delta - rel_i)
        a = self.problem.align
        return sorted({_align_up(c, a) for c in cands if c >= 0})

    def place(self, order: list[int]) -> tuple[dict[int, int], int]:
        offsets: dict[int, int] = {}
        peak = 0
        for i in order:
            for base in self.candidates(i, offsets):
                if self.fits(i, base, offsets):
                    offsets[i] = base
                    peak = max(peak, base + self.groups[i].size)
                    break
        return offsets, peak


def _orders(index: _Index) -> dict[str, list[int]]:
    groups = index.groups
    n = len(groups)
    ids = list(range(n))
    degree = [sum(groups[j].size for j, _ in index.conflicts[i]) for i in ids]
    return {
        "greedy-by-size": sorted(ids, key=lambda i: (-groups[i].size, i)),
        "greedy-by-conflicts": sorted(ids, key=lambda i: (-(degree[i] + groups[i].size), i)),
        "greedy-by-lifetime": sorted(ids, key=lambda i: (-(groups[i].last - groups[i].first), -groups[i].size, i)),
        "first-use": sorted(ids, key=lambda i: (groups[i].first, -groups[i].size, i)),
    }


def place(problem: Problem, search_iterations: int = 300, exhaustive_limit: int = 7, seed: int = 0) -> Placement:
    """Best placement over the greedy orders, exhaustive for tiny problems, hill climbing after."""
    index = _Index(problem)
    n = len(problem.groups)
    best: tuple[int, list[int], str] | None = None

    def consider(order: list[int], name: str):
        nonlocal best
        _, peak = index.place(order)
        if best is None or peak < best[0]:
            best = (peak, list(order), name)

    for name, order in _orders(index).items():
        consider(order, name)
    if 0 < n <= exhaustive_limit:
        for perm in itertools.permutations(range(n)):
            consider(list(perm), "exhaustive")
    elif n > 1:
        rng = random.Random(seed)
        peak, order, name = best
        for _ in range(search_iterations):
            i, j = rng.sample(range(n), 2)
            cand = list(order)
            cand[i], cand[j] = cand[j], cand[i]
            _, cpeak = index.place(cand)
            if cpeak <= peak:
                if cpeak < peak:
                    name = "hill-climbing"
                peak, order = cpeak, cand
        if peak < best[0]:
            best = (peak, order, name)
    if best is None:
        return Placement({}, 0, "empty")
    peak, order, name = best
    offsets, _ = index.place(order)
    return Placement({problem.groups[i].name: off for i, off in offsets.items()}, peak, name)


def check_placement(problem: Problem, placement: Placement) -> list[str]:
    """Independent verifier: every pair of live buffers is disjoint unless a rule allows it."""
    rules = {(o.inp, o.out): o.max_delta for o in problem.overlaps}
    where = {}
    for g in problem.groups:
        base = placement.offsets[g.name]
        for m in g.members:
            where[m.buffer.name] = (m.buffer, base + m.rel)
    problems = []
    for rule in problem.aliases:  # in-place outputs and views sit exactly where their rule says
        base, alias = where[rule.base][1], where[rule.alias][1]
        if alias - base != rule.delta:
            problems.append(f"{rule.alias} at {alias} is not {rule.delta} bytes after {rule.base} at {base}")
    for (a, oa), (b, ob) in itertools.combinations(where.values(), 2):
        if a.name == b.name or not a.live_with(b):
            continue
        if not (oa < ob + b.size and ob < oa + a.size):
            continue
        same_group = any(
            {a.name, b.name} <= {m.buffer.name for m in g.members} for g in problem.groups
        )
        if same_group:
            continue
        if (a.name, b.name) in rules and ob - oa <= rules[(a.name, b.name)]:
            continue
        if (b.name, a.name) in rules and oa - ob <= rules[(b.name, a.name)]:
            continue
        problems.append(f"{a.name} [{oa},{oa + a.size}) overlaps {b.name} [{ob},{ob + b.size}) while both live")
    for buf, off in where.values():
        if off < 0 or off + buf.size > placement.peak:
            problems.append(f"{buf.name} [{off},{off + buf.size}) outside the arena of {placement.peak} bytes")
    return problems
