"""The placement problem: buffers with lifetimes, alias groups and overlap exceptions.

Time is the op index. A buffer written by op ``first`` and last read by op ``last`` is
live on the closed interval [first, last]; two live buffers may share bytes only where a
kernel's memory rule allows it (an in-place alias, or a streaming overlap whose offset
condition holds).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Buffer:
    name: str
    size: int
    first: int
    last: int
    kind: str = "tensor"  # tensor | scratch

    def live_with(self, other: "Buffer") -> bool:
        return self.first <= other.last and other.first <= self.last


@dataclass(frozen=True)
class Member:
    """A buffer inside an alias group, ``rel`` bytes after the group's base."""

    buffer: Buffer
    rel: int


@dataclass
class Group:
    """Buffers placed as one block (a tensor and its in-place outputs or views)."""

    members: list[Member]

    @property
    def size(self) -> int:
        return max(m.rel + m.buffer.size for m in self.members)

    @property
    def first(self) -> int:
        return min(m.buffer.first for m in self.members)

    @property
    def last(self) -> int:
        return max(m.buffer.last for m in self.members)

    @property
    def name(self) -> str:
        return self.members[0].buffer.name


@dataclass(frozen=True)
class Overlap:
    """``out`` may overlap ``inp`` if offset(out) - offset(inp) <= max_delta."""

    inp: str
    out: str
    max_delta: int


@dataclass(frozen=True)
class Alias:
    """``alias`` starts exactly ``delta`` bytes after ``base`` (an in-place rule or a view)."""

    base: str
    alias: str
    delta: int


@dataclass
class Problem:
    groups: list[Group]
    overlaps: list[Overlap] = field(default_factory=list)
    align: int = 8
    aliases: list[Alias] = field(default_factory=list)  # what the groups were built from

    def buffers(self) -> list[Buffer]:
        return [m.buffer for g in self.groups for m in g.members]
