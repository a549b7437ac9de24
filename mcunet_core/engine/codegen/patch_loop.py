"""The patch stage as a C loop: consecutive patches whose calls are the same kernels with the
same kinds of arguments (the common case: every patch runs the stage's op sequence, only
shapes, offsets and parameter structs differ, at the borders too) become one ``for`` over
the patches, each argument that differs read from a const table indexed by the patch; a
patch whose calls differ (another kernel, a crop the others lack) stays unrolled.

This is data computed once per render (``steps()``); model.c.j2 only prints it. Every
argument expression is made here, for plain calls too, so a graph without patches renders
the bytes it always did."""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import Callable

from ..kernels.base import ConstArg, IntArg, KernelCall, ScratchArg, StructArg, TensorArg


@dataclass(frozen=True)
class Table:
    """A const table of one argument per patch (``values``: C initializers)."""

    name: str
    ctype: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Call:
    """One call as model.c prints it; ``op``: its op index, or, in a loop, a C expression."""

    call: KernelCall
    args: tuple[str, ...]
    op: str


@dataclass
class Loop:
    """Patches ``first .. first + count - 1`` run as one loop over the same calls."""

    first: int
    count: int
    ops: tuple[int, int]  # first and last op index the loop runs
    body: list[Call]
    op_table: Table
    tables: list[Table] = field(default_factory=list)

    kind = "loop"


@dataclass
class Plain:
    call: Call
    kind = "call"


def _fits(values, lo: int, hi: int) -> bool:
    return all(lo <= v <= hi for v in values)


def _int_type(values) -> str:
    if _fits(values, 0, 0xFFFF):
        return "uint16_t"
    if _fits(values, -0x8000, 0x7FFF):
        return "int16_t"
    return "int32_t" if _fits(values, -(1 << 31), (1 << 31) - 1) else "int64_t"


class Renderer:
    """Argument expressions of the generated calls (the memory plan's symbols and offsets)."""

    def __init__(self, symbols: dict, offsets: dict, scratch_symbols: dict, scratch_offsets: dict,
                 cname: Callable[[str], str], struct_types: dict[str, str]):
        self.symbols, self.offsets = symbols, offsets
        self.scratch_symbols, self.scratch_offsets = scratch_symbols, scratch_offsets
        self.cname, self.struct_types = cname, struct_types

    def arg(self, a, op_index: int) -> str:
        if isinstance(a, TensorArg):
            return f"({'const ' if a.const else ''}{a.ctype} *)({self.symbols[a.tensor]} + {self.offsets[a.tensor]})"
        if isinstance(a, ScratchArg):
            return f"({a.ctype} *)({self.scratch_symbols[op_index]} + {self.scratch_offsets[op_index]})"
        if isinstance(a, ConstArg):
            return str(self.cname(a.name))
        if isinstance(a, StructArg):
            return f"&{self.cname(a.name)}"
        return f"{a.value}"

    def plain(self, call: KernelCall) -> Call:
        return Call(call, tuple(self.arg(a, call.op_index) for a in call.args), str(call.op_index))

    # ---- the loop ------------------------------------------------------------------------
    def _base(self, a, op_index: int):
        """(what must be equal in every patch of a loop, the per-patch value or None)."""
        if isinstance(a, TensorArg):
            return ("tensor", a.ctype, a.const, self.symbols[a.tensor]), self.offsets[a.tensor]
        if isinstance(a, ScratchArg):
            return ("scratch", a.ctype, self.scratch_symbols[op_index]), self.scratch_offsets[op_index]
        if isinstance(a, StructArg):
            return ("struct", self.struct_types[a.name]), a.name
        if isinstance(a, IntArg) and isinstance(a.value, numbers.Integral) and not isinstance(a.value, bool):
            return ("int",), int(a.value)
        return ("same", self.arg(a, op_index)), None  # constants (shared weights), function pointers

    def shape(self, calls: list[KernelCall]):
        """What a patch's calls must share with another's to run in the same loop body."""
        first = calls[0].op_index
        if [c.op_index for c in calls] != list(range(first, first + len(calls))):
            return None
        return tuple((c.plan.function, len(c.args), tuple(self._base(a, c.op_index)[0] for a in c.args))
                     for c in calls)

    def loop(self, group: list[list[KernelCall]], first: int, number: int, prefix: str) -> Loop:
        n = len(group)
        tables: dict[tuple, Table] = {}

        def table(ctype: str, values: tuple[str, ...]) -> str:
            key = (ctype, values)
            if key not in tables:
                tables[key] = Table(f"{prefix}_patch_loop{number}_t{len(tables)}", ctype, values)
            return tables[key].name

        body = []
        for j, call in enumerate(group[0]):
            args = []
            for i, a in enumerate(call.args):
                kind, _ = self._base(a, call.op_index)
                per = [self._base(p[j].args[i], p[j].op_index)[1] for p in group]
                if kind[0] == "same" or len(set(per)) == 1:
                    args.append(self.arg(a, call.op_index))
                elif kind[0] == "tensor":  # the same pool, another offset
                    _, ctype, const, symbol = kind
                    name = table(_int_type(per), tuple(str(v) for v in per))
                    args.append(f"({'const ' if const else ''}{ctype} *)({symbol} + {name}[k])")
                elif kind[0] == "scratch":
                    _, ctype, symbol = kind
                    name = table(_int_type(per), tuple(str(v) for v in per))
                    args.append(f"({ctype} *)({symbol} + {name}[k])")
                elif kind[0] == "struct":
                    name = table(f"{kind[1]} *const", tuple(f"&{self.cname(v)}" for v in per))
                    args.append(f"{name}[k]")
                else:
                    name = table(_int_type(per), tuple(str(v) for v in per))
                    args.append(f"{name}[k]")
            body.append(Call(call, tuple(args), f"{prefix}_patch_loop{number}_op[k] + {j}"))
        ops = Table(f"{prefix}_patch_loop{number}_op", _int_type([p[0].op_index for p in group]),
                    tuple(str(p[0].op_index) for p in group))
        return Loop(first, n, (group[0][0].op_index, group[-1][-1].op_index), body, ops, list(tables.values()))


def steps(calls: list[KernelCall], patch_of: list[int | None] | None, renderer: Renderer, prefix: str) -> list:
    """The calls as model.c runs them: plain calls, and a ``Loop`` for each run of two or more
    consecutive patches whose calls have one shape (``patch_of``: each op's patch, None after
    the split; None: no patch stage, every call plain)."""
    if not patch_of:
        return [Plain(renderer.plain(c)) for c in calls]
    out: list = []
    patches: dict[int, list[KernelCall]] = {}
    order: list = []  # a call outside the stage, or a patch number
    for c in calls:
        k = patch_of[c.op_index] if c.op_index < len(patch_of) else None
        if k is None:
            order.append(c)
        else:
            if k not in patches:
                patches[k] = []
                order.append(k)
            patches[k].append(c)
    run: list[int] = []

    def flush():
        if len(run) >= 2:
            out.append(renderer.loop([patches[k] for k in run], run[0], sum(isinstance(s, Loop) for s in out), prefix))
        else:
            out.extend(Plain(renderer.plain(c)) for k in run for c in patches[k])
        run.clear()

    for item in order:
        if not isinstance(item, int):
            flush()
            out.append(Plain(renderer.plain(item)))
            continue
        shape = renderer.shape(patches[item])
        if run and (shape is None or shape != renderer.shape(patches[run[-1]])):
            flush()
        run.append(item)
        if shape is None:
            flush()
    flush()
    return out
