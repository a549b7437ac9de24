"""Every run configuration has its own output folders (rules/mcunet_paths.py)."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "rules"))
from mcunet_paths import run_tag, stale_results  # noqa: E402


def test_every_configuration_gets_its_own_run_folder_and_the_default_none(tmp_path):
    inputs = [None, str(tmp_path / "a.npy"), str(tmp_path / "b.npy"), str(tmp_path / "sub" / "a.npy")]
    configs = list(itertools.product(("qemu", "pyocd"), (None, "0669FF", "066DFF"), ("O2", "O3", "Os"), inputs))
    configs = [c for c in configs if c[0] == "pyocd" or c[1] is None]  # a probe only with pyocd
    tags = [run_tag(*c) for c in configs]
    assert tags.count(None) == 1 and run_tag("qemu", None, "O2", None) is None
    assert len(set(tags)) == len(tags)  # two inputs with one stem in two folders differ too
    assert all(t is None or "/" not in t for t in tags)


def test_stale_results_are_the_runs_own_files(tmp_path):
    for name in ("result.json", "report.md", "output.npy", "output_1.npy", "plan.json"):
        (tmp_path / name).write_text("x")
    assert sorted(p.name for p in stale_results(tmp_path)) == ["output.npy", "output_1.npy", "report.md",
                                                               "result.json"]
