"""A task's ``pretrain:``: every network trained from scratch learns another task's training
split first (the supernet and a model spec's network), a supernet-initialised one does not,
and a pretraining that cannot fit the task is a one-line spec error."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch

from conftest import tiny_space
from mcunet_core.errors import UserError
from mcunet_core.pipeline.pretrain import Pretraining
from mcunet_core.pipeline.train import run_training
from mcunet_core.spec import load_quant, load_task

BASE = """\
extends: vww
name: {name}
description: a few generated scenes
input: {{kind: image, shape: [32, 32, 3], dtype: int8, color: rgb, resolutions: [32]}}
dataset:
  format: imagefolder
  source: embedded
  path_env: MCUNET_VWW_DIR
  splits: {{train: train, val: val}}
  embedded: {{generator: synthetic-vww, samples: {samples}, seed: {seed}}}
training: {{epochs: 1, batch_size: 32}}
"""


def _tasks(tmp_path, pretrain: str) -> object:
    (tmp_path / "vww-pre.yaml").write_text(BASE.format(name="vww-pre", samples=96, seed=1))
    (tmp_path / "vww-small.yaml").write_text(BASE.format(name="vww-small", samples=64, seed=0) + pretrain)
    return load_task(tmp_path / "vww-small.yaml")


def _quant():
    quant = load_quant("int8")
    return dataclasses.replace(quant, calibration={**quant.calibration, "samples": 16}, qat={**quant.qat, "epochs": 0})


def test_a_network_from_scratch_pretrains_first_and_one_from_its_supernet_does_not(tmp_path):
    task = _tasks(tmp_path, f"pretrain: {{task: {tmp_path / 'vww-pre.yaml'}, epochs: 2}}\n")
    pretraining = Pretraining.of(task)
    assert (pretraining.task.name, pretraining.epochs) == ("vww-pre", 2)
    assert "vww-pre" in pretraining.identity() and "synthetic-vww samples=96 seed=1" in pretraining.identity()
    arch = tiny_space("vww").smallest()
    out = run_training(arch, task, _quant(), tmp_path / "a", tmp_path / "a-ir", progress=False)
    pre_samples = len(pretraining.data(32))
    assert out.metrics["pretrained"] == {"task": "vww-pre", "epochs": 2, "samples": pre_samples}
    state = torch.load(tmp_path / "a" / "pretrain.pt", weights_only=False)
    assert len(state["history"]) == 2  # two epochs on the pretraining data, then the task's own
    assert json.loads((tmp_path / "a" / "metrics.json").read_text())["epochs"] == 1

    torch.save(torch.load(tmp_path / "a" / "model.pt", weights_only=False)["model"], tmp_path / "init.pt")
    again = run_training(arch, task, _quant(), tmp_path / "b", tmp_path / "b-ir", progress=False,
                         init_state=tmp_path / "init.pt")
    assert again.metrics["pretrained"] is None and not (tmp_path / "b" / "pretrain.pt").exists()


def test_a_task_without_pretraining_has_none(tmp_path):
    assert Pretraining.of(_tasks(tmp_path, "")) is None


def test_a_pretraining_of_other_classes_is_a_one_line_error(tmp_path):
    task = _tasks(tmp_path, "pretrain: {task: kws, epochs: 1}\n")
    with pytest.raises(UserError, match=r"pretrain.task kws has 12 classes of mfcc input.*vww-small has 2"):
        Pretraining.of(task)


def test_a_bad_pretrain_field_names_file_line_and_field(tmp_path):
    with pytest.raises(UserError) as err:
        _tasks(tmp_path, "pretrain: {task: vww, epochs: 0}\n")
    text = str(err.value)
    assert "vww-small.yaml:12" in text and "pretrain.epochs" in text
