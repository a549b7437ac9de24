"""The engine has one front door: outside ``mcunet_core/engine`` (the rest of the package,
the SCons rules, the benchmarks, the SConstruct) code imports ``mcunet_core.engine`` only,
never a module behind it. Tests may reach inside; they test the pieces."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE = [p for d in ("mcunet_core", "rules", "bench", "scripts") for p in sorted((ROOT / d).rglob("*.py"))
           if (ROOT / "mcunet_core" / "engine") not in p.parents] + [ROOT / "SConstruct"]


def _engine_imports(path: Path, source: str | None = None) -> list[str]:
    """Modules behind the front door that ``path`` imports (absolute or relative)."""
    source = path.read_text(encoding="utf-8") if source is None else source
    tree = ast.parse(source, filename=str(path))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            names = [base] + [f"{base}.{a.name}" for a in node.names if base == "mcunet_core.engine"]
        else:
            continue
        for name in names:
            if name.startswith("mcunet_core.engine.") and not _is_attribute(name):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}")
    return found


def _is_attribute(name: str) -> bool:
    """``from mcunet_core.engine import X`` names an export, not a module, unless X is one."""
    rest = name.removeprefix("mcunet_core.engine.")
    engine = ROOT / "mcunet_core" / "engine"
    return "." not in rest and not ((engine / f"{rest}.py").exists() or (engine / rest).is_dir())


def test_nothing_outside_the_engine_imports_behind_its_front_door():
    assert len(OUTSIDE) > 50
    found = [hit for path in OUTSIDE for hit in _engine_imports(path)]
    assert not found, "import mcunet_core.engine instead:\n" + "\n".join(found)


def test_the_checker_sees_relative_and_absolute_imports():
    probe = ROOT / "mcunet_core" / "nas" / "probe.py"  # parsed only, never written
    hits = _engine_imports(probe, "from ..engine.lowering import lower\nfrom ..engine import lower\n"
                                  "import mcunet_core.engine.decisions\nfrom mcunet_core.engine import kernels\n")
    assert [h.split(": ")[1] for h in hits] == ["mcunet_core.engine.lowering", "mcunet_core.engine.decisions",
                                                 "mcunet_core.engine.kernels"]
