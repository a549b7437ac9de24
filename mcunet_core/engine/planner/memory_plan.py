"""From a graph and its kernels' memory rules to one arena layout and its exact peak.

``peak_memory()`` is THE peak: the NAS calls it to filter candidates and the code
generator lays the arena out with the same ``plan_memory()``, so search-time and
deploy-time memory cannot disagree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ...ir import Graph
from ..kernels.base import InPlace, KernelPlan, StreamingOverlap
from .placement import Placement, check_placement, place
from .problem import Buffer, Group, Member, Overlap, Problem


@dataclass
class MemoryPlan:
    graph_name: str
    arena_bytes: int
    no_reuse_bytes: int
    strategy: str
    tensor_offsets: dict[str, int]
    scratch_offsets: dict[int, int]  # op index -> offset of its scratch buffer
    buffers: list[Buffer] = field(repr=False, default_factory=list)
    problem: Problem | None = field(repr=False, default=None)

    def offset_of(self, buffer_name: str) -> int:
        if buffer_name.startswith("scratch:"):
            return self.scratch_offsets[int(buffer_name.split(":", 1)[1])]
        return self.tensor_offsets[buffer_name]

    def live_bytes_per_op(self, n_ops: int) -> list[int]:
        """Bytes of arena in use (extent of live buffers) at each op: the per-layer plot."""
        extents = []
        for i in range(n_ops):
            live = [b for b in self.buffers if b.first <= i <= b.last]
            extents.append(max((self.offset_of(b.name) + b.size for b in live), default=0))
        return extents

    def to_json(self) -> str:
        doc = {
            "graph": self.graph_name,
            "arena_bytes": self.arena_bytes,
            "no_reuse_bytes": self.no_reuse_bytes,
            "strategy": self.strategy,
            "buffers": [
                {
                    "name": b.name,
                    "kind": b.kind,
                    "offset": self.offset_of(b.name),
                    "size": b.size,
                    "first_op": b.first,
                    "last_op": b.last,
                }
                for b in self.buffers
            ],
        }
        return json.dumps(doc, indent=1, sort_keys=True) + "\n"


def _tensor_lifetimes(graph: Graph) -> dict[str, tuple[int, int]]:
    n = len(graph.ops)
    first: dict[str, int] = {name: -1 for name in graph.inputs}
    last: dict[str, int] = {}
    for i, op in enumerate(graph.ops):
        for name in op.inputs:
            if name and not graph.tensors[name].is_constant:
                last[name] = i
        for name in op.outputs:
            first[name] = i
    for name in graph.outputs:
        last[name] = n
    return {name: (f, last.get(name, f)) for name, f in first.items()}


class _Groups:
    """Union of in-place aliases; each tensor knows its group root and offset in it."""

    def __init__(self, buffers: dict[str, Buffer]):
        self.members: dict[str, list[Member]] = {name: [Member(b, 0)] for name, b in buffers.items()}
        self.root: dict[str, str] = {name: name for name in buffers}

    def group_of(self, name: str) -> list[Member]:
        return self.members[self.root[name]]

    def rel(self, name: str) -> int:
        return next(m.rel for m in self.group_of(name) if m.buffer.name == name)

    def dies_at(self, name: str, index: int) -> bool:
        return all(m.buffer.last <= index for m in self.group_of(name))

    def alias(self, base: str, alias: str, delta: int) -> None:
        """Put ``alias``'s group into ``base``'s group, ``delta`` bytes after ``base``."""
        base_root, alias_root = self.root[base], self.root[alias]
        shift = self.rel(base) + delta - self.rel(alias)
        moved = [Member(m.buffer, m.rel + shift) for m in self.members.pop(alias_root)]
        merged = self.members[base_root] + moved
        low = min(m.rel for m in merged)
        self.members[base_root] = [Member(m.buffer, m.rel - low) for m in merged]
        for m in moved:
            self.root[m.buffer.name] = base_root


def build_problem(graph: Graph, kernel_plans: list[KernelPlan], align: int = 8) -> Problem:
    lifetimes = _tensor_lifetimes(graph)
    buffers = {
        name: Buffer(name, graph.tensors[name].nbytes, f, l)
        for name, (f, l) in lifetimes.items()
        if not graph.tensors[name].is_constant
    }
    groups = _Groups(buffers)
    overlaps: list[Overlap] = []
    outputs = set(graph.outputs)
    for i, (op, kp) in enumerate(zip(graph.ops, kernel_plans)):
        rule = kp.memory
        if rule is None:
            continue
        src = op.inputs[rule.input_index]
        dst = op.outputs[0]
        if src not in buffers or src in outputs:
            continue
        if isinstance(rule, InPlace):
            is_view = kp.function is None
            if is_view or groups.dies_at(src, i):
                groups.alias(src, dst, rule.delta)
        elif isinstance(rule, StreamingOverlap) and groups.dies_at(src, i):
            overlaps.append(Overlap(src, dst, rule.max_delta()))
    group_list = [Group(sorted(ms, key=lambda m: m.buffer.name)) for ms in groups.members.values()]
    for i, kp in enumerate(kernel_plans):
        if kp.scratch_bytes:
            group_list.append(Group([Member(Buffer(f"scratch:{i}", kp.scratch_bytes, i, i, "scratch"), 0)]))
    group_list.sort(key=lambda g: (g.first, g.name))
    return Problem(group_list, overlaps, align)


def plan_from_kernel_plans(graph: Graph, kernel_plans: list[KernelPlan]) -> MemoryPlan:
    problem = build_problem(graph, kernel_plans)
    placement: Placement = place(problem)
    problems = check_placement(problem, placement)
    if problems:  # a planner bug, never a user error: fail loudly
        raise AssertionError("memory plan is unsafe:\n" + "\n".join(problems))
    tensor_offsets, scratch_offsets = {}, {}
    for g in problem.groups:
        base = placement.offsets[g.name]
        for m in g.members:
            if m.buffer.kind == "scratch":
                scratch_offsets[int(m.buffer.name.split(":", 1)[1])] = base + m.rel
            else:
                tensor_offsets[m.buffer.name] = base + m.rel
    buffers = problem.buffers()
    return MemoryPlan(
        graph_name=graph.name,
        arena_bytes=placement.peak,
        no_reuse_bytes=sum(b.size for b in buffers),
        strategy=placement.strategy,
        tensor_offsets=tensor_offsets,
        scratch_offsets=scratch_offsets,
        buffers=sorted(buffers, key=lambda b: (b.first, b.name)),
        problem=problem,
    )
