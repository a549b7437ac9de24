"""The fixture corpus: every invalid spec under fixtures/ states the exact lines loading it must
print (``# expect: file:line: $.path: message``, file relative to the fixture's folder, or
``# expect: nothing``); helpers that other fixtures extend say ``# helper``. Together the
fixtures must exercise every schema keyword the shipped schemas use, every semantic check and
every loader rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcunet_core.spec import KIND_DIRS, check_file, kind_of_file
from mcunet_core.spec import semantic
from mcunet_core.spec.schema import keywords_used

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
REPO = HERE.parents[1]
LOADER_CODES = {
    "yaml.read", "yaml.syntax", "yaml.duplicate-key", "yaml.not-mapping", "yaml.key-type", "yaml.merge-key",
    "extends.unknown", "extends.cycle", "yaml.limit",
}


def _text(path: Path) -> str:
    return path.read_bytes().decode("latin-1")  # one fixture is deliberately not UTF-8


def _fixtures() -> list[Path]:
    return sorted(p for p in FIXTURES.rglob("*.yaml") if "# helper" not in _text(p))


def _expected(path: Path) -> list[str]:
    lines = [line[len("# expect: "):] for line in _text(path).splitlines() if line.startswith("# expect: ")]
    return [] if lines == ["nothing"] else lines


def _printed(path: Path) -> tuple[list[str], list[str]]:
    _, problems = check_file(kind_of_file(path), path)
    prefix = f"{path.parent}/"  # path is relative to the repository root
    return [str(p).removeprefix(prefix) for p in problems], [p.code for p in problems]


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch):
    monkeypatch.chdir(REPO)  # messages show paths relative to the working directory


def test_every_fixture_states_its_expectation():
    for path in FIXTURES.rglob("*.yaml"):
        text = _text(path)
        assert "# expect: " in text or "# helper" in text, f"{path.name}: no '# expect:' line"


@pytest.mark.parametrize("path", _fixtures(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_messages(path: Path):
    printed, _ = _printed(path.relative_to(REPO))
    assert printed == _expected(path)


def test_fixtures_cover_every_rule():
    seen: set[str] = set()
    for path in _fixtures():
        seen.update(_printed(path.relative_to(REPO))[1])
    kinds = [*KIND_DIRS, "common"]
    schema_rules = {f"schema.{kw}" for kw in keywords_used(REPO / "specs" / "schemas", kinds)}
    assert schema_rules >= {"schema.additionalProperties", "schema.enum", "schema.required", "schema.type"}
    wanted = schema_rules | set(semantic.codes()) | LOADER_CODES
    assert sorted(wanted - seen) == []
