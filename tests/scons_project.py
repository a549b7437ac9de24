"""A private copy of the project for tests that run real `scons` (parallel tests never share
build/ or .sconsign), and helpers to run it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

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
