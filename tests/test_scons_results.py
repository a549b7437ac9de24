"""Each run configuration keeps its own outputs, and a failed step never leaves a result that
claims success (issue 11 part 3): a bad input=, a board run without a probe and a model that
no longer fits the board, each after a good emulator run."""

from __future__ import annotations

import json

import numpy as np

from scons_project import errors, random_model_file, scons



def test_a_failed_run_of_one_configuration_leaves_the_others_and_going_back_builds_nothing(project, tmp_path):
    model = random_model_file(tmp_path)
    out = project / "build" / "h743" / "conv4"
    first = scons(project, "board=h743", f"model={model}")
    assert first.returncode == 0, first.stderr
    good = {n: (out / n).read_bytes() for n in ("result.json", "output.npy", "report.md")}

    wrong = tmp_path / "wrong.npy"
    np.save(wrong, np.zeros((3, 3), np.int8))
    bad = scons(project, "board=h743", f"model={model}", f"input={wrong}")
    assert bad.returncode == 2 and any("must have shape" in line for line in errors(bad)), bad.stderr
    (run_dir,) = out.glob("runs/qemu-O2-input-wrong-*")
    assert not (run_dir / "result.json").exists()  # none for this configuration, never a stale one

    board_run = scons(project, "board=h743", f"model={model}", "runner=pyocd", env={"PATH": "/usr/bin:/bin"})
    assert board_run.returncode == 2 and errors(board_run), board_run.stdout
    assert (out / "firmware-hardware-O2" / "fw.elf").is_file()  # its own firmware folder

    assert {n: (out / n).read_bytes() for n in good} == good  # the emulator run's outputs are untouched
    back = scons(project, "board=h743", f"model={model}")
    assert back.returncode == 0 and "Compiling" not in back.stdout and "Running" not in back.stdout, back.stdout


def test_a_build_that_fails_before_the_run_removes_the_result_it_made_stale(project, tmp_path):
    model = random_model_file(tmp_path)
    board = tmp_path / "small.yaml"
    board.write_text("extends: f412\nname: small\ndescription: an F412 with room for this model\n")
    ok = scons(project, f"board={board}", f"model={model}")
    assert ok.returncode == 0, ok.stderr
    out = project / "build" / "small" / "conv4"
    assert json.loads((out / "result.json").read_text())["status"] == "ok"

    board.write_text(board.read_text() + "arena_bytes: 64\n")  # the model no longer fits the board
    failed = scons(project, f"board={board}", f"model={model}")
    assert failed.returncode == 2 and any("overflowed by" in line for line in errors(failed)), failed.stderr
    assert not (out / "result.json").exists() and not (out / "output.npy").exists()
    assert not (out / "report.md").exists()
