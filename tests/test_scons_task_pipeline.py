"""`scons board=B task=T` end to end on tiny settings: TinyNAS (stage 1, supernet, evolution),
training from the supernet's weights, int8 export, code generation, firmware, QEMU run, report."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import yaml

from mcunet_core.ir.reference import run
from mcunet_core.ir.serialize import load_graph
from mcunet_core.spec import load_board
from scons_project import copy_project, scons

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from main_job_table import readme_table, replace_block  # noqa: E402

TINY_SEARCH = """\
extends: mcunet
name: tiny
description: a seconds-long search for tests
space:
  family: mbv2
  width_multipliers: [0.2, 0.3]
  resolutions: [32, 48]
  kernel_sizes: [3, 5, 7]
  expand_ratios: [3, 4, 6]
  depths: [2, 3, 4]
  base: {stem: 32, first_block: 16, stages: [24, 40, 80, 96, 192, 320], strides: [2, 2, 2, 1, 2, 1], divisor: 8}
stage1: {samples_per_space: 10, quantile: 0.8, min_fit_ratio: 0.1}
constraints: {sram: auto, flash: 450000, latency_ms: 100}
evolution: {population: 4, generations: 1, mutation_prob: 0.2, parents_ratio: 0.5, mutation_ratio: 0.5, seed: 0}
supernet: {epochs: 1, batch_size: 32, sandwich: 2}
finetune: {epochs: 2, lr: 0.02}
"""

TINY_TASK = """\
extends: vww
name: vww-tiny
description: visual wake words on a few generated images, for tests
input: {kind: image, shape: [32, 32, 3], dtype: int8, color: rgb, resolutions: [32, 48]}
dataset:
  format: imagefolder
  source: embedded
  path_env: MCUNET_VWW_DIR
  splits: {train: train, val: val}
  embedded: {generator: synthetic-vww, samples: 64, seed: 0}
training: {epochs: 1, batch_size: 32}
pretrain: {task: vww-tiny-pre, epochs: 1}
"""

#: what the supernet learns first (the task's pretrain): other generated scenes
TINY_PRE = TINY_TASK.replace("name: vww-tiny", "name: vww-tiny-pre").replace("samples: 64, seed: 0", "samples: 40, seed: 1") \
    .replace("pretrain: {task: vww-tiny-pre, epochs: 1}\n", "")


#: what must come out byte for byte the same from the same specs (result.json: but its wall time)
REPRODUCED = ("nas/stage1.json", "nas/search.json", "nas/nas-vww-tiny-h743.yaml", "nas/subnet.pt",
              "train/metrics.json", "ir/graph.json", "ir/weights.npz", "gen/model.c", "gen/weights.c", "output.npy")


def _result_without_wall_time(path):
    doc = json.loads(path.read_text())
    doc.pop("wall_s")
    return doc


def test_task_pipeline_searches_trains_deploys_and_reports(project, tmp_path):
    (project / "specs" / "search" / "tiny.yaml").write_text(TINY_SEARCH)
    (project / "specs" / "tasks" / "vww-tiny.yaml").write_text(TINY_TASK)
    (project / "specs" / "tasks" / "vww-tiny-pre.yaml").write_text(TINY_PRE)
    args = ("board=h743", "task=vww-tiny", "search=tiny", "quant=int8-ptq")
    first = scons(project, *args)
    assert first.returncode == 0, first.stderr[-3000:]
    out = project / "build" / "h743" / "vww-tiny"

    stage1 = json.loads((out / "nas" / "stage1.json").read_text())
    search = json.loads((out / "nas" / "search.json").read_text())
    assert (stage1["chosen"]["width"], stage1["chosen"]["resolution"]) == (search["space"]["width"],
                                                                          search["space"]["resolution"])
    spec = yaml.safe_load((out / "nas" / "nas-vww-tiny-h743.yaml").read_text())
    assert spec["name"] == "nas-vww-tiny-h743" and spec["resolution"] == search["space"]["resolution"]
    metrics = json.loads((out / "train" / "metrics.json").read_text())
    # candidates are scored on a held-out part of the train split (the search spec's holdout),
    # never on the validation split; that one re-scores the winner against the initial median
    sn, versus = search["supernet"], search["versus_initial_median"]
    assert sn["fitness_split"] == "holdout 0.25 of train"
    # each candidate's BatchNorm statistics come from the search spec's bn_batches (mcunet: 4) of 64
    assert sn["bn_samples"] == min(4 * 64, sn["train_samples"])
    assert sn["train_samples"] + sn["fitness_samples"] == metrics["train_samples"]
    assert versus["fitness"]["samples"] == sn["fitness_samples"] and versus["fitness"]["winner"] == search["fitness"]
    assert versus["val"]["samples"] == metrics["val_samples"]
    assert all(v["paired_stderr"] >= 0 and v["difference"] == v["winner"] - v["median"] for v in versus.values())
    assert metrics["initialised_from"] == "subnet.pt" and 0.0 <= metrics["int8_accuracy"] <= 1.0
    # the task's pretrain: the supernet learns the other scenes first; the winner inherits that
    assert sn["pretrained"] == {"task": "vww-tiny-pre", "epochs": 1, "samples": 32} and metrics["pretrained"] is None
    assert (out / "nas" / "supernet-pretrain.pt").is_file()
    # the winner is fine-tuned as the search spec says (not as the task trains from scratch),
    # with the validation accuracy of every epoch
    assert spec["training"] == {"epochs": 2, "lr": 0.02} and metrics["epochs"] == 2
    assert [h["epoch"] for h in metrics["history"]] == [1, 2]
    assert all(0.0 <= h["val_accuracy"] <= 1.0 for h in metrics["history"])
    assert "train 2/2: loss" in first.stdout and "val accuracy" in first.stdout

    # the network the NAS measured is the one deployed, compiled for the budget it was measured
    # under (an explicit flash limit: int8 weights where int16 ones would break it)
    result = json.loads((out / "result.json").read_text())
    board = load_board("h743")
    assert search["limits"] == {"sram": board.arena_budget - board.app_sram_reserve, "flash": 450000,
                                "latency_ms": 100, "macs": 8000000}
    assert spec["budget"] == search["limits"]
    budget = json.loads((out / "gen" / "budget.json").read_text())
    assert budget == {**search["limits"], "source": "search tiny on h743, less the application reserve "
                                                    f"({board.app_sram_reserve:,} B SRAM, {board.app_flash_reserve:,} B flash)"}
    header = (out / "gen" / "weights.c").read_text().splitlines()[0]
    assert f" {search['measurement']['constants']} bytes of constants" in header
    assert json.loads((out / "gen" / "plan.json").read_text())["arena_bytes"] == search["measurement"]["arena"]
    assert result["status"] == "ok" and result["flash_bytes"] <= 450000
    assert result["peak_sram_bytes"] <= search["limits"]["sram"]
    graph = load_graph(out / "ir")
    with np.load(out / "gen" / "input.npz") as z:
        x = z[graph.inputs[0]]
    np.testing.assert_array_equal(np.load(out / "output.npy"), run(graph, [x])[graph.outputs[0]])
    report = (out / "report.md").read_text()
    assert "int8" in report and f"flash {result['flash_bytes']:,} B of 450,000 B" in report
    # README's main-job table renders from such a folder (bench/main_job.py --readme)
    table = readme_table([("h743", "vww-tiny", 75.0, out)], commit="abc1234", cores=2)
    assert "| | vww-tiny on h743 |" in table and "| wall time | 1 min 15 s |" in table
    assert f"{result['peak_sram_bytes']:,} B, {result['flash_bytes']:,} B" in table
    assert f"**{metrics['int8_accuracy']:.3f}** on {metrics['val_samples']:,} validation samples" in table
    assert f"{versus['val']['difference']:+.3f} +- {versus['val']['paired_stderr']:.3f} paired" in table
    block = replace_block("a\n<!-- main-job:begin -->\nold\n<!-- main-job:end -->\nb", "main-job", table)
    assert block == f"a\n<!-- main-job:begin -->\n{table}\n<!-- main-job:end -->\nb"

    again = scons(project, *args)
    assert again.returncode == 0 and "Searching" not in again.stdout and "Training" not in again.stdout

    # the same specs in another build folder: the same network, weights and figures
    (tmp_path / "second").mkdir()
    second = copy_project(tmp_path / "second")
    for sub, name in (("search", "tiny"), ("tasks", "vww-tiny"), ("tasks", "vww-tiny-pre")):
        shutil.copy2(project / "specs" / sub / f"{name}.yaml", second / "specs" / sub / f"{name}.yaml")
    assert scons(second, *args).returncode == 0
    other_out = second / "build" / "h743" / "vww-tiny"
    differ = [f for f in REPRODUCED if (out / f).read_bytes() != (other_out / f).read_bytes()]
    assert not differ
    assert _result_without_wall_time(out / "result.json") == _result_without_wall_time(other_out / "result.json")
    # other training data (the user's, through the task's path variable) is a new search
    (project / "vww-data").mkdir()
    other = scons(project, "-n", *args, env={**os.environ, "MCUNET_VWW_DIR": str(project / "vww-data")})
    assert other.returncode == 0 and "Searching" in other.stdout and "Training" in other.stdout
