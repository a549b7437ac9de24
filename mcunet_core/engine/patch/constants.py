"""Every patch of a layer runs the same weights: identical constant arrays and parameter
structs of a patched model are emitted once, the calls pointing at the first."""

from __future__ import annotations

import dataclasses

from ..kernels.base import ConstArg, KernelCall, StructArg


def share_constants(calls: list[KernelCall]) -> list[KernelCall]:
    """``calls`` with each repeated constant array or struct dropped and its uses renamed to
    the first of its kind (same C type, alignment and bytes; same struct fields)."""
    arrays: dict[tuple, str] = {}
    structs: dict[tuple, str] = {}
    rename: dict[str, str] = {}
    out = []
    for call in calls:
        consts = []
        for c in call.constants:
            key = (c.ctype, c.align, c.data.dtype.str, c.data.tobytes())
            first = arrays.setdefault(key, c.name)
            if first == c.name:
                consts.append(c)
            else:
                rename[c.name] = first
        kept = []
        for s in call.structs:
            fields = tuple((k, rename.get(v, v) if isinstance(v, str) else v) for k, v in s.fields)
            first = structs.setdefault((s.ctype, fields), s.name)
            if first == s.name:
                kept.append(dataclasses.replace(s, fields=fields))
            else:
                rename[s.name] = first
        args = [dataclasses.replace(a, name=rename.get(a.name, a.name)) if isinstance(a, (ConstArg, StructArg)) else a
                for a in call.args]
        out.append(dataclasses.replace(call, args=args, constants=consts, structs=kept))
    return out
