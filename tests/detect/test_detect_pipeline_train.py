"""The training stage on a detection task (``pipeline.train.run_training``, ``pipeline.tasks``):
the YOLO loss under the task's recipe, the quant spec's calibration and QAT, the int8 IR with
one output per level, and metrics.json with the task's metric (mAP@0.5 beside it) of the
float network and of the int8 reference interpreter's heads through the integer decode."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

from mcunet_core.detect.data import make_detection_dataset
from mcunet_core.ir.serialize import load_graph
from mcunet_core.pipeline.tasks import Detection, training_kind
from mcunet_core.pipeline.train import arch_of, run_training
from mcunet_core.spec import load_quant, load_task
from mcunet_core.train.export import dequantize, int8_outputs

torch.set_num_threads(1)

#: a small mbv2 backbone reaching stride 32 (the heads' last level)
TINY_BACKBONE = {"family": "mbv2", "stem": {"channels": 8, "kernel": 3, "stride": 2},
                 "first_block": {"channels": 8, "kernel": 3},
                 "stages": [{"channels": c, "depth": 1, "stride": 2, "kernel": 3, "expand": 3} for c in (16, 24, 32, 48)],
                 "head": {"channels": None, "pool": "avg", "dropout": 0.0}}


@pytest.fixture(scope="module")
def task():
    t = load_task("person-det")
    return dataclasses.replace(t, dataset=dataclasses.replace(t.dataset, embedded={**t.dataset.embedded, "samples": 40}))


def test_a_detector_trains_quantizes_and_is_scored_by_its_metric(task, tmp_path):
    kind = training_kind(task)
    assert isinstance(kind, Detection) and type(training_kind(load_task("vww"))).__name__ == "Classification"
    arch = arch_of(TINY_BACKBONE, 64, task, "tiny-det")  # 64 high: 96 wide (the task's 5:4, to 32)
    assert arch.input_shape == (64, 96, 3) and arch.taps() == [2, 3, 4]
    outcome = run_training(arch, task, load_quant("int8"), tmp_path / "train", tmp_path / "ir",
                           training={"epochs": 3, "batch_size": 8, "lr": 0.02}, progress=False)
    m = json.loads((tmp_path / "train" / "metrics.json").read_text())
    assert m == json.loads(json.dumps(outcome.metrics))
    assert m["metric"] == "coco_map" and m["scored_at"] == {"score_threshold": 0.25, "iou_threshold": 0.45,
                                                            "max_detections": 20}
    assert (m["train_samples"], m["val_samples"], m["epochs"]) == (32, 8, 3)
    assert [h["epoch"] for h in m["history"]] == [1, 2, 3]
    assert all(0 <= h["val_map50"] <= 1 and 0 <= h["val_map"] <= h["val_map50"] for h in m["history"])
    assert m["history"][-1]["loss"] < m["history"][0]["loss"]  # the YOLO loss under SGD, the task's recipe
    for what in ("float", "int8"):
        assert 0 <= m[f"{what}_map"] <= m[f"{what}_map50"] <= 1 and m[f"{what}_boxes"] >= 0
    assert "float_accuracy" not in m and "int8_accuracy" not in m

    graph = load_graph(tmp_path / "ir")
    assert graph.outputs == ["det0.pred:out", "det1.pred:out", "det2.pred:out"]
    assert [graph.tensors[o].shape for o in graph.outputs] == [(1, *s) for s in arch.level_shapes()]
    # the int8 heads are the trained float network's (before its short QAT) within a few output
    # steps: the prediction convolutions (a plain Conv2d with bias) export as calibrated
    net = kind.build_net(arch, seed=0)
    net.load_state_dict(torch.load(tmp_path / "train" / "model.pt", weights_only=True)["model"])
    val = make_detection_dataset(task, "val", height=64)
    x = torch.stack([val[i][0] for i in range(4)])
    ints = int8_outputs(graph, x)
    with torch.no_grad():
        floats = net.eval()(x)
    for name, f in zip(graph.outputs, floats):
        t = graph.tensors[name]
        got = dequantize(t, ints[name]).transpose(0, 3, 1, 2)
        scale = float(t.quant.single_scale)
        assert np.abs(got - f.numpy()).mean() < 3 * scale and np.abs(got - f.numpy()).max() < 40 * scale
