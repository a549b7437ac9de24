"""Finding, loading and checking specs: YAML -> ``extends`` merge -> JSON Schema -> semantic
checks -> typed object. Every problem of a spec is collected before anything is raised.

Core and family specs (``specs/cores/``, ``specs/families/``) also form the catalog
(``spec_catalog``) that board checks and typed boards look facts up in."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Iterable

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable

from ..errors import UserError
from ..paths import SPECS_DIR
from .located import Node, Problem, display_path, load_yaml, merge
from .parts import Catalog
from .schema import did_you_mean, validate
from .semantic import CatalogUnavailable, Context, run_checks
from .types import Board, Core, Family, ModelSpec, QuantSpec, SearchSpec, Task

KIND_DIRS = {"board": "boards", "task": "tasks", "model": "models", "search": "search", "quant": "quant",
             "core": "cores", "family": "families"}
KIND_TYPES = {"board": Board, "task": Task, "model": ModelSpec, "search": SearchSpec, "quant": QuantSpec,
              "core": Core, "family": Family}
CATALOG_KINDS = ("core", "family")  # what board specs are checked against and built with
YAML_SUFFIXES = (".yaml", ".yml")
MAX_EXTENDS = 16  # specs in one extends chain (the shipped chains have 2)


def default_specs_dir() -> Path:
    """The project's ``specs/`` folder (``$MCUNET_SPECS_DIR`` overrides it)."""
    env = os.environ.get("MCUNET_SPECS_DIR")
    return Path(env) if env else SPECS_DIR


def _specs_dir(specs_dir: str | os.PathLike | None) -> Path:
    return Path(specs_dir) if specs_dir is not None else default_specs_dir()


def _check_kind(kind: str) -> None:
    if kind not in KIND_DIRS:
        raise UserError(f"unknown spec kind '{kind}' (kinds: {', '.join(KIND_DIRS)})"
                        f"{did_you_mean(kind, KIND_DIRS)}")


def _kind_files(kind: str, sdir: Path) -> list[Path]:
    folder = sdir / KIND_DIRS[kind]
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in YAML_SUFFIXES and p.is_file())


def list_specs(kind: str, specs_dir: str | os.PathLike | None = None) -> list[str]:
    """Names of the specs of one kind (file names without .yaml), sorted."""
    _check_kind(kind)
    return sorted({p.stem for p in _kind_files(kind, _specs_dir(specs_dir))})


def _looks_like_path(text: str) -> bool:
    return text.endswith(YAML_SUFFIXES) or "/" in text or os.sep in text


def spec_file(kind: str, name_or_path: str | os.PathLike, specs_dir=None) -> Path:
    """The file of a spec given by name (looked up in the spec folder) or by path."""
    _check_kind(kind)
    text = str(name_or_path)
    if isinstance(name_or_path, os.PathLike) or _looks_like_path(text):
        path = Path(text).expanduser()
        if not path.is_file():
            raise UserError(f"{kind} spec file not found: {text}")
        return path
    names = list_specs(kind, specs_dir)
    if text not in names:
        listed = ", ".join(names) if names else "none"
        raise UserError(f"no {kind} spec '{text}' ({KIND_DIRS[kind]}: {listed}){did_you_mean(text, names)}")
    return next(p for p in _kind_files(kind, _specs_dir(specs_dir)) if p.stem == text)


def _extends_target(kind: str, ref: str, child: Path, specs_dir: Path) -> Path | None:
    if _looks_like_path(ref):
        path = (child.parent / ref).expanduser()
        return path if path.is_file() else None
    for folder in (child.parent, specs_dir / KIND_DIRS[kind]):
        for suffix in YAML_SUFFIXES:
            path = folder / f"{ref}{suffix}"
            if path.is_file() and path.resolve() != child.resolve():
                return path
    return None


def _load_chain(kind: str, path: Path, specs_dir: Path, seen: tuple[Path, ...]) -> tuple[Node | None, list[Problem]]:
    tree, problems = load_yaml(path)
    if tree is None or "extends" not in tree.value:
        return tree, problems
    ext = tree.value["extends"]
    child = Node({k: v for k, v in tree.value.items() if k != "extends"}, tree.file, tree.line, tree.key_line)
    ref = ext.value
    if not isinstance(ref, str) or not ref:
        problems.append(tree.problem(("extends",), "extends must be a spec name or a relative path to a .yaml file",
                                     "extends.unknown"))
        return None, problems
    base_path = _extends_target(kind, ref, path, specs_dir)
    itself = base_path is not None and base_path.resolve() == path.resolve()
    if base_path is None or itself:
        itself = itself or (not _looks_like_path(ref) and ref == path.stem)
        if itself:
            message = (f"cannot extend '{ref}': that is this file itself (extend another {kind} spec, "
                       f"or drop 'extends')")
        elif _looks_like_path(ref):
            message = f"cannot extend '{ref}': no such file next to {path.name}"
        else:
            names = sorted(({p.stem for p in path.parent.iterdir() if p.suffix in YAML_SUFFIXES}
                            | set(list_specs(kind, specs_dir))) - {path.stem})
            message = f"cannot extend '{ref}': no such {kind} spec{did_you_mean(ref, names)}"
        problems.append(tree.problem(("extends",), message, "extends.unknown"))
        return None, problems
    chain = seen + (path.resolve(),)
    if len(chain) >= MAX_EXTENDS:
        problems.append(tree.problem(("extends",), f"extends chain longer than {MAX_EXTENDS} specs "
                                     f"({chain[0].name} -> ... -> {path.name} -> {base_path.name})", "yaml.limit"))
        return None, problems
    if base_path.resolve() in chain:
        cycle = " -> ".join(p.name for p in chain + (base_path.resolve(),))
        problems.append(tree.problem(("extends",), f"extends cycle: {cycle}", "extends.cycle"))
        return None, problems
    base, base_problems = _load_chain(kind, base_path, specs_dir, chain)
    problems.extend(base_problems)
    if base is None:
        return None, problems
    return merge(base, child), problems


def _sorted(problems: Iterable[Problem], top: Path) -> list[Problem]:
    top_file = str(top)
    unique = dict.fromkeys(problems)  # keeps the first of identical lines
    return sorted(unique, key=lambda p: (p.file != top_file, p.file, p.line, p.path))


def _semantic(kind: str, tree: Node, path: Path, sdir: Path, schema_problems: list[Problem], catalog) -> list[Problem]:
    """The semantic problems of a spec tree; ``catalog`` is called for the core and family
    specs when a check needs them."""
    ctx = Context(kind, tree, tree.plain(), path, lambda k: list_specs(k, sdir), catalog)
    return run_checks(ctx, schema_problems)


def check_file(kind: str, path: str | os.PathLike, specs_dir=None) -> tuple[Node | None, list[Problem]]:
    """Load one spec file with everything it extends; return its merged tree and ALL problems,
    in the order of their lines. A spec checked against the core and family specs (a board) is
    not checked against a broken one: the problems of those specs are its problems."""
    _check_kind(kind)
    path = Path(path)
    sdir = _specs_dir(specs_dir)
    tree, problems = _load_chain(kind, path, sdir, ())
    if tree is None:
        return None, _sorted(problems, path)
    unusable = schema_problems_of(sdir, kind)
    if unusable:  # a broken schema file: its problems are the spec's, nothing is checked against it
        return tree, _sorted(problems + unusable, path)
    schema_problems = _validate(tree, kind, sdir)
    broken: list[Problem] = []

    def catalog() -> Catalog:
        cat = spec_catalog(sdir)
        if cat.problems:
            broken[:] = cat.problems
            raise CatalogUnavailable
        return cat

    problems += schema_problems + _semantic(kind, tree, path, sdir, schema_problems, catalog) + broken
    return tree, _sorted(problems, path)


def _catalog_signature(sdir: Path) -> tuple:
    files = [p for kind in CATALOG_KINDS for p in _kind_files(kind, sdir)]
    files += sorted((sdir / "schemas").glob("*.schema.json"))
    return tuple((str(p), st.st_mtime_ns, st.st_size) for p in files for st in [p.stat()])


def spec_catalog(specs_dir=None) -> Catalog:
    """The core and family specs of a spec folder (re-read when one of their files changes)."""
    sdir = _specs_dir(specs_dir)
    return _catalog(str(sdir), _catalog_signature(sdir))


@functools.lru_cache(maxsize=8)
def _catalog(sdir_text: str, signature: tuple) -> Catalog:
    sdir = Path(sdir_text)
    loaded, specs = [], {kind: {} for kind in CATALOG_KINDS}
    for kind in CATALOG_KINDS:
        for path in _kind_files(kind, sdir):
            tree, problems = _load_chain(kind, path, sdir, ())
            unusable = schema_problems_of(sdir, kind)
            if unusable:  # not checked against a broken schema (nor semantically)
                tree, problems = None, problems + unusable
            schema_problems = _validate(tree, kind, sdir) if tree is not None else []
            loaded.append((kind, path, tree, problems, schema_problems))
            if tree is not None and not problems and not schema_problems:
                specs[kind][path.stem] = KIND_TYPES[kind].from_raw(tree.plain(), path, tree)
    # Family checks look at the cores (a part's core): they run against the core specs that
    # passed their schema, and not at all while one did not.
    catalog = Catalog(specs["core"], specs["family"])
    cores_broken = any(kind == "core" and (load or schema) for kind, _, _, load, schema in loaded)

    def cores() -> Catalog:
        if cores_broken:
            raise CatalogUnavailable
        return catalog

    problems: list[Problem] = []
    for kind, path, tree, load_problems, schema_problems in loaded:
        semantic = _semantic(kind, tree, path, sdir, schema_problems, cores) if tree is not None else []
        problems += _sorted(load_problems + schema_problems + semantic, path)
    return Catalog(catalog.cores, catalog.families, tuple(problems))


def load_spec(kind: str, name_or_path, specs_dir=None):
    """A typed spec (Board, Task, ModelSpec, SearchSpec, QuantSpec, Core, Family) after the extends merge and
    every check; raises ``UserError`` with one line per problem."""
    path = spec_file(kind, name_or_path, specs_dir)
    tree, problems = check_file(kind, path, specs_dir)
    if problems:
        raise UserError([str(p) for p in problems])
    if kind == "board":
        return Board.from_raw(tree.plain(), path, tree, catalog=spec_catalog(specs_dir))
    return KIND_TYPES[kind].from_raw(tree.plain(), path, tree)


def load_board(name_or_path, specs_dir=None) -> Board:
    return load_spec("board", name_or_path, specs_dir)


def load_task(name_or_path, specs_dir=None) -> Task:
    return load_spec("task", name_or_path, specs_dir)


def load_search(name_or_path, specs_dir=None) -> SearchSpec:
    return load_spec("search", name_or_path, specs_dir)


def load_quant(name_or_path, specs_dir=None) -> QuantSpec:
    return load_spec("quant", name_or_path, specs_dir)


def load_core(name_or_path, specs_dir=None) -> Core:
    return load_spec("core", name_or_path, specs_dir)


def load_family(name_or_path, specs_dir=None) -> Family:
    return load_spec("family", name_or_path, specs_dir)


def load_model(name_or_path, specs_dir=None) -> ModelSpec:
    """A model spec by name (specs/models/<name>.yaml), a path to a model .yaml, or a path to
    an int8 .tflite file."""
    text = str(name_or_path)
    if text.lower().endswith(".tflite"):
        path = Path(text).expanduser()
        if path.is_dir():
            raise UserError(f"model {text}: a directory, not a .tflite file")
        if not path.is_file():
            raise UserError(f"model file not found: {text}")
        with open(path, "rb") as fh:
            head = fh.read(8)
        if head[4:8] != b"TFL3":
            raise UserError(f"{display_path(path)}: not a TFLite flatbuffer (no 'TFL3' identifier)")
        return ModelSpec.from_tflite(path)
    return load_spec("model", name_or_path, specs_dir)


def kind_of_file(path: Path) -> str | None:
    """A spec's kind from the folder it lies in (boards/, tasks/, models/, search/, quant/,
    cores/, families/)."""
    by_dir = {d: k for k, d in KIND_DIRS.items()}
    return by_dir.get(path.parent.name)


def project_spec_files(specs_dir=None) -> list[tuple[str, Path]]:
    """Every spec of the project as (kind, path): the .yaml files in each kind's folder."""
    sdir = _specs_dir(specs_dir)
    return [(kind, path) for kind in KIND_DIRS for path in _kind_files(kind, sdir)]


def _spec_files(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file()))
        else:
            out.append(path)
    return out


def check_paths(paths: Iterable[str | os.PathLike] = (), kind: str | None = None,
                specs_dir=None) -> tuple[int, list[Problem]]:
    """Check spec files (folders are searched for .yaml files; none given: every spec of the
    project, and the schemas themselves). Returns (number of specs checked, problems)."""
    sdir = _specs_dir(specs_dir)
    problems: list[Problem] = []
    if kind is not None:
        _check_kind(kind)
    if paths:
        files = [(kind or kind_of_file(p), p) for p in _spec_files(Path(p) for p in paths)]
    else:
        problems.extend(check_schemas(sdir))
        files = project_spec_files(sdir)
    for k, path in files:
        if not path.exists():
            problems.append(Problem(str(path), 1, "$", "no such file", "check.missing"))
            continue
        if k is None:
            problems.append(Problem(str(path), 1, "$", "cannot tell the kind of this spec: put it in a folder named "
                                    f"{', '.join(KIND_DIRS.values())} or pass --kind", "check.kind"))
            continue
        problems.extend(check_file(k, path, sdir)[1])
    return len(files), sorted(dict.fromkeys(problems), key=lambda p: (p.file, p.line, p.path))


def _schema_file_problems(path: Path) -> tuple[dict | None, list[Problem]]:
    """A schema file's JSON object, or the problems that make it unusable."""
    try:
        data = path.read_bytes()
    except OSError as err:
        return None, [Problem(str(path), 1, "$", f"cannot read schema file: {err.strerror or err}", "schema.invalid")]
    schema, found = _parse_schema(data)
    return schema, [Problem(str(path), line, at, message, "schema.invalid") for line, at, message in found]


@functools.lru_cache(maxsize=64)
def _parse_schema(data: bytes) -> tuple[dict | None, tuple[tuple[int, str, str], ...]]:
    """(schema, ((line, json path, message), ...)) of a schema file's bytes; cached by content,
    as checking a schema against the metaschema is the slow part of checking a spec folder."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        return None, ((line, "$", f"invalid JSON: not UTF-8 text ({err.reason} at byte {err.start})"),)
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as err:
        return None, ((err.lineno, "$", f"invalid JSON at column {err.colno}: {err.msg}"),)
    except RecursionError:
        return None, ((1, "$", "invalid JSON: nested too deeply"),)
    if not isinstance(schema, dict):
        return None, ((1, "$", f"a schema file must hold a JSON object, not {type(schema).__name__}"),)
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as err:
        at = "$" + "".join(f"[{p!r}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path)
        return None, ((1, at, " ".join(f"invalid Draft 2020-12 schema: {err.message}".split())),)
    except RecursionError:
        return None, ((1, "$", "invalid Draft 2020-12 schema: nested too deeply"),)
    return schema, ()


def _refs(obj, at: tuple = ()) -> Iterable[tuple[tuple, str]]:
    if isinstance(obj, dict):
        for key, val in obj.items():
            if key == "$ref" and isinstance(val, str):
                yield at, val
            elif key not in ("enum", "const", "examples", "default"):
                yield from _refs(val, at + (key,))
    elif isinstance(obj, list):
        for i, val in enumerate(obj):
            yield from _refs(val, at + (i,))


def _schema_paths(sdir: Path) -> list[Path]:
    folder = sdir / "schemas"
    return sorted(folder.glob("*.schema.json")) if folder.is_dir() else []


def _schema_signature(sdir: Path) -> tuple:
    out = []
    for p in _schema_paths(sdir):
        try:
            st = p.stat()
        except OSError:
            continue
        out.append((str(p), st.st_mtime_ns, st.st_size))
    return tuple(out)


@functools.lru_cache(maxsize=8)
def _all_schema_problems(sdir_text: str, signature: tuple) -> tuple[Problem, ...]:
    problems: list[Problem] = []
    loaded: list[tuple[Path, str, dict]] = []
    for path in _schema_paths(Path(sdir_text)):
        schema, file_problems = _schema_file_problems(path)
        problems += file_problems
        if schema is not None:
            loaded.append((path, schema.get("$id", path.resolve().as_uri()), schema))
    if problems:  # the $refs into a broken file would only repeat its problem
        return tuple(problems)
    registry = Registry().with_resources((uri, Resource.from_contents(schema)) for _, uri, schema in loaded)
    for path, uri, schema in loaded:  # every $ref must lead somewhere (else validation would raise)
        resolver = registry.resolver(base_uri=uri)
        for at, ref in _refs(schema):
            try:
                resolver.lookup(ref)
            except Unresolvable:
                problems.append(Problem(str(path), 1, "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}"
                                                                    for p in at),
                                        f"$ref {ref!r} leads nowhere (no such schema or definition)",
                                        "schema.invalid"))
    return tuple(problems)


def schema_problems_of(specs_dir=None, kind: str | None = None) -> list[Problem]:
    """The problems of the schema files (every one: they refer to each other), plus a missing
    schema of ``kind``; a spec is checked only when there are none."""
    sdir = _specs_dir(specs_dir)
    problems = list(_all_schema_problems(str(sdir), _schema_signature(sdir)))
    if kind is not None and not (sdir / "schemas" / f"{kind}.schema.json").is_file():
        problems.append(Problem(str(sdir / "schemas" / f"{kind}.schema.json"), 1, "$",
                                f"no such file: the schema of {kind} specs is missing", "schema.missing"))
    return problems


def _validate(tree: Node, kind: str, sdir: Path) -> list[Problem]:
    """``validate`` against schemas that passed ``schema_problems_of``; whatever the library
    still refuses about them becomes a problem of the kind's schema file."""
    try:
        return validate(tree, kind, sdir / "schemas")
    except (Unresolvable, SchemaError, RecursionError) as err:
        return [Problem(str(sdir / "schemas" / f"{kind}.schema.json"), 1, "$",
                        " ".join(f"schema cannot be applied: {err}".split()), "schema.invalid")]


def check_schemas(specs_dir=None) -> list[Problem]:
    """Each shipped schema must itself be a valid Draft 2020-12 schema (valid JSON, an
    object, every $ref resolving)."""
    return schema_problems_of(specs_dir)
