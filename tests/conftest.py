"""Fixtures shared by the whole suite: where the project and the shared data live."""

from __future__ import annotations

from pathlib import Path

import pytest

from scons_project import copy_project

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared (real models and data sets for tests); tests needing it skip without it."""
    if not SHARED_DIR.is_dir():
        pytest.skip(f"{SHARED_DIR} is not there")
    return SHARED_DIR


@pytest.fixture
def project(tmp_path) -> Path:
    """A private copy of the project to run real `scons` in (tests/scons_project.py)."""
    return copy_project(tmp_path)
