"""Atomic artifact writes: all or nothing, and the usual file mode."""

import os

import pytest

from mcunet_core.atomic import atomic_open, atomic_write_text


def test_written_file_has_the_umask_mode(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "a" / "result.json", "{}\n")
    finally:
        os.umask(old)
    path = tmp_path / "a" / "result.json"
    assert path.read_text() == "{}\n"
    assert path.stat().st_mode & 0o777 == 0o644


def test_an_interrupted_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "model.c"
    atomic_write_text(path, "old")
    with pytest.raises(RuntimeError):
        with atomic_open(path, "w") as fh:
            fh.write("half of the new")
            raise RuntimeError("interrupted")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.c"]
