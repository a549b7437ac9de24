"""A private copy of the project for tests that run real `scons` (parallel tests never share
build/ or .sconsign), and helpers to run it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
COPIED = ("SConstruct", "rules", "specs", "mcunet_core", "firmware")


def copy_project(tmp_path: Path) -> Path:
    dest = tmp_path / "project"
    dest.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "build")
    for name in COPIED:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        else:
            shutil.copy2(src, dest / name)
    return dest


def scons(project: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "SCons", "-Q", *args], cwd=project, capture_output=True,
                          text=True, timeout=300, env=env)


def errors(result: subprocess.CompletedProcess) -> list[str]:
    assert "Traceback" not in result.stdout + result.stderr
    return result.stderr.splitlines()


def random_model_file(tmp_path: Path, family: str = "conv", seed: int = 4) -> Path:
    """A small random .tflite of one op family (tests/importers/random_models.py) to build."""
    sys.path.insert(0, str(Path(__file__).parent / "importers"))
    from random_models import GENERATORS

    path = tmp_path / f"{family}{seed}.tflite"
    path.write_bytes(GENERATORS[family](np.random.default_rng(seed)).model)
    return path
