"""An interrupted `scons` (Ctrl-C: SIGINT to its process group, mid-way through the supernet's
training) resumes from the last epoch's checkpoint on the next run, and the search comes out
byte for byte as an uninterrupted run's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from scons_project import copy_project, scons
from test_scons_task_pipeline import TINY_PRE, TINY_SEARCH, TINY_TASK

#: four supernet epochs of a few steps each: the interrupt lands in epoch 2 or 3
SEARCH = TINY_SEARCH.replace("supernet: {epochs: 1, batch_size: 32, sandwich: 2}",
                             "supernet: {epochs: 4, batch_size: 16, sandwich: 2}")
TASK = TINY_TASK.replace("samples: 64", "samples: 160")
ARGS = ("board=h743", "task=vww-tiny", "search=tiny", "quant=int8-ptq")
NAS = "build/h743/vww-tiny/nas"
COMPARED = ("supernet.pt", "search.json", "subnet.pt", "nas-vww-tiny-h743.yaml")


def _project(tmp_path, name):
    (tmp_path / name).mkdir()
    project = copy_project(tmp_path / name)
    (project / "specs" / "search" / "tiny.yaml").write_text(SEARCH)
    (project / "specs" / "tasks" / "vww-tiny.yaml").write_text(TASK)
    (project / "specs" / "tasks" / "vww-tiny-pre.yaml").write_text(TINY_PRE)
    return project


def _interrupt_after_first_checkpoint(project) -> subprocess.CompletedProcess:
    checkpoint = project / NAS / "supernet.pt"
    proc = subprocess.Popen([sys.executable, "-m", "SCons", "-Q", *ARGS, f"{NAS}/search.json"], cwd=project,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    deadline = time.monotonic() + 240
    while not checkpoint.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C on a terminal does
    out, _ = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, "")


@pytest.mark.slow
def test_an_interrupted_search_resumes_to_the_same_bytes(tmp_path):
    whole = _project(tmp_path, "whole")
    assert scons(whole, *ARGS, f"{NAS}/search.json").returncode == 0

    broken = _project(tmp_path, "broken")
    stopped = _interrupt_after_first_checkpoint(broken)
    assert stopped.returncode != 0, stopped.stdout[-2000:]
    assert not (broken / NAS / "search.json").exists()
    epochs_done = torch.load(broken / NAS / "supernet.pt", weights_only=True)["epoch"]
    assert 1 <= epochs_done < 4

    resumed = scons(broken, *ARGS, f"{NAS}/search.json")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"supernet: resuming after epoch {epochs_done}/4" in resumed.stdout
    assert f"supernet 1/4" not in resumed.stdout
    differ = [f for f in COMPARED if (whole / NAS / f).read_bytes() != (broken / NAS / f).read_bytes()]
    assert not differ
