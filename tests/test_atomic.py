"""Atomic artifact writes: all or nothing, and the usual file mode."""

import os

import pytest

from mcunet_core import atomic
from mcunet_core.atomic import atomic_open, atomic_write_text, atomic_write_tree


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


def test_a_tree_replaces_the_folder_whole(tmp_path):
    folder = tmp_path / "pkg"
    atomic_write_tree(folder, {"a.txt": b"a", "sub/b.txt": b"b"})
    atomic_write_tree(folder, {"c.txt": b"c"})
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) == ["c.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["pkg"]  # nothing left beside it


def test_a_failed_tree_leaves_the_old_folder_and_no_temporary(tmp_path, monkeypatch):
    folder = tmp_path / "pkg"
    atomic_write_tree(folder, {"model.c": b"old"})

    class Interrupted(Exception):
        pass

    def late(*_):
        raise Interrupted

    monkeypatch.setattr(atomic, "_replace_folder", late)
    with pytest.raises(Interrupted):
        atomic_write_tree(folder, {"model.c": b"new", "weights.c": b"new"})
    assert (folder / "model.c").read_bytes() == b"old" and not (folder / "weights.c").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["pkg"]


def test_a_tree_refuses_paths_outside_it_and_a_file_in_its_place(tmp_path):
    with pytest.raises(ValueError, match="not a path inside"):
        atomic_write_tree(tmp_path / "pkg", {"../escape.txt": b"x"})
    assert not (tmp_path / "escape.txt").exists() and not list(tmp_path.iterdir())
    (tmp_path / "file").write_text("mine")
    with pytest.raises(NotADirectoryError):
        atomic_write_tree(tmp_path / "file", {"a": b"a"})
    assert (tmp_path / "file").read_text() == "mine"
