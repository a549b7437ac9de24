"""JSON Schema (Draft 2020-12) validation of located spec trees, one ``Problem`` per error.

The schemas live in ``specs/schemas/<kind>.schema.json``; validation is done by the
``jsonschema`` library. This module only turns its errors into one-line messages with the
YAML line of the offending value and a "did you mean" for misspelled keys and enum values.
A schema may carry ``x-message`` to replace the library's text for ``pattern``, ``anyOf`` and
``oneOf`` failures, whose generic messages do not tell a user what to write.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from pathlib import Path
from typing import Any, Iterator

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource

from .located import Node, Problem

X_MESSAGE_KEYWORDS = ("pattern", "anyOf", "oneOf")

_TYPE_NAMES = {
    bool: "boolean", int: "integer", float: "number", str: "string",
    list: "list", dict: "mapping", type(None): "null",
}


def _kind_of(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return "a " + _kind_of(value)
    return str(value)


def did_you_mean(word: Any, choices) -> str:
    """'; did you mean 'x'?' for the closest choice, or ''."""
    if not isinstance(word, str):
        return ""
    names = [str(c) for c in choices]
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    if not close:
        lowered = {n.lower(): n for n in names}
        if word.lower() in lowered:
            close = [lowered[word.lower()]]
    return f"; did you mean '{close[0]}'?" if close else ""


def not_one_of(value: Any, choices) -> str:
    """The message for a value outside a list of choices (also used by semantic checks whose
    choices come from other specs, such as the core names)."""
    return f"{_show(value)} is not one of {', '.join(_show(c) for c in choices)}{did_you_mean(value, choices)}"


@functools.lru_cache(maxsize=None)
def _schemas(schema_dir: str) -> tuple[dict[str, dict], Registry]:
    by_kind: dict[str, dict] = {}
    resources = []
    for path in sorted(Path(schema_dir).glob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        kind = path.name[: -len(".schema.json")]
        by_kind[kind] = schema
        uri = schema.get("$id", path.resolve().as_uri())
        resources.append((uri, Resource.from_contents(schema)))
    return by_kind, Registry().with_resources(resources)


def schema_for(kind: str, schema_dir: str | Path) -> dict:
    by_kind, _ = _schemas(str(schema_dir))
    if kind not in by_kind:
        raise FileNotFoundError(f"no schema {kind}.schema.json in {schema_dir}")
    return by_kind[kind]


@functools.lru_cache(maxsize=None)
def validator_for(kind: str, schema_dir: str) -> Draft202012Validator:
    by_kind, registry = _schemas(schema_dir)
    schema = schema_for(kind, schema_dir)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=registry)


def _allowed_keys(schema: dict) -> list[str]:
    return sorted(schema.get("properties", {}))


def _error_problems(err: ValidationError, tree: Node) -> Iterator[Problem]:
    path = tuple(err.absolute_path)
    kw = err.validator
    code = f"schema.{kw}"
    value = err.instance
    schema = err.schema if isinstance(err.schema, dict) else {}

    if kw == "additionalProperties" and isinstance(value, dict):
        allowed = _allowed_keys(schema)
        patterns = schema.get("patternProperties", {})
        for key in value:
            if key in allowed or any(re.search(p, key) for p in patterns):
                continue
            hint = did_you_mean(key, allowed)
            if not hint:
                hint = "; expected one of: " + ", ".join(allowed)
            yield tree.problem(path + (key,), f"unknown key '{key}'{hint}", code, at_key=True)
        return
    if kw == "required":
        missing = [k for k in err.validator_value if isinstance(value, dict) and k not in value]
        for key in missing:
            yield tree.problem(path, f"missing required key '{key}'", code)
        return

    if kw in X_MESSAGE_KEYWORDS and "x-message" in schema and not (isinstance(value, list) and err.context):
        yield tree.problem(path, _x_message(err, schema["x-message"]), code)
        return
    if kw in ("anyOf", "oneOf") and err.context:
        # Report the branch that got furthest: the deepest error that is not a mere type
        # mismatch of the whole value (a list given where one branch wants an integer).
        # A list no branch got inside (one of the wrong length) gets the schema's own words.
        deeper = [e for e in err.context if len(e.absolute_path) > len(err.absolute_path)]
        if not deeper and "x-message" in schema:
            yield tree.problem(path, _x_message(err, schema["x-message"]), code)
            return
        yield from _error_problems(max(deeper, key=lambda e: len(e.absolute_path)) if deeper
                                   else best_match(err.context), tree)
        return

    if kw == "enum":
        message = not_one_of(value, err.validator_value)
    elif kw == "const":
        message = f"{_show(value)} must be {_show(err.validator_value)}{did_you_mean(value, [err.validator_value])}"
    elif kw == "type":
        expected = err.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        expected = {"object": "mapping", "array": "list"}.get(expected, expected)
        message = f"expected {expected}, got " + (f"a {_kind_of(value)}" if isinstance(value, (dict, list))
                                                 else f"{_kind_of(value)} {_show(value)}")
        if isinstance(value, bool) and "string" in str(err.validator_value):
            message += " (YAML reads unquoted yes/no/on/off/true/false as booleans: quote it)"
    elif kw == "pattern":
        message = f"{_show(value)} does not match the pattern {err.validator_value!r}"
    elif kw == "uniqueItems":
        seen, dup = [], None
        for item in value:
            if item in seen:
                dup = item
                break
            seen.append(item)
        message = f"duplicate entry {_show(dup)}: entries must be unique"
    elif kw in ("minItems", "maxItems", "minProperties", "maxProperties"):
        bound = "at least" if kw.startswith("min") else "at most"
        n = err.validator_value
        message = f"needs {bound} {n} {'entry' if n == 1 else 'entries'}, has {len(value)}"
    elif kw == "minLength":
        message = "must not be empty" if err.validator_value == 1 else \
            f"{_show(value)} is too short (at least {err.validator_value} characters)"
    elif kw == "minimum":
        message = f"{_show(value)} is below the minimum {err.validator_value}"
    elif kw == "maximum":
        message = f"{_show(value)} is above the maximum {err.validator_value}"
    elif kw == "exclusiveMinimum":
        message = f"{_show(value)} must be greater than {err.validator_value}"
    elif kw == "exclusiveMaximum":
        message = f"{_show(value)} must be less than {err.validator_value}"
    elif kw == "multipleOf":
        message = f"{_show(value)} is not a multiple of {err.validator_value}"
    else:
        message = err.message
    yield tree.problem(path, message, code)


def _x_message(err: ValidationError, text: str) -> str:
    """A schema's own wording, after the offending scalar, with a "did you mean" against
    the string constants an anyOf/oneOf allows."""
    value = err.instance
    if isinstance(value, (dict, list)):
        return text
    consts = []
    if err.validator in ("anyOf", "oneOf"):
        for sub in err.validator_value:
            consts += [sub["const"]] if "const" in sub else list(sub.get("enum", []))
    return f"{_show(value)} {text}{did_you_mean(value, [c for c in consts if isinstance(c, str)])}"


def validate(tree: Node, kind: str, schema_dir: str | Path) -> list[Problem]:
    """Every schema problem of a (merged) spec tree."""
    validator = validator_for(kind, str(schema_dir))
    instance = tree.plain()
    problems: list[Problem] = []
    for err in validator.iter_errors(instance):
        problems.extend(_error_problems(err, tree))
    return problems


ASSERTION_KEYWORDS = frozenset({
    "type", "enum", "const", "required", "additionalProperties", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "pattern", "minLength", "maxLength",
    "minItems", "maxItems", "uniqueItems", "anyOf", "oneOf", "allOf", "not", "dependentRequired",
    "minProperties", "maxProperties", "contains", "propertyNames",
})


def keywords_used(schema_dir: str | Path, kinds) -> set[str]:
    """Assertion keywords the schemas of ``kinds`` use (a test requires a fixture for each)."""
    found: set[str] = set()

    def walk(obj):
        if isinstance(obj, dict):
            found.update(ASSERTION_KEYWORDS.intersection(obj))
            for key, val in obj.items():
                if key in ("properties", "$defs", "patternProperties"):
                    for sub in val.values():  # property names are not keywords
                        walk(sub)
                elif key not in ("enum", "const", "required"):
                    walk(val)
        elif isinstance(obj, list):
            for item in obj:
                walk(item)

    for kind in kinds:
        walk(schema_for(kind, schema_dir))
    return found
