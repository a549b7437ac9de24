"""`scons board=B model=M export=DIR` in a private copy of the project: the package is
written whole, an unchanged re-run does nothing, a model change (or a file changed in the
package) exports again, a failed export leaves the earlier package as it was, and a bad DIR
is one line before anything is built."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from scons_project import errors, random_model_file, scons

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "rules"))
from mcunet_stages import chain_for  # noqa: E402

from mcunet_core.package import MANIFEST, is_intact  # noqa: E402
from mcunet_core.spec import load_model, load_task  # noqa: E402


def _kernels(folder: Path) -> list[str]:
    return json.loads((folder / MANIFEST).read_text())["kernels"]


def test_export_writes_the_package_once_and_follows_the_model(project, tmp_path):
    model = random_model_file(tmp_path, "conv", 4)
    pkg = tmp_path / "out" / "conv4-pkg"
    args = ("board=h743", f"model={model}", f"export={pkg}")
    first = scons(project, *args)
    assert first.returncode == 0, first.stderr
    assert f"Exported conv4 (1 kernel) to {pkg}: CMake target mcunet::conv4" in first.stdout
    assert is_intact(pkg) and (pkg / "include" / "conv4" / "model.h").is_file()
    assert not (project / "build" / "h743" / "conv4" / "firmware").exists()  # the package, not a run
    assert [p.name for p in pkg.parent.iterdir()] == ["conv4-pkg"]  # no temporary folder left

    again = scons(project, *args)
    assert again.returncode == 0 and "up to date" in again.stdout and "Export" not in again.stdout

    (pkg / "src" / "model.c").write_text("edited by hand")  # the package is mcunet's: written again
    restored = scons(project, *args)
    assert "Exporting" in restored.stdout and "Importing" not in restored.stdout and is_intact(pkg)

    kernel = "generic/mcunet_conv_s8_generic.c"  # the one kernel it calls: the package gets the edit
    assert _kernels(pkg) == [kernel]
    source = project / "firmware" / "kernels" / kernel
    source.write_text(source.read_text() + "\n/* edited */\n")
    edited = scons(project, *args)
    assert "Exporting" in edited.stdout and (pkg / "kernels" / kernel).read_text().endswith("/* edited */\n")

    faster = scons(project, *args, "opt=O3")  # the library's default optimisation follows opt=
    assert "Exporting" in faster.stdout and "Importing" not in faster.stdout
    assert json.loads((pkg / MANIFEST).read_text())["opt"] == "O3"
    assert "_MEASURED_FLAGS -O3 " in (pkg / "cmake" / "mcunet_conv4_sources.cmake").read_text()

    before = _kernels(pkg)
    random_model_file(tmp_path, "depthwise", 4).replace(model)  # another model in the same file
    changed = scons(project, *args)
    assert changed.returncode == 0, changed.stderr
    assert "Importing" in changed.stdout and "Exporting" in changed.stdout
    assert _kernels(pkg) != before and is_intact(pkg)
    assert not [k for k in before if k not in _kernels(pkg) and (pkg / "kernels" / k).exists()]


def test_a_failed_export_leaves_the_earlier_package_whole(project, tmp_path):
    model = random_model_file(tmp_path)
    pkg = tmp_path / "pkg"
    board = tmp_path / "small.yaml"
    board.write_text("extends: f412\nname: small\ndescription: an F412 with room for this model\n")
    assert scons(project, f"board={board}", f"model={model}", f"export={pkg}").returncode == 0
    manifest = (pkg / MANIFEST).read_bytes()
    board.write_text(board.read_text() + "arena_bytes: 64\n")  # the model no longer fits: the export fails
    failed = scons(project, f"board={board}", f"model={model}", f"export={pkg}")
    assert failed.returncode == 2 and any("overflowed by" in line for line in errors(failed)), failed.stderr
    assert (pkg / MANIFEST).read_bytes() == manifest and is_intact(pkg)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_bad_export_folder_is_one_line_before_anything_is_built(project, tmp_path):
    model = random_model_file(tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    for folder, problem in ((tmp_path / "notes.txt", "a file, not a folder"),
                            (tmp_path, f"a folder with other files in it and no {MANIFEST}"),
                            (tmp_path / "notes.txt" / "pkg", f"{tmp_path / 'notes.txt'} is a file, not a folder")):
        result = scons(project, "board=h743", f"model={model}", f"export={folder}")
        assert result.returncode == 2
        (line,) = errors(result)
        assert line.startswith(f"export={folder}: {problem}")
    assert (tmp_path / "notes.txt").read_text() == "mine" and not (project / "build" / "h743").exists()


def test_help_lists_export_and_a_task_exports_after_training(project):
    result = scons(project, "-h")
    assert result.returncode == 0 and "export: write the model as a C package to this folder" in result.stdout
    assert chain_for(None, load_task("vww"), "pkg") == ["nas", "train", "export"]
    assert chain_for(load_model("dscnn-kws"), None, "pkg") == ["train", "export"]
    assert chain_for(load_model("dscnn-kws"), None) == ["train", "engine", "firmware", "run", "report"]
