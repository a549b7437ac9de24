"""Data-parallel training on CPU (gloo): with the same global batch and seed, 2 processes train
the weights 1 process trains, within float tolerance (BatchNorm over the global batch), each
rank loading only its half of every global batch, and the search's candidate scores, spread
over the ranks, come out the same."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

WORKER = Path(__file__).with_name("dist_worker.py")
ROOT = Path(__file__).resolve().parents[2]


def _run(out: Path, procs: int) -> dict:
    launcher = [] if procs == 1 else ["-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={procs}"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, *launcher, str(WORKER), str(out)], capture_output=True, text=True,
                          timeout=600, env=env)  # this checkout's mcunet_core, not an installed one
    assert done.returncode == 0, done.stderr[-3000:]
    return torch.load(out, weights_only=True)


@pytest.mark.slow
def test_two_processes_train_what_one_trains(tmp_path):
    one, two = _run(tmp_path / "one.pt", 1), _run(tmp_path / "two.pt", 2)
    for part in ("supernet", "net"):
        worst = max(float((one[part][k].double() - two[part][k].double()).abs().max())
                    for k in one[part] if one[part][k].is_floating_point())
        assert worst < 1e-4, (part, worst)
        assert all(torch.equal(one[part][k], two[part][k]) for k in one[part] if not one[part][k].is_floating_point())
    for a, b in ((one["history"], two["history"]), (one["net_history"], two["net_history"])):
        assert [h["epoch"] for h in a] == [h["epoch"] for h in b]
        assert all(abs(x["loss"] - y["loss"]) < 1e-5 for x, y in zip(a, b))
    assert one["fitness"] == two["fitness"]
    # sharded data: each rank drew every sample's augmentation but loaded only its half
    (alone,), halves = one["counts"], two["counts"]
    assert [c["draw"] for c in halves] == [alone["draw"]] * 2
    assert [c["load"] for c in halves] == [alone["load"] // 2] * 2 and alone["load"] == alone["draw"] > 0
