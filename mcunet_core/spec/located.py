"""YAML with locations: every value remembers the file and line that introduced it.

``load_yaml(path)`` composes PyYAML's node tree (which carries marks) and builds a tree of
``Node`` objects; ``merge(base, override)`` implements ``extends:`` so that each value keeps
the location of the file that set it. ``Problem`` is one user-facing error line:
``file:line: $.json.path: message``.

What a spec may contain is bounded (README "Specs"): ``MAX_FILE_BYTES`` of UTF-8 text,
``MAX_DEPTH`` nested lists and mappings and ``MAX_VALUES`` values, both counted with every
alias expanded into the value it stands for. The composer counts as it goes, so an alias
bomb ("billion laughs") or a list nested a thousand deep is refused, with the line where
the limit was passed, before anything is expanded or recursed into.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import yaml

PathT = tuple  # JSON path: tuple of str keys and int indices

#: the largest spec file read (the shipped specs are 2 KB; ImageNet's 1000 labels are 15 KB)
MAX_FILE_BYTES = 256 * 1024
#: nested lists and mappings, aliases expanded (the shipped specs nest 4 deep)
MAX_DEPTH = 32
#: scalars, lists and mappings (keys included), aliases expanded (the shipped specs have < 300)
MAX_VALUES = 20_000


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


class _Refused(Exception):
    """A document over a limit, at the line where it went over."""

    def __init__(self, mark, message: str):
        super().__init__(message)
        self.line = mark.line + 1 if mark is not None else 1
        self.message = message


class _LineLoader(yaml.SafeLoader):
    """SafeLoader used only to compose nodes and construct scalars. It counts each composed
    node's size and depth with aliases expanded (an alias is the anchored node itself, so
    its size is known once), and stops at the first limit passed."""

    def __init__(self, text: str):
        super().__init__(text)
        self._depth = 0  # collections open around the node being composed
        self._values = 0  # values so far, aliases expanded
        self._shape: dict[int, tuple[int, int]] = {}  # id(node) -> (values, depth) once composed

    def _count(self, values: int, depth: int, mark, what: str) -> None:
        self._values += values
        if depth > MAX_DEPTH:
            raise _Refused(mark, f"{what} at nesting depth {depth}: a spec may nest lists and mappings "
                                 f"at most {MAX_DEPTH} deep")
        if self._values > MAX_VALUES:
            raise _Refused(mark, f"{what} brings the document to {self._values} values: a spec may have "
                                 f"at most {MAX_VALUES} (aliases expanded)")

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            target = self.anchors.get(event.anchor)
            if target is not None and id(target) not in self._shape:
                raise _Refused(event.start_mark, f"alias *{event.anchor} is inside the value it names "
                                                 "(a recursive alias)")
            node = super().compose_node(parent, index)  # the anchored node (or an undefined alias error)
            values, depth = self._shape[id(node)]
            self._count(values, self._depth + depth, event.start_mark,
                        f"alias *{event.anchor} ({values} value{'' if values == 1 else 's'}, {depth} deep)")
            return node
        collection = isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent))
        self._count(1, self._depth + collection, event.start_mark, "a value" if not collection
                    else "a list" if isinstance(event, yaml.SequenceStartEvent) else "a mapping")
        self._depth += collection
        node = super().compose_node(parent, index)
        self._depth -= collection
        if isinstance(node, yaml.MappingNode):
            shapes = [self._shape[id(n)] for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            shapes = [self._shape[id(n)] for n in node.value]
        else:
            shapes = None
        self._shape[id(node)] = (1, 0) if shapes is None else \
            (1 + sum(v for v, _ in shapes), 1 + max((d for _, d in shapes), default=0))
        return node


def _scalar(loader: _LineLoader, node: yaml.ScalarNode) -> Any:
    return loader.construct_object(node, deep=True)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _bad_scalar(loader: _LineLoader, ynode: yaml.ScalarNode, err: Exception) -> str:
    """One line for a scalar PyYAML cannot construct: an unknown tag, or text its tag refuses."""
    tag = ynode.tag
    if tag not in type(loader).yaml_constructors:
        return f"unknown YAML tag {tag!r}: specs use plain YAML values"
    name = tag.rsplit(":", 1)[-1]
    if isinstance(err, yaml.MarkedYAMLError) and err.problem:
        reason = err.problem
    elif isinstance(err, (KeyError, AttributeError)):
        reason = f"not a valid {name}"
    else:
        reason = str(err).split("; use sys.set_int_max_str_digits")[0]
    shown = ynode.value if len(ynode.value) <= 40 else ynode.value[:40] + "..."
    implicit = loader.resolve(yaml.ScalarNode, ynode.value, (True, False)) == tag
    return _one_line(f"bad YAML value {shown!r} (read as {name}): {reason}"
                     + ("; quote it to make it a string" if implicit else f"; drop the !!{name} tag"))


def _read_text(path: str) -> tuple[str | None, Problem | None]:
    """The file's text, or the one problem that keeps it from being read (at most
    MAX_FILE_BYTES + 1 bytes are read, so a device file or a huge file costs nothing)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        return None, Problem(path, 1, "$", f"cannot read file: {err.strerror or err}", "yaml.read")
    if len(data) > MAX_FILE_BYTES:
        return None, Problem(path, 1, "$", f"file is larger than {MAX_FILE_BYTES // 1024} KiB "
                                           f"(a spec may have at most {MAX_FILE_BYTES} bytes)", "yaml.limit")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        return None, Problem(path, line, "$", f"not UTF-8 text: byte 0x{data[err.start]:02x} at column {column}: "
                                              f"{err.reason} (save the file as UTF-8)", "yaml.read")


def load_yaml(path: str | os.PathLike) -> tuple[Node | None, list[Problem]]:
    """Parse one YAML file into a located Node tree, collecting problems instead of raising."""
    path = str(path)
    text, problem = _read_text(path)
    if problem is not None:
        return None, [problem]
    loader = None
    try:
        loader = _LineLoader(text)  # checks the characters first
        root = loader.get_single_node()
    except _Refused as err:
        return None, [Problem(path, err.line, "$", err.message, "yaml.limit")]
    except yaml.reader.ReaderError as err:
        line = text.count("\n", 0, err.position) + 1
        return None, [Problem(path, line, "$", f"YAML syntax error: character U+{err.character:04X} is not "
                                               "allowed in YAML (a binary file?)", "yaml.syntax")]
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else 1
        context = err.context or ""
        if context and err.context_mark is not None and err.context_mark.line + 1 != line:
            context += f" (line {err.context_mark.line + 1})"
        what = ": ".join(x for x in (context, err.problem) if x)
        return None, [Problem(path, line, "$", _one_line(f"YAML syntax error: {what}"), "yaml.syntax")]
    except yaml.YAMLError as err:
        return None, [Problem(path, 1, "$", _one_line(f"YAML error: {err}"), "yaml.syntax")]
    finally:
        if loader is not None:
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
        except Exception as err:  # noqa: BLE001 - PyYAML's scalar constructors raise whatever int(),
            # datetime() or a dict lookup raise on the user's text (`2024-13-01`, `!!bool maybe`)
            problems.append(Problem(path, line, json_path(jpath), _bad_scalar(loader, ynode, err), "yaml.syntax"))
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
