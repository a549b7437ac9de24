"""The NAS's instructions for a detector count its decode + NMS (``yolo_decode`` and ``nms``
in kernel_costs.json, fitted by bench/detect_postprocess_fit.py on other detectors): against
QEMU's network + post-processing counts of a small detector, where the run reaches the worst
case the NAS predicts (every anchor a candidate, one box: no overlap tests), and as an upper
bound at person-det's own thresholds."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from mcunet_core import engine
from mcunet_core.arch import Arch, Stage
from mcunet_core.detect import DetectionSpec
from mcunet_core.device.runners.qemu import QemuRunner
from mcunet_core.engine import PostprocessCounts
from mcunet_core.nas.constraints import Limits
from mcunet_core.nas.heads import DetectionConstraints
from mcunet_core.pipeline.model_firmware import build_model_firmware
from mcunet_core.spec import load_board, load_task

TOLERANCE = 0.15  # the cost model's (tests/nas/test_latency.py)

#: person-det's heads on a small backbone at 128x96 (756 anchors), seeds apart from the fit's
BACKBONE = Arch("det-latency", (96, 128, 3), 1, 8, 3, 2, 16, 3,
                tuple(Stage(c, 2, (3,), (4,)) for c in (16, 24, 32, 48)))


def measured(constraints, tmp_path, seed=7):
    """QEMU's (network, post-processing) instructions of the detector the NAS measures."""
    board = load_board("h743")
    graph = constraints.graph(BACKBONE)
    built = build_model_firmware(graph, board, tmp_path, "O2", postprocess=constraints.postprocess(graph),
                                 target=constraints.target)
    x = np.random.default_rng(seed).integers(-128, 128, graph.tensors[graph.inputs[0]].shape).astype(np.int8)
    run = QemuRunner(board).run(built.firmware.elf, x.tobytes()).raise_for_status()
    return int(run.count), int(run.postprocess_count)


def constraints_for(post: dict) -> DetectionConstraints:
    board = load_board("h743")
    spec = DetectionSpec.from_task(load_task("person-det"))
    spec = dataclasses.replace(spec, postprocess={**spec.postprocess, **post})
    return DetectionConstraints.for_task(board, Limits(board.arena_budget, board.flash_budget, None), spec)


@pytest.fixture(scope="module")
def worst(tmp_path_factory):
    """Score threshold 0 and one box: the run does what the worst case counts."""
    c = constraints_for({"score_threshold": 0.0, "max_detections": 1})
    return c, measured(c, tmp_path_factory.mktemp("worst"))


def test_the_nas_counts_the_postprocessing_within_the_cost_models_tolerance(worst):
    constraints, (network, post) = worst
    graph = constraints.graph(BACKBONE)
    lowered = engine.lower(graph, constraints.target, postprocess=constraints.postprocess(graph))
    predicted_post = lowered.postprocess_instructions()
    assert post > 0 and abs(predicted_post / post - 1) <= TOLERANCE
    m = constraints.measure(BACKBONE)
    assert m.instructions == lowered.instructions() + predicted_post
    assert abs(m.instructions / (network + post) - 1) <= TOLERANCE
    # the worst case is this run's: every anchor passed into a full buffer, NMS tested nothing
    counts = PostprocessCounts.worst_case(lowered.postprocess)
    assert (counts.passing, counts.candidates, counts.comparisons, counts.kept) == (756, 256, 0, 1)


def test_at_the_tasks_thresholds_the_prediction_bounds_the_run(tmp_path):
    constraints = constraints_for({})
    network, post = measured(constraints, tmp_path)
    graph = constraints.graph(BACKBONE)
    lowered = engine.lower(graph, constraints.target, postprocess=constraints.postprocess(graph))
    assert lowered.postprocess_instructions() >= post > 0
    assert constraints.measure(BACKBONE).instructions >= (network + post) * (1 - TOLERANCE)
