"""MLPerf Tiny's DS-CNN trains, quantizes and deploys through the TinyNAS networks' path:
``run_training`` on a few hundred embedded KWS clips (float training, min/max calibration, a
QAT epoch) exports arch_to_graph's int8 graph, whose recorded accuracy is the reference
interpreter's and whose generated C computes exactly what the interpreter computes."""

import dataclasses
import json

import numpy as np
import torch

from conftest import embedded_task
from mcunet_core.arch import DsCnnArch, arch_to_graph
from mcunet_core.ir.reference import run
from mcunet_core.ir.serialize import load_graph
from mcunet_core.pipeline.train import arch_of_model, run_training
from mcunet_core.spec import load_model, load_quant
from mcunet_core.train import int8_accuracy
from mcunet_core.train.data import make_dataset
from mcunet_core.train.export import quantize_input


def test_run_training_trains_quantizes_and_exports_the_ds_cnn(tmp_path):
    """dscnn-kws after 4 epochs on 480 clips, calibrated on 64 and fine-tuned one QAT epoch
    (one test, so parallel workers do not train it twice: about 12 s)."""
    from engine_runs import run_host

    task = embedded_task("kws", 600)
    arch = arch_of_model(load_model("dscnn-kws"), task)
    assert isinstance(arch, DsCnnArch)
    quant = load_quant("int8")
    quant = dataclasses.replace(quant, calibration={**quant.calibration, "samples": 64},
                                qat={**quant.qat, "epochs": 1, "freeze_bn_epoch": 1, "freeze_observers_epoch": 1})
    outcome = run_training(arch, task, quant, tmp_path / "train", tmp_path / "ir", progress=False,
                           training={"epochs": 4, "batch_size": 32, "lr": 0.1})

    m = outcome.metrics
    assert json.loads((tmp_path / "train" / "metrics.json").read_text()) == m
    assert (m["model"], m["task"], m["quant"], m["epochs"]) == ("dscnn-kws", "kws", "int8", 4)
    assert (m["macs"], m["params"]) == (arch.macs(), arch.params())
    assert m["float_accuracy"] >= 0.5 and m["int8_accuracy"] >= m["float_accuracy"] - 0.1  # chance: 0.083
    assert (tmp_path / "train" / "model.pt").is_file()

    # the deployed graph is the one the engine measures with random weights
    graph = load_graph(outcome.graph_dir)
    measured = arch_to_graph(arch)
    assert graph.ops == measured.ops
    assert {n: t.shape for n, t in graph.tensors.items()} == {n: t.shape for n, t in measured.tensors.items()}
    # its recorded accuracy is the reference interpreter's on the saved graph
    val = make_dataset(task, "val")
    assert int8_accuracy(graph, val) == m["int8_accuracy"]
    # and the generated C computes exactly what the interpreter computes
    xq = quantize_input(graph, torch.stack([val[i][0] for i in range(2)]))
    for i in range(2):
        (got,) = run_host(graph, [xq[i:i + 1]], tmp_path / f"host{i}", sanitize=False)
        assert np.array_equal(got, run(graph, [xq[i:i + 1]])[graph.outputs[0]])
