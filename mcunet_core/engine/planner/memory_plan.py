"""From a graph and its kernels' memory rules to one arena layout and its exact arena bytes.

The lowering pass (``engine.lower()``) plans once; its ``.plan`` is what the code generator
lays out and what ``Lowered.footprint()`` (the NAS's peak SRAM) reads, so search-time and
deploy-time memory cannot disagree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ...ir import Graph
from ..kernels.base import InPlace, KernelPlan, StreamingOverlap
from .placement import check_placement
from .pools import SINGLE, Pool, assign_pools
from .problem import Alias, Buffer, Group, Member, Overlap, Problem


@dataclass
class MemoryPlan:
    graph_name: str
    pool_bytes: dict[str, int]  # pool name -> its arena's bytes, in the target's pool order
    no_reuse_bytes: int
    strategy: str
    tensor_offsets: dict[str, int]
    scratch_offsets: dict[int, int]  # op index -> offset of its scratch buffer
    pools: tuple[Pool, ...] = SINGLE
    tensor_pools: dict[str, str] = field(default_factory=dict)
    scratch_pools: dict[int, str] = field(default_factory=dict)
    buffers: list[Buffer] = field(repr=False, default_factory=list)
    #: tensors outside the arena: graph inputs the application holds (and views of them), each
    #: as (the input it lies in, byte offset in it, bytes)
    external: dict[str, tuple[str, int, int]] = field(default_factory=dict)

    @property
    def arena_bytes(self) -> int:
        """Activations + scratch in all pools: the exact peak the NAS constrains."""
        return sum(self.pool_bytes.values())

    def pool_of(self, buffer_name: str) -> str:
        if buffer_name.startswith("scratch:"):
            return self.scratch_pools.get(int(buffer_name.split(":", 1)[1]), self.pools[0].name)
        return self.tensor_pools.get(buffer_name, self.pools[0].name)

    def symbol_of(self, buffer_name: str) -> str:
        return next(p.symbol for p in self.pools if p.name == self.pool_of(buffer_name))

    def offset_of(self, buffer_name: str) -> int:
        if buffer_name.startswith("scratch:"):
            return self.scratch_offsets[int(buffer_name.split(":", 1)[1])]
        return self.tensor_offsets[buffer_name]

    def display_offset(self, buffer_name: str) -> int:
        """Offset with the pools stacked one above the other (plots)."""
        base = 0
        for pool in self.pools:
            if pool.name == self.pool_of(buffer_name):
                return base + self.offset_of(buffer_name)
            base += self.pool_bytes.get(pool.name, 0)
        raise KeyError(buffer_name)

    def live_bytes_per_op(self, n_ops: int) -> list[int]:
        """Bytes of arena in use (extent of live buffers) at each op: the per-layer plot."""
        extents = []
        for i in range(n_ops):
            live = [b for b in self.buffers if b.first <= i <= b.last]
            extents.append(max((self.display_offset(b.name) + b.size for b in live), default=0))
        return extents

    def to_json(self) -> str:
        doc = {
            "graph": self.graph_name,
            "arena_bytes": self.arena_bytes,
            "pools": [{"name": p.name, "bytes": self.pool_bytes.get(p.name, 0), "capacity": p.capacity,
                       "symbol": p.symbol, "section": p.section} for p in self.pools],
            "no_reuse_bytes": self.no_reuse_bytes,
            "strategy": self.strategy,
            "buffers": [
                {
                    "name": b.name,
                    "kind": b.kind,
                    "pool": self.pool_of(b.name),
                    "offset": self.offset_of(b.name),
                    "size": b.size,
                    "first_op": b.first,
                    "last_op": b.last,
                }
                for b in self.buffers
            ],
        }
        if self.external:
            doc["external"] = [{"name": n, "input": i, "offset": d, "bytes": size}
                               for n, (i, d, size) in sorted(self.external.items())]
        return json.dumps(doc, indent=1, sort_keys=True) + "\n"


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


def external_views(graph: Graph, kernel_plans: list[KernelPlan], inputs=frozenset()) -> dict[str, tuple[str, int, int]]:
    """The graph inputs ``inputs`` (held outside the arena) and the views of them (ops that run
    no code, RESHAPE): each as (its input, byte offset in it, bytes). No kernel writes into them."""
    outside = {name: (name, 0, graph.tensors[name].nbytes) for name in inputs}
    for op, kp in zip(graph.ops, kernel_plans):
        rule = kp.memory
        if kp.function is None and isinstance(rule, InPlace) and op.inputs[rule.input_index] in outside:
            base, delta, _ = outside[op.inputs[rule.input_index]]
            outside[op.outputs[0]] = (base, delta + rule.delta, graph.tensors[op.outputs[0]].nbytes)
    return outside


def build_problem(graph: Graph, kernel_plans: list[KernelPlan], align: int = 8, after=(), outside=()) -> Problem:
    """``after``: buffers of a step after the last op (detection post-processing at step
    ``len(graph.ops)``, where the graph's outputs are still live), each placed alone."""
    lifetimes = graph.lifetimes()
    buffers = {
        name: Buffer(name, graph.tensors[name].nbytes, f, l)
        for name, (f, l) in lifetimes.items()
        if not graph.tensors[name].is_constant and name not in outside
    }
    groups = _Groups(buffers)
    overlaps: list[Overlap] = []
    aliases: list[Alias] = []
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
                aliases.append(Alias(src, dst, rule.delta))
        elif isinstance(rule, StreamingOverlap) and groups.dies_at(src, i):
            overlaps.append(Overlap(src, dst, rule.max_delta()))
    group_list = [Group(sorted(ms, key=lambda m: m.buffer.name)) for ms in groups.members.values()]
    for i, kp in enumerate(kernel_plans):
        if kp.scratch_bytes:
            group_list.append(Group([Member(Buffer(f"scratch:{i}", kp.scratch_bytes, i, i, "scratch"), 0)]))
    group_list += [Group([Member(b, 0)]) for b in after if b.size]
    group_list.sort(key=lambda g: (g.first, g.name))
    return Problem(group_list, overlaps, align, aliases)


def plan_from_kernel_plans(graph: Graph, kernel_plans: list[KernelPlan], pools: tuple[Pool, ...] = SINGLE,
                           after=(), external=frozenset()) -> MemoryPlan:
    """``external``: graph inputs the application holds outside the arena (not planned)."""
    outside = external_views(graph, kernel_plans, external)
    problem = build_problem(graph, kernel_plans, after=after, outside=outside)
    tensor_offsets, scratch_offsets, tensor_pools, scratch_pools, pool_bytes = {}, {}, {}, {}, {}
    strategies = []
    for pool_name, (sub, placement) in assign_pools(problem, pools).items():
        problems = check_placement(sub, placement)
        if problems:  # a planner bug, never a user error: fail loudly
            raise AssertionError("memory plan is unsafe:\n" + "\n".join(problems))
        pool_bytes[pool_name] = placement.peak
        strategies.append(placement.strategy)
        for g in sub.groups:
            base = placement.offsets[g.name]
            for m in g.members:
                if m.buffer.kind == "scratch":
                    op_index = int(m.buffer.name.split(":", 1)[1])
                    scratch_offsets[op_index], scratch_pools[op_index] = base + m.rel, pool_name
                else:
                    tensor_offsets[m.buffer.name], tensor_pools[m.buffer.name] = base + m.rel, pool_name
    buffers = problem.buffers()
    return MemoryPlan(
        graph_name=graph.name,
        pool_bytes={p.name: pool_bytes.get(p.name, 0) for p in pools},
        no_reuse_bytes=sum(b.size for b in buffers),
        strategy="+".join(strategies) or "empty",
        tensor_offsets=tensor_offsets,
        scratch_offsets=scratch_offsets,
        pools=pools,
        tensor_pools=tensor_pools,
        scratch_pools=scratch_pools,
        buffers=sorted(buffers, key=lambda b: (b.first, b.name)),
        external=outside,
    )
