"""YAML with locations: every value remembers the file and line that introduced it.

``load_yaml(path)`` composes PyYAML's node tree (which carries marks) and builds a tree of
``Node`` objects; ``merge(base, override)`` implements ``extends:`` so that each value keeps
the location of the file that set it. ``Problem`` is one user-facing error line:
``file:line: $.json.path: message``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import yaml

PathT = tuple  # JSON path: tuple of str keys and int indices


def display_path(path: str | os.PathLike) -> str:
    """A path as the user should read it: relative to the working directory when inside it."""
    p = os.path.abspath(path)
    try:
        rel = os.path.relpath(p)
    except ValueError:  # another drive (Windows)
        return p
    return p if rel.startswith(os.pardir) else rel


def json_path(path: Iterable) -> str:
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and part.replace("_", "").replace("-", "").isalnum() and not part[:1].isdigit():
            out += f".{part}"
        else:
            out += "[" + repr(str(part)) + "]"
    return out


@dataclass(frozen=True, order=True)
class Problem:
    """One problem a user can fix, printed on one line."""

    file: str
    line: int
    path: str
    message: str
    code: str = field(default="", compare=False)  # which rule found it (tests use it; not printed)

    def __str__(self) -> str:
        return f"{display_path(self.file)}:{self.line}: {self.path}: {self.message}"


@dataclass
class Node:
    """A YAML value plus where it came from. Mappings and sequences hold Nodes."""

    value: Any
    file: str
    line: int  # 1-based line of the value
    key_line: int | None = None  # 1-based line of its key, when it is a mapping entry

    def plain(self) -> Any:
        """The value as plain Python data (dict / list / scalar)."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value

    def find(self, path: Sequence) -> tuple["Node", bool]:
        """The node at ``path``, or the deepest existing ancestor and False."""
        node = self
        for part in path:
            children = node.value
            if isinstance(children, dict) and part in children:
                node = children[part]
            elif isinstance(children, list) and isinstance(part, int) and 0 <= part < len(children):
                node = children[part]
            else:
                return node, False
        return node, True

    def problem(self, path: Sequence, message: str, code: str, at_key: bool = False) -> Problem:
        """A problem located at ``path`` (at its key's line when ``at_key``)."""
        node, found = self.find(path)
        line = node.line
        if found and at_key and node.key_line is not None:
            line = node.key_line
        return Problem(node.file, line, json_path(path), message, code)


class _LineLoader(yaml.SafeLoader):
    """SafeLoader used only to compose nodes and construct scalars."""


def _scalar(loader: _LineLoader, node: yaml.ScalarNode) -> Any:
    return loader.construct_object(node, deep=True)


def load_yaml(path: str | os.PathLike) -> tuple[Node | None, list[Problem]]:
    """Parse one YAML file into a located Node tree, collecting problems instead of raising."""
    path = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        return None, [Problem(path, 1, "$", f"cannot read file: {err.strerror or err}", "yaml.read")]
    except UnicodeDecodeError as err:
        return None, [Problem(path, 1, "$", f"not UTF-8 text: {err.reason}", "yaml.read")]
    loader = _LineLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else 1
        context = err.context or ""
        if context and err.context_mark is not None and err.context_mark.line + 1 != line:
            context += f" (line {err.context_mark.line + 1})"
        what = ": ".join(x for x in (context, err.problem) if x)
        return None, [Problem(path, line, "$", f"YAML syntax error: {what}", "yaml.syntax")]
    except yaml.YAMLError as err:
        return None, [Problem(path, 1, "$", f"YAML error: {err}", "yaml.syntax")]
    finally:
        loader.dispose()
    if root is None:
        return None, [Problem(path, 1, "$", "empty file: a spec is a YAML mapping", "yaml.not-mapping")]

    problems: list[Problem] = []

    def build(ynode: yaml.Node, jpath: tuple, key_line: int | None) -> Node:
        line = ynode.start_mark.line + 1
        if isinstance(ynode, yaml.MappingNode):
            out: dict[str, Node] = {}
            for knode, vnode in ynode.value:
                kline = knode.start_mark.line + 1
                if knode.tag == "tag:yaml.org,2002:merge":
                    problems.append(Problem(path, kline, json_path(jpath),
                                            "YAML merge keys ('<<') are not supported: use 'extends:'",
                                            "yaml.merge-key"))
                    continue
                key = build(knode, jpath, None).value if isinstance(knode, yaml.ScalarNode) else None
                if not isinstance(key, str):
                    problems.append(Problem(path, kline, json_path(jpath),
                                            f"keys must be strings, got {key!r} (quote it)", "yaml.key-type"))
                    continue
                if key in out:
                    problems.append(Problem(path, kline, json_path(jpath + (key,)),
                                            f"duplicate key '{key}' (first given on line {out[key].key_line})",
                                            "yaml.duplicate-key"))
                    continue
                out[key] = build(vnode, jpath + (key,), kline)
            return Node(out, path, line, key_line)
        if isinstance(ynode, yaml.SequenceNode):
            return Node([build(v, jpath + (i,), None) for i, v in enumerate(ynode.value)], path, line, key_line)
        try:
            value = _scalar(loader, ynode)
        except yaml.YAMLError as err:
            problems.append(Problem(path, line, json_path(jpath), f"bad YAML value: {err}", "yaml.syntax"))
            value = None
        return Node(value, path, line, key_line)

    tree = build(root, (), None)
    if not isinstance(tree.value, dict):
        problems.append(Problem(path, tree.line, "$", "a spec must be a YAML mapping (key: value lines)",
                                "yaml.not-mapping"))
        return None, problems
    return tree, problems


def merge(base: Node, override: Node) -> Node:
    """``extends`` semantics: mappings merge key by key, anything else is replaced.

    The result keeps each value's own location, so a problem points at the file that set it.
    """
    if isinstance(base.value, dict) and isinstance(override.value, dict):
        out = dict(base.value)
        for key, node in override.value.items():
            out[key] = merge(out[key], node) if key in out else node
        return Node(out, override.file, override.line, override.key_line)
    return override
