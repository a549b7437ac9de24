"""Concurrent scons runs (issue 11 part 5): two of the same target take turns on the output
folder's lock; two boards at once keep their own signatures, so neither rebuilds afterwards."""

from __future__ import annotations

import json
import subprocess
import sys

from scons_project import random_model_file, scons



def _start(project, *args):
    return subprocess.Popen([sys.executable, "-m", "SCons", "-Q", *args], cwd=project, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_two_builds_of_one_target_take_turns(project, tmp_path):
    model = random_model_file(tmp_path)
    runs = [_start(project, "board=h743", f"model={model}") for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in runs]
    assert [p.returncode for p in runs] == [0, 0], outs
    assert sum("Running" in out for out, _ in outs) == 1  # the second found it built
    result = json.loads((project / "build" / "h743" / "conv4" / "result.json").read_text())
    assert result["status"] == "ok"
    again = scons(project, "board=h743", f"model={model}")
    assert again.returncode == 0 and "Running" not in again.stdout


def test_a_held_lock_is_named_while_the_second_build_waits(project, tmp_path):
    import fcntl

    model = random_model_file(tmp_path)
    folder = project / "build" / "h743" / "conv4"
    folder.mkdir(parents=True)
    with open(folder / ".lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.write("scons board=h743 model=conv4.tflite (process 4242)\n")
        fh.flush()
        waiting = _start(project, "board=h743", f"model={model}")
        line = waiting.stderr.readline()
        assert "waiting for scons board=h743 model=conv4.tflite (process 4242) to finish" in line
    out, err = waiting.communicate(timeout=300)
    assert waiting.returncode == 0, err


def test_two_boards_at_once_keep_their_signatures(project, tmp_path):
    model = random_model_file(tmp_path)
    runs = [_start(project, f"board={b}", f"model={model}") for b in ("h743", "f412")]
    outs = [p.communicate(timeout=300) for p in runs]
    assert [p.returncode for p in runs] == [0, 0], outs
    for board in ("h743", "f412"):
        again = scons(project, f"board={board}", f"model={model}")
        assert again.returncode == 0
        assert not any(w in again.stdout for w in ("Importing", "Compiling", "Running")), again.stdout
