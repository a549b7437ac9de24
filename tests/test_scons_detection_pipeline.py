"""`scons board=h743 task=<a detection task> search=<tiny>` end to end on tiny settings: TinyNAS
for the detector (stage 1 and the evolution measuring each backbone with the task's heads and
decode + NMS, the supernet with the heads, mAP@0.5 on held-out scenes as the fitness), the
winner fine-tuned 1 epoch on a few generated scenes, int8, generated C with its decode + NMS
after the network, QEMU, and the firmware's boxes against the host decode's on the validation
input; report.md with mAP, peak SRAM, flash and the two instruction counts apart (marked
slow: about 100 s). The same stages after the search, from a fixed detector model spec
(``model=``, about 60 s), run by default; tests/detect/test_detect_search.py checks the
search's pieces."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mcunet_core.detect import Decoder, DetectionSpec
from mcunet_core.engine import YoloPostprocess
from mcunet_core.ir.reference import run
from mcunet_core.ir.serialize import load_graph
from mcunet_core.spec import load_task
from scons_project import errors, scons

#: person-det on 40 generated scenes at 96x64; every anchor scoring 0.002 is a candidate, so
#: the firmware returns boxes (up to max_detections) even from a network trained 1 epoch
TINY_TASK = """\
extends: person-det
name: person-det-tiny
description: person detection on a few generated scenes at 96x64, for tests
input: {kind: image, shape: [64, 96, 3], dtype: int8, color: rgb, resolutions: [64]}
detection:
  head:
    kind: yolo
    strides: [8, 16, 32]
    anchors:
      - [[4, 5], [6, 12], [13, 9]]
      - [[12, 23], [24, 17], [23, 46]]
      - [[45, 35], [60, 76], [143, 125]]
  postprocess: {score_threshold: 0.002, iou_threshold: 0.45, max_detections: 12}
dataset:
  format: coco
  source: embedded
  path_env: MCUNET_COCO_DIR
  splits: {train: train2017, val: val2017}
  embedded: {generator: synthetic-person-det, samples: 40, seed: 0}
training: {epochs: 1, batch_size: 8, lr: 0.02}
"""

TINY_DETECTOR = """\
name: det-tiny
description: a small mbv2 backbone under the YOLO heads, for tests
task: person-det-tiny
resolution: 64
architecture:
  family: mbv2
  stem: {channels: 8, kernel: 3, stride: 2}
  first_block: {channels: 8, kernel: 3}
  stages:
    - {channels: 16, depth: 1, stride: 2, kernel: 3, expand: 3}
    - {channels: 24, depth: 1, stride: 2, kernel: 3, expand: 3}
    - {channels: 32, depth: 1, stride: 2, kernel: 3, expand: 3}
    - {channels: 48, depth: 1, stride: 2, kernel: 3, expand: 3}
  head: {channels: null, pool: avg, dropout: 0.0}
"""


TINY_SEARCH = """\
extends: mcunet
name: tiny-det
description: a seconds-long detector search for tests
space:
  family: mbv2
  width_multipliers: [0.2, 0.3]
  resolutions: [64]
  kernel_sizes: [3, 5]
  expand_ratios: [3, 4]
  depths: [1, 2]
  base: {stem: 32, first_block: 16, stages: [24, 40, 80, 96, 192, 320], strides: [2, 2, 2, 1, 2, 1], divisor: 8}
stage1: {samples_per_space: 10, quantile: 0.8, min_fit_ratio: 0.1}
constraints: {sram: auto, flash: 900000, latency_ms: 200}
evolution: {population: 4, generations: 1, mutation_prob: 0.2, parents_ratio: 0.5, mutation_ratio: 0.5, seed: 0,
            holdout: 0.25, bn_batches: 1}
supernet: {epochs: 1, batch_size: 16, sandwich: 2}
finetune: {epochs: 1, lr: 0.01}
"""


@pytest.mark.slow  # about 100 s on 2 busy cores; the model= test below runs the same stages after the search
def test_a_detection_task_searches_trains_deploys_and_returns_the_host_decodes_boxes(project):
    (project / "specs" / "tasks" / "person-det-tiny.yaml").write_text(TINY_TASK)
    (project / "specs" / "search" / "tiny-det.yaml").write_text(TINY_SEARCH)
    args = ("board=h743", "task=person-det-tiny", "search=tiny-det", "quant=int8-ptq")
    first = scons(project, *args)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    out = project / "build" / "h743" / "person-det-tiny"

    # the search's fitness is mAP@0.5 on the held-out scenes; every candidate was measured as a
    # detector (heads + decode + NMS) and the engine compiled the winner into what it measured
    search = json.loads((out / "nas" / "search.json").read_text())
    assert search["fitness_metric"] == "supernet-map50 (mAP@0.5)" and search["heads"]["strides"] == [8, 16, 32]
    assert 0 <= search["fitness"] <= 1 and search["fitness"] == search["versus_initial_median"]["fitness"]["winner"]
    assert search["fitness_stderr"] is None and search["versus_initial_median"]["val"]["samples"] == 8
    sn = search["supernet"]
    assert sn["fitness_split"] == "holdout 0.25 of train" and (sn["train_samples"], sn["fitness_samples"]) == (24, 8)
    assert {"smallest_map50", "largest_map50"} <= set(sn) and "chance" not in sn
    assert search["input_shape"] == [64, 96, 3] and search["space"]["resolution"] == 64
    plan = json.loads((out / "gen" / "plan.json").read_text())
    assert plan["arena_bytes"] == search["measurement"]["arena"]
    assert any(b["name"] == "postprocess:detections" for b in plan["buffers"])
    metrics = json.loads((out / "train" / "metrics.json").read_text())
    assert metrics["initialised_from"] == "subnet.pt" and metrics["train_samples"] == 32
    check_deployed(project, out, metrics)

    again = scons(project, *args)
    assert again.returncode == 0 and "Searching" not in again.stdout and "Running" not in again.stdout


def test_a_detector_spec_trains_deploys_and_returns_the_host_decodes_boxes(project):
    (project / "specs" / "tasks" / "person-det-tiny.yaml").write_text(TINY_TASK)
    (project / "specs" / "models" / "det-tiny.yaml").write_text(TINY_DETECTOR)
    args = ("board=h743", "model=det-tiny", "quant=int8-ptq", "patch=off")
    first = scons(project, *args)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    out = project / "build" / "h743" / "det-tiny"
    check_deployed(project, out, json.loads((out / "train" / "metrics.json").read_text()))
    again = scons(project, *args)
    assert again.returncode == 0 and "Training" not in again.stdout and "Running" not in again.stdout

    # export= packages the same detector with its decode + NMS (tests/package builds and runs one)
    pkg = project / "third_party" / "det"
    exported = scons(project, *args, f"export={pkg}")
    assert exported.returncode == 0 and "Training" not in exported.stdout, exported.stdout[-2000:] + exported.stderr
    assert "Exported det_tiny with its decode + NMS" in exported.stdout
    manifest = json.loads((pkg / "mcunet_package.json").read_text())
    assert {"src/postprocess.c", "kernels/detect/mcunet_yolo_decode_s8.c"} <= set(manifest["files"])
    assert "int32_t det_tiny_postprocess(void);" in (pkg / "README.md").read_text()


def check_deployed(project, out, metrics):
    """metrics.json's mAP, the run's post-processing, its boxes against the host's, the report."""

    assert metrics["metric"] == "coco_map" and metrics["val_samples"] == 8
    assert [h["epoch"] for h in metrics["history"]] == [1] and "val_map50" in metrics["history"][0]
    assert 0 <= metrics["int8_map50"] <= 1 and metrics["int8_boxes"] > 0  # scored at the task's 0.002

    # the firmware ran the decode + NMS after the network, counted apart
    result = json.loads((out / "result.json").read_text())
    assert result["status"] == "ok" and result["postprocess_instructions"] > 0
    assert result["instructions"] > 10 * result["postprocess_instructions"]
    plan = json.loads((out / "gen" / "plan.json").read_text())
    assert any(b["name"] == "postprocess:detections" for b in plan["buffers"])

    # the run's input is the first validation scene; the boxes the firmware returned are the
    # host decode's of the reference interpreter's heads, bit for bit, and not none
    graph = load_graph(out / "ir")
    with np.load(out / "gen" / "input.npz") as z:
        x = z[graph.inputs[0]]
    heads = run(graph, [x])
    quants = [(graph.tensors[o].quant.single_scale, graph.tensors[o].quant.single_zero_point) for o in graph.outputs]
    host = Decoder.from_spec(DetectionSpec.from_task(load_task(str(project / "specs/tasks/person-det-tiny.yaml"))),
                             64).from_graph([heads[o] for o in graph.outputs], quants)
    record = np.load(out / f"output_{len(graph.outputs)}.npy")
    device = YoloPostprocess.boxes(record)
    assert 0 < len(device) <= 12 and np.array_equal(device, host)
    for i, name in enumerate(graph.outputs):
        np.testing.assert_array_equal(np.load(out / ("output.npy" if i == 0 else f"output_{i}.npy")), heads[name])
    checked = json.loads((out / "detections.json").read_text())
    assert checked["boxes_equal"] and checked["heads_equal"] and checked["boxes"] == device.tolist()

    report = (out / "report.md").read_text()
    assert f"instructions per inference: {result['instructions']:,} (the network)" in report
    assert f"post-processing (decode + NMS, after the network): {result['postprocess_instructions']:,}" in report
    assert f"peak SRAM: {result['peak_sram_bytes']:,} B" in report and f"flash: {result['flash_bytes']:,} B" in report
    assert f"mAP@0.5 float {metrics['float_map50']:.3f}, int8 **{metrics['int8_map50']:.3f}**" in report
    assert f"{len(device)} from the firmware, equal to the host decode's ({len(host)}) bit for bit" in report

