"""What a spec may contain is bounded, and every way loading one can fail ends in one line
per problem (issue 11 part 4): alias bombs, deep nesting, huge and binary files, truncated
YAML, many unknown keys (the output is capped) and broken schema files, each fed as many
generated variants, through the API, ``python -m mcunet_core.spec check`` and ``scons``."""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mcunet_core.errors import MAX_PRINTED, UserError, capped, print_user_error
from mcunet_core.spec import check_file, load_board, load_quant
from mcunet_core.spec import located
from mcunet_core.spec.__main__ import main as spec_main
from mcunet_core.spec.loader import MAX_EXTENDS, check_schemas
from mcunet_core.spec.located import MAX_DEPTH, MAX_FILE_BYTES, MAX_VALUES, load_yaml
from scons_project import errors, scons

REPO = Path(__file__).resolve().parents[2]
SPECS = REPO / "specs"
SCHEMAS = sorted(p.name for p in (SPECS / "schemas").glob("*.schema.json"))
LIMIT = re.compile(r"brings the document to (\d+) values: a spec may have at most %d \(aliases expanded\)$"
                   % MAX_VALUES)


def _write(folder: Path, name: str, content: str | bytes, kind_dir: str = "boards") -> Path:
    path = folder / kind_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _only_problem(path: Path, kind: str = "board"):
    tree, problems = check_file(kind, path)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def _well_formed(problems, lines: int | None = None) -> None:
    """Each problem prints as one `file:line: $...: message` line (``lines``: the file's)."""
    for p in problems:
        text = str(p)
        assert "\n" not in text and p.line >= 1 and p.message, text
        assert re.match(r"^.+:\d+: \$.*?: \S", text), text
        if lines is not None and p.file.endswith(".yaml"):
            assert p.line <= lines + 1, text


# ------------------------------------------------------------------------- alias bombs

def _list_bomb(levels: int, width: int) -> str:
    lines = ["a0: &a0 lol"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def _mapping_bomb(levels: int, width: int) -> str:
    lines = ["a0: &a0 {lol: lol}"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i}")
        lines += [f"  k{j}: *a{i - 1}" for j in range(width)]
    return "\n".join(lines) + "\n"


def _block_bomb(levels: int, width: int) -> str:
    lines = ["a0: &a0 [lol, lol]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i}")
        lines += [f"  - *a{i - 1}"] * width
    return "\n".join(lines) + "\n"


def _expanded(text: str) -> tuple[int, int]:
    """(values, depth) of a document with every alias expanded, from PyYAML's composed graph
    (where an alias is the anchored node itself), memoized so that a bomb costs nothing."""
    memo: dict[int, tuple[int, int]] = {}

    def walk(node) -> tuple[int, int]:
        if id(node) not in memo:
            if isinstance(node, yaml.ScalarNode):
                memo[id(node)] = (1, 0)
            else:
                children = [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) \
                    else node.value
                shapes = [walk(c) for c in children]
                memo[id(node)] = (1 + sum(v for v, _ in shapes), 1 + max((d for _, d in shapes), default=0))
        return memo[id(node)]

    return walk(yaml.compose(text))


BOMBS = [(style, levels, width) for style in (_list_bomb, _mapping_bomb, _block_bomb)
         for levels, width in ((3, 2), (4, 10), (6, 9), (9, 9), (12, 10), (20, 3), (40, 2), (2, 500), (30, 30))]


@pytest.mark.parametrize("style,levels,width", BOMBS, ids=lambda v: getattr(v, "__name__", v))
def test_alias_bombs_are_refused_or_loaded_exactly(tmp_path, monkeypatch, style, levels, width):
    text = style(levels, width)
    path = _write(tmp_path, "bomb.yaml", text)
    total, depth = _expanded(text)
    built = []
    real_node = located.Node

    def counting(*args, **kwargs):
        built.append(1)
        return real_node(*args, **kwargs)

    monkeypatch.setattr(located, "Node", counting)
    tree, problems = load_yaml(path)
    if total <= MAX_VALUES and depth <= MAX_DEPTH:  # a small one is a correct result
        assert problems == [] and tree.plain() == yaml.safe_load(text)
        return
    assert tree is None and len(problems) == 1 and problems[0].code == "yaml.limit", problems
    assert built == []  # refused while composing: nothing expanded
    p = problems[0]
    _well_formed(problems, text.count("\n"))
    assert p.message.startswith("alias *a"), p.message
    if depth > MAX_DEPTH and "nesting depth" in p.message:
        assert p.message.endswith(f"a spec may nest lists and mappings at most {MAX_DEPTH} deep")
    else:
        count = int(LIMIT.search(p.message).group(1))
        assert MAX_VALUES < count <= total


@pytest.mark.parametrize("text", [
    "a: &a [*a]\n", "a: &a {b: *a}\n", "a: &a [[[[*a]]]]\n", "a: &a\n  b:\n    - c: *a\n",
    "x: 1\na: &a [1, {b: [2, *a]}]\n",
])
def test_recursive_aliases_are_refused(tmp_path, text):
    p = _only_problem(_write(tmp_path, "cycle.yaml", text))
    assert p.code == "yaml.limit" and p.message == "alias *a is inside the value it names (a recursive alias)"
    assert p.line == text.count("\n")


def test_undefined_and_duplicate_anchors(tmp_path):
    assert "found undefined alias 'nope'" in _only_problem(_write(tmp_path, "undef.yaml", "a: *nope\n")).message
    p = _only_problem(_write(tmp_path, "dup.yaml", "a: &x 1\nb: &x 2\n"))
    assert p.code == "yaml.syntax" and "duplicate anchor 'x'" in p.message and p.line == 2


# ----------------------------------------------------------------------------- nesting

def _nested(depth: int, kind: str, flow: bool) -> str:
    """A spec whose top mapping holds ``x:`` nested ``depth`` lists or mappings deep in all."""
    inner = depth - 1  # the top mapping is the first
    if flow:
        if kind == "list":
            return "x: " + "[" * inner + "1" + "]" * inner + "\n"
        return "x: " + "{k: " * inner + "1" + "}" * inner + "\n"
    if kind == "list":  # "- - - 1": block lists nest on one line
        return "x:\n" + "- " * inner + "1\n"
    return "x:\n" + "".join(" " * level + "k:" + (" 1" if level == inner else "") + "\n"
                            for level in range(1, inner + 1))


DEPTHS = (2, 8, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, MAX_DEPTH + 2, 100, 600, 5000)


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("kind", ["list", "mapping"])
@pytest.mark.parametrize("flow", [True, False], ids=["flow", "block"])
def test_nesting_up_to_the_limit_loads_and_beyond_is_refused(tmp_path, depth, kind, flow):
    text = _nested(depth, kind, flow)
    path = _write(tmp_path, "nested.yaml", text)
    tree, problems = load_yaml(path)
    if len(text) > MAX_FILE_BYTES:  # 5000 indented block mappings: the size goes first
        assert [p.code for p in problems] == ["yaml.limit"] and "larger than" in problems[0].message
        return
    if depth <= MAX_DEPTH:
        assert problems == [] and tree.plain() == yaml.safe_load(text)
        # the whole check survives it too: one unknown key, nothing else breaks
        _, checked = check_file("board", path)
        _well_formed(checked)
        assert any(p.path == "$.x" and "unknown key 'x'" in p.message for p in checked)
        return
    assert tree is None and len(problems) == 1, problems
    p = problems[0]
    what = "a list" if kind == "list" else "a mapping"
    assert p.message == f"{what} at nesting depth {MAX_DEPTH + 1}: a spec may nest lists and mappings at most " \
                        f"{MAX_DEPTH} deep"
    assert p.code == "yaml.limit"
    assert p.line == (1 if flow else 2 if kind == "list" else MAX_DEPTH + 1)


@pytest.mark.parametrize("outer,inner", [(16, 17), (2, MAX_DEPTH - 1), (MAX_DEPTH - 2, 3), (10, 10), (20, 11)])
def test_aliases_count_toward_the_depth(tmp_path, outer, inner):
    text = "a: &a " + "[" * inner + "]" * inner + "\nb: " + "[" * outer + "*a" + "]" * outer + "\n"
    tree, problems = load_yaml(_write(tmp_path, "alias-deep.yaml", text))
    if 1 + outer + inner <= MAX_DEPTH:
        assert problems == [] and tree.plain() == yaml.safe_load(text)
    else:
        assert len(problems) == 1 and problems[0].line == 2
        assert problems[0].message == (f"alias *a ({inner} values, {inner} deep) at nesting depth "
                                       f"{1 + outer + inner}: a spec may nest lists and mappings at most "
                                       f"{MAX_DEPTH} deep")


# ------------------------------------------------------------------- many values, keys

@pytest.mark.parametrize("n", [1, MAX_PRINTED - 1, MAX_PRINTED, MAX_PRINTED + 1, 700, 2000])
def test_many_unknown_keys_print_the_first_ones_and_a_count(tmp_path, capsys, n):
    text = "extends: h743\nname: many\n" + "".join(f"zz_{i}: {i}\n" for i in range(n))
    path = _write(tmp_path, "many.yaml", text)
    assert spec_main(["check", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    shown = min(n, MAX_PRINTED)
    assert len(err) == shown + (n > MAX_PRINTED) + 1
    assert all(f"many.yaml:{3 + i}: $.zz_{i}: unknown key 'zz_{i}'" in err[i] for i in range(shown))
    if n > MAX_PRINTED:
        rest = n - MAX_PRINTED
        assert err[shown] == f"... and {rest} more problem{'s' if rest > 1 else ''}"
    assert err[-1] == f"{n} problem(s) in 1 spec file(s)"
    # the same spec loaded for a build: the UserError holds all, printing caps them
    with pytest.raises(UserError) as info:
        load_board(path)
    assert len(info.value.messages) == n
    print_user_error(info.value)
    assert capsys.readouterr().err.splitlines() == capped(info.value.messages)


def test_capped():
    lines = [f"l{i}" for i in range(MAX_PRINTED + 3)]
    assert capped(lines[:MAX_PRINTED]) == lines[:MAX_PRINTED]
    assert capped(lines) == lines[:MAX_PRINTED] + ["... and 3 more problems"]
    assert capped(lines, 2) == ["l0", "l1", f"... and {MAX_PRINTED + 1} more problems"]


@pytest.mark.parametrize("shape", ["flow-keys", "flow-list", "block-list", "block-keys", "aliases"])
def test_too_many_values_are_refused(tmp_path, monkeypatch, shape):
    limit = 300  # the rule with a small limit (parsing 20,000 values takes a second)
    monkeypatch.setattr(located, "MAX_VALUES", limit)
    text = {
        "flow-keys": "{" + ", ".join(f"k{i}" for i in range(limit)) + "}\n",  # each key with a null
        "flow-list": "x: [" + ", ".join(["1"] * limit) + "]\n",
        "block-list": "x:\n" + "".join(f"  - {i}\n" for i in range(limit)),
        "block-keys": "".join(f"k{i}: {i}\n" for i in range(limit)),
        "aliases": "a: &s lol\nb: [" + ", ".join(["*s"] * limit) + "]\n",
    }[shape]
    p = _only_problem(_write(tmp_path, "values.yaml", text))
    what = "alias *s (1 value, 0 deep)" if shape == "aliases" else "a value"
    assert p.code == "yaml.limit" and p.message == (f"{what} brings the document to {limit + 1} values: a spec may "
                                                    f"have at most {limit} (aliases expanded)")
    assert p.line == {"flow-keys": 1, "flow-list": 1, "aliases": 2, "block-list": limit - 1,
                      "block-keys": limit // 2}[shape]


def test_the_value_limit_itself(tmp_path):
    text = "x: [" + ", ".join(["1"] * MAX_VALUES) + "]\n"
    p = _only_problem(_write(tmp_path, "values.yaml", text))
    assert int(LIMIT.search(p.message).group(1)) == MAX_VALUES + 1


def test_just_under_the_value_limit_loads(tmp_path):
    n = MAX_VALUES - 3  # the top mapping, the key x and the list are values too
    text = "x: [" + ", ".join(["1"] * n) + "]\n"
    tree, problems = load_yaml(_write(tmp_path, "values.yaml", text))
    assert problems == [] and len(tree.value["x"].value) == n


# ------------------------------------------------------------------- size, bytes, text

@pytest.mark.parametrize("size", [MAX_FILE_BYTES - 1, MAX_FILE_BYTES, MAX_FILE_BYTES + 1, 3 * MAX_FILE_BYTES])
def test_file_size_limit(tmp_path, size):
    head = "extends: h743\nname: big\n"
    body = head + "#" * (size - len(head) - 1) + "\n"
    assert len(body.encode()) == size
    path = _write(tmp_path, "big.yaml", body)
    tree, problems = load_yaml(path)
    if size <= MAX_FILE_BYTES:
        assert problems == [] and tree.plain() == {"extends": "h743", "name": "big"}
    else:
        assert tree is None and [(p.line, p.message, p.code) for p in problems] == [
            (1, f"file is larger than {MAX_FILE_BYTES // 1024} KiB (a spec may have at most {MAX_FILE_BYTES} "
                "bytes)", "yaml.limit")]


def test_unreadable_and_missing_files(tmp_path, capsys):
    tree, problems = load_yaml(tmp_path)
    assert tree is None and [(p.line, p.message, p.code) for p in problems] == [
        (1, "cannot read file: Is a directory", "yaml.read")]
    assert spec_main(["check", str(tmp_path / "boards" / "nope.yaml")]) == 2
    assert capsys.readouterr().err.splitlines()[0] == f"{tmp_path}/boards/nope.yaml:1: $: no such file"


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_an_endless_file_is_read_no_further_than_the_limit(capsys):
    assert spec_main(["check", "--kind", "board", "/dev/zero"]) == 2
    assert "/dev/zero:1: $: file is larger than" in capsys.readouterr().err


@pytest.mark.parametrize("seed", range(12))
def test_random_bytes(tmp_path, seed):
    rng = random.Random(seed)
    data = rng.randbytes(rng.choice([1, 7, 100, 5000]))
    if seed % 3 == 0:  # binary behind a valid start
        data = b"extends: h743\nname: rnd\n" + data
    path = _write(tmp_path, "rnd.yaml", data)
    _, problems = check_file("board", path)
    assert problems
    _well_formed(problems, data.count(b"\n"))


@pytest.mark.parametrize("data,line,start", [
    ("name: café\n".encode("utf-16"), 1, "not UTF-8 text: byte 0xff at column 1"),
    ("extends: h743\nname: café\n".encode("latin-1"), 2, "not UTF-8 text: byte 0xe9 at column 10"),
    ("extends: h743\nname: é".encode()[:-1], 2, "not UTF-8 text: byte 0xc3 at column 7: unexpected end of data"),
    (b"extends: h743\nname: x\x00y\n", 2, "YAML syntax error: character U+0000 is not allowed"),
    (b"extends: h743\n\nname: \x1b[31m\n", 3, "YAML syntax error: character U+001B is not allowed"),
    (b"\x7fELF\x02\x01\x01\x00", 1, "YAML syntax error: character U+007F is not allowed"),
])
def test_binary_and_not_utf8(tmp_path, data, line, start):
    p = _only_problem(_write(tmp_path, "bin.yaml", data))
    assert p.line == line and p.message.startswith(start), str(p)


@pytest.mark.parametrize("text,message", [
    ("clock: 2024-13-45\n", "bad YAML value '2024-13-45' (read as timestamp): month must be in 1..12; quote it"),
    ("clock: " + "9" * 5000 + "\n", "(read as int): Exceeds the limit (4300 digits)"),
    ("dsp: !!bool maybe\n", "bad YAML value 'maybe' (read as bool): not a valid bool; drop the !!bool tag"),
    ("mcu: !!int 12x\n", "(read as int): invalid literal for int() with base 10: '12x'; drop the !!int tag"),
    ("mcu: !custom x\n", "unknown YAML tag '!custom': specs use plain YAML values"),
])
def test_scalars_yaml_cannot_construct(tmp_path, text, message):
    _, problems = check_file("board", _write(tmp_path, "scalar.yaml", "extends: h743\nname: scalar\n" + text))
    _well_formed(problems)
    assert any(p.line == 3 and message in p.message for p in problems), [str(p) for p in problems]


def _cuts(data: bytes, count: int) -> list[int]:
    step = max(1, len(data) // count)
    return sorted({*range(1, len(data), step), len(data) - 1})


@pytest.mark.parametrize("spec", ["boards/f746.yaml", "families/stm32h7.yaml", "tasks/kws.yaml",
                                  "search/mcunet.yaml", "models/mcunet-vww-80.yaml", "quant/int8.yaml"])
def test_truncated_specs_end_in_problems_or_load(tmp_path, spec):
    """Every shipped spec cut short at many points (inside keys, strings, flow lists, UTF-8)."""
    data = (SPECS / spec).read_bytes()
    kind = {"boards": "board", "families": "family", "tasks": "task", "search": "search", "models": "model",
            "quant": "quant"}[spec.split("/")[0]]
    name = Path(spec).stem
    for cut in _cuts(data, 12):
        path = _write(tmp_path, f"{name}.yaml", data[:cut], spec.split("/")[0])
        _, problems = check_file(kind, path)  # never raises
        _well_formed(problems, data[:cut].count(b"\n"))


def test_truncated_flow_yaml(tmp_path):
    text = "extends: h743\nname: flow\nmemory: [{name: a, base: 0x0, size: 4, kind: ram}, {name: 'b', size: [1, 2"
    start = len("extends: h743\nname: flow\n")
    for cut in range(start, len(text) + 1, 3):
        _, problems = check_file("board", _write(tmp_path, "flow.yaml", text[:cut]))
        assert problems or cut == start  # that one is a whole board
        _well_formed(problems, text[:cut].count("\n"))


def test_an_extends_chain_is_bounded(tmp_path):
    for i in range(MAX_EXTENDS + 5):
        _write(tmp_path, f"c{i}.yaml", f"extends: c{i + 1}\n")
    _write(tmp_path, f"c{MAX_EXTENDS + 5}.yaml", "extends: h743\n")
    p = _only_problem(tmp_path / "boards" / "c0.yaml")
    assert p.code == "yaml.limit" and p.message.startswith(f"extends chain longer than {MAX_EXTENDS} specs")
    _, problems = check_file("board", tmp_path / "boards" / "c10.yaml")  # a chain of 16 is fine
    assert all(p.code != "yaml.limit" for p in problems)


# -------------------------------------------------------------------- broken schemas

def _json_error(text: str) -> json.JSONDecodeError:
    with pytest.raises(json.JSONDecodeError) as info:
        json.loads(text)
    return info.value


CORRUPTIONS = {
    "truncated": lambda t: t[: len(t) // 2],
    "empty": lambda t: "",
    "no-comma": lambda t: t.replace(",", "", 1),
    "trailing-comma": lambda t: t.rstrip().removesuffix("}").rstrip() + ",\n}\n",
    "single-quotes": lambda t: t.replace('"', "'", 4),
    "not-an-object": lambda t: "[" + t + "]",
    "bad-keyword": lambda t: t.replace("{", '{"minProperties": -1, ', 1),
    "dangling-ref": lambda t: t.replace("{", '{"$ref": "#/$defs/no-such-def", ', 1),
    "not-utf8": None,
    "deleted": None,
}


@pytest.mark.parametrize("how", CORRUPTIONS)
@pytest.mark.parametrize("schema", SCHEMAS)
def test_broken_schema_files(tmp_path, capsys, schema, how):
    specs = tmp_path / "specs"
    shutil.copytree(SPECS, specs)
    path = specs / "schemas" / schema
    text = path.read_text(encoding="utf-8")
    if how == "not-utf8":
        path.write_bytes(text.encode()[:40] + b"\xff" + text.encode()[40:])
    elif how == "deleted":
        path.unlink()
    else:
        text = CORRUPTIONS[how](text)
        path.write_text(text, encoding="utf-8")
    found = check_schemas(specs)
    _well_formed(found)
    shown = str(path)
    if how in ("truncated", "empty", "no-comma", "trailing-comma", "single-quotes"):
        err = _json_error(text)
        assert [str(p) for p in found] == [f"{shown}:{err.lineno}: $: invalid JSON at column {err.colno}: {err.msg}"]
    elif how == "not-utf8":
        assert [(p.file, p.line) for p in found] == [(shown, text[:40].count("\n") + 1)]
        assert found[0].message.startswith("invalid JSON: not UTF-8 text")
    elif how == "not-an-object":
        assert [(p.file, p.message) for p in found] == [(shown, "a schema file must hold a JSON object, not list")]
    elif how == "bad-keyword":
        assert [(p.file, p.path) for p in found] == [(shown, "$.minProperties")]
    elif how == "dangling-ref":
        assert [(p.file, p.message) for p in found] == [
            (shown, "$ref '#/$defs/no-such-def' leads nowhere (no such schema or definition)")]
    elif schema == "common.schema.json":  # deleted: the $refs into it lead nowhere
        assert found and all("urn:mcunet:schema:common" in p.message for p in found)
    else:
        assert found == []  # every remaining file is fine; a spec of that kind says what is missing
    # a spec checked against them gets the same problems (or the missing schema), no traceback
    kind = schema.removesuffix(".schema.json")
    spec = "boards/h743-rev-y.yaml" if kind in ("common", "result") else {
        "board": "boards/h743-rev-y.yaml", "core": "cores/cortex-m4.yaml", "family": "families/stm32f4.yaml",
        "model": "models/mcunet-vww-80.yaml", "quant": "quant/int8-ptq.yaml", "search": "search/mcunet-paper.yaml",
        "task": "tasks/imagenet.yaml"}[kind]
    status = spec_main(["--specs-dir", str(specs), "check", str(specs / spec)])
    err = capsys.readouterr().err.splitlines()
    if how == "deleted" and kind in ("common", "result") and not found:
        assert status == 0 and err == []  # no spec is checked against the result schema
        return
    assert status == 2
    assert err[-1].endswith("problem(s) in 1 spec file(s)")
    assert {line for line in err[:-1]} >= {str(p) for p in found}
    if how == "deleted" and not found:
        assert err[:-1] == [f"{shown}:1: $: no such file: the schema of {kind} specs is missing"]


def test_a_broken_schema_stops_typed_loading(tmp_path):
    specs = tmp_path / "specs"
    shutil.copytree(SPECS, specs)
    (specs / "schemas" / "quant.schema.json").write_text('{"type": "object",\n  "properties": }\n')
    with pytest.raises(UserError) as info:
        load_quant("int8", specs)
    assert info.value.messages == [f"{specs}/schemas/quant.schema.json:2: $: invalid JSON at column 17: "
                                   "Expecting value"]


# ------------------------------------------------------------- the CLI and scons

def test_cli_refuses_a_bomb_without_a_traceback(tmp_path):
    path = _write(tmp_path, "bomb.yaml", _list_bomb(12, 10))
    result = subprocess.run([sys.executable, "-m", "mcunet_core.spec", "check", str(path)], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines == [f"{path}:6: $: alias *a4 (11111 values, 4 deep) brings the document to 23464 values: "
                     f"a spec may have at most {MAX_VALUES} (aliases expanded)", "1 problem(s) in 1 spec file(s)"]


def test_scons_check_with_a_broken_schema(project):
    schema = project / "specs" / "schemas" / "family.schema.json"
    text = schema.read_text().replace('"type"', "'type'", 1)
    schema.write_text(text)
    err = _json_error(text)
    result = scons(project, "check")
    assert result.returncode == 2
    lines = errors(result)
    expected = f"specs/schemas/family.schema.json:{err.lineno}: $: invalid JSON at column {err.colno}: {err.msg}"
    assert lines[0] == expected and lines[1].startswith("1 problem(s) in ")
    # a build against the same schemas stops with the same line
    result = scons(project, "board=h743", "task=vww")
    assert result.returncode == 2 and errors(result) == [expected]


def test_scons_with_bad_board_files(project, tmp_path):
    bomb = _write(tmp_path, "bomb.yaml", _mapping_bomb(9, 9))
    result = scons(project, f"board={bomb}", "task=vww")
    assert result.returncode == 2
    (line,) = errors(result)
    assert line.startswith(f"{bomb}:") and "$: alias *a" in line and LIMIT.search(line)

    deep = _write(tmp_path, "deep.yaml", "extends: h743\nname: deep\nmemory: " + "[" * 600 + "]" * 600 + "\n")
    result = scons(project, f"board={deep}", "task=vww")
    assert result.returncode == 2
    assert errors(result) == [f"{deep}:3: $: a list at nesting depth {MAX_DEPTH + 1}: a spec may nest lists and "
                              f"mappings at most {MAX_DEPTH} deep"]

    many = _write(tmp_path, "many.yaml", "extends: h743\nname: many\n" + "".join(f"zz{i}: 1\n" for i in range(300)))
    result = scons(project, f"board={many}", "task=vww")
    assert result.returncode == 2
    lines = errors(result)
    assert len(lines) == MAX_PRINTED + 1 and lines[-1] == f"... and {300 - MAX_PRINTED} more problems"
    assert lines[0].startswith(f"{many}:3: $.zz0: unknown key 'zz0'")

    binary = _write(tmp_path, "binary.yaml", b"extends: h743\n\x00\x01\x02")
    result = scons(project, f"board={binary}", "task=vww")
    assert result.returncode == 2
    assert errors(result) == [f"{binary}:2: $: YAML syntax error: character U+0000 is not allowed in YAML "
                              "(a binary file?)"]


def test_readme_states_the_limits():
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    for text in (f"at most {MAX_FILE_BYTES // 1024} KiB", f"nested at most {MAX_DEPTH} deep",
                 f"at most {MAX_VALUES:,} values", f"more than {MAX_EXTENDS} specs",
                 f"At most {MAX_PRINTED} problems are printed per run", "... and N more problems"):
        assert text in readme, text
