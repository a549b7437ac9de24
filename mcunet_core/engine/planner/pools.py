"""Several memory pools (H743: AXI SRAM, then DTCM and SRAM1-4): what does not fit the
arena region spills, group by group, into the board's other RAM regions."""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import UserError
from .placement import Placement, place
from .problem import Group, Problem


@dataclass(frozen=True)
class Pool:
    """One static arena: the first pool is the board's arena region."""

    name: str
    capacity: int | None  # bytes; None = unbounded
    symbol: str  # C array name
    section: str  # linker input section


#: One unbounded pool: host builds and estimates.
SINGLE = (Pool("arena", None, "mcunet_arena", ".arena"),)


def _subproblem(problem: Problem, groups: list[Group]) -> Problem:
    names = {m.buffer.name for g in groups for m in g.members}
    overlaps = [o for o in problem.overlaps if o.inp in names and o.out in names]
    aliases = [a for a in problem.aliases if a.base in names]
    return Problem(groups, overlaps, problem.align, aliases)


def _fits(pool: Pool, placement: Placement) -> bool:
    return pool.capacity is None or placement.peak <= pool.capacity


def _peak_groups(groups: list[Group], placement: Placement) -> list[Group]:
    """Groups that touch the top of the pool: moving one of them can lower its peak."""
    live = [g for g in groups if placement.offsets[g.name] + g.size > placement.peak - max(g.size, 1)]
    return sorted(live, key=lambda g: (-g.size, g.name))


def assign_pools(problem: Problem, pools: tuple[Pool, ...]) -> dict[str, tuple[Problem, Placement]]:
    """Place every group in the first pool, then move groups out of an overfull pool into
    later pools with room, largest at the top first. Raises UserError if nothing fits."""
    members: dict[str, list[Group]] = {p.name: [] for p in pools}
    members[pools[0].name] = list(problem.groups)
    placed = {p.name: place(_subproblem(problem, members[p.name])) for p in pools}
    for index, pool in enumerate(pools):
        while not _fits(pool, placed[pool.name]):
            moved = False
            for group in _peak_groups(members[pool.name], placed[pool.name]):
                for other in pools[index + 1:]:
                    trial = place(_subproblem(problem, members[other.name] + [group]))
                    if not _fits(other, trial):
                        continue
                    members[other.name].append(group)
                    members[pool.name].remove(group)
                    placed[other.name] = trial
                    placed[pool.name] = place(_subproblem(problem, members[pool.name]))
                    moved = True
                    break
                if moved:
                    break
            if not moved:
                total = sum(placed[p.name].peak for p in pools)
                need = placed[pool.name].peak
                raise UserError(
                    f"region {pool.name} overflowed by {need - pool.capacity} bytes: the model needs {need} bytes "
                    f"of activations there ({total} in all) and no buffer fits in another region "
                    f"({', '.join(f'{p.name} {p.capacity}' for p in pools)}); shrink the model or its resolution"
                )
    return {p.name: (_subproblem(problem, members[p.name]), placed[p.name]) for p in pools if members[p.name]}
