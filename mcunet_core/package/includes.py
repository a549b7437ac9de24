"""The C files a set of sources compiles from: each source and every quoted header it
includes, followed transitively, so an exported package carries only what its kernels need.

Headers are looked up as the compiler does for ``#include "x.h"``: beside the including
file, then in the include folders. An include inside ``#if`` counts too (one copy too many
is harmless; one too few does not compile).
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from ..errors import UserError

_INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]+"([^"]+)"', re.M)


def quoted_includes(text: str) -> list[str]:
    """The names of a C file's ``#include "..."`` lines, in order."""
    return _INCLUDE.findall(text)


def _resolve(name: str, including: PurePosixPath, root: Path, include_dirs) -> PurePosixPath | None:
    """``name`` as included from ``including`` (both relative to ``root``), or None if absent."""
    for base in (including.parent, *map(PurePosixPath, include_dirs)):
        parts: list[str] = []
        for part in (base / name).parts:
            if part == "..":
                if not parts:
                    break  # above the root: not one of ours
                parts.pop()
            elif part != ".":
                parts.append(part)
        else:
            candidate = PurePosixPath(*parts)
            if (root / candidate).is_file():
                return candidate
    return None


def include_closure(sources, root: str | Path, include_dirs=("include",)) -> list[str]:
    """``sources`` (paths relative to ``root``) and every header they include from ``root``,
    sorted. A quoted include found nowhere under ``root`` is an error naming the file."""
    root = Path(root)
    found: set[PurePosixPath] = set()
    todo = [PurePosixPath(s) for s in sources]
    while todo:
        rel = todo.pop()
        if rel in found:
            continue
        found.add(rel)
        for name in quoted_includes((root / rel).read_text(encoding="utf-8")):
            header = _resolve(name, rel, root, include_dirs)
            if header is None:
                raise UserError(f"{root / rel}: #include \"{name}\" is neither beside it nor in "
                                f"{', '.join(str(root / d) for d in include_dirs)}")
            todo.append(header)
    return sorted(str(p) for p in found)
