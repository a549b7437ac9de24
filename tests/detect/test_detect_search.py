"""The search's pieces for a detection task: candidates measured as the detector they become
(heads + decode + NMS, ``nas.heads.DetectionConstraints``), the one-shot supernet with the
heads on the mbv2 space (``detect.supernet``: its subnets are the standalone detectors it
extracts) and the fitness, mAP@0.5 on held-out scenes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from mcunet_core import engine
from mcunet_core.detect import DetectionSpec
from mcunet_core.detect.data import make_detection_dataset
from mcunet_core.detect.supernet import DetectionFitness, DetectionSupernet
from mcunet_core.detect.train import Detection
from mcunet_core.engine.inputs import EXTERNAL, InputPlacement
from mcunet_core.ir.stats import graph_stats
from mcunet_core.nas.constraints import Constraints, Limits
from mcunet_core.nas.heads import DetectionConstraints, constraints_for, searched_input_shape
from mcunet_core.nas.space import SearchSpace
from mcunet_core.spec import load_board, load_search, load_task
from mcunet_core.train import TrainSettings, train_supernet

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def task():
    t = load_task("person-det")
    return dataclasses.replace(t, dataset=dataclasses.replace(t.dataset, embedded={**t.dataset.embedded, "samples": 40}))


@pytest.fixture(scope="module")
def space_and_constraints(task):
    board = load_board("h743")
    constraints = constraints_for(task, board, Limits(400_000, 1_500_000, None))
    assert isinstance(constraints, DetectionConstraints)
    assert isinstance(constraints_for(load_task("vww"), board, Limits(400_000, 1_500_000, None)), Constraints)
    shape = searched_input_shape(constraints, task, 64)
    assert shape == (64, 96, 3)  # the task's 5:4 at height 64, to the stride 32
    space = SearchSpace.from_specs(load_search("mcunet"), task, 0.3, 64, input_shape=shape)
    return space, constraints


def test_candidates_are_measured_as_the_detector_they_become(space_and_constraints):
    space, constraints = space_and_constraints
    arch = space.sample(np.random.default_rng(0))
    m = constraints.check(arch)
    assert m is not None
    graph = constraints.graph(arch)
    assert graph.outputs == ["det0.pred:out", "det1.pred:out", "det2.pred:out"]
    post = constraints.postprocess(graph)
    without = engine.lower(graph, constraints.target).footprint(constraints.firmware)
    with_post = engine.lower(graph, constraints.target, postprocess=post).footprint(constraints.firmware)
    assert (m.arena, m.constants, m.flash, m.peak_sram) == (with_post.arena, with_post.constants, with_post.flash,
                                                           with_post.peak_sram)
    # the post-processing's tables and kernels are in the flash measured, its buffers in the arena
    assert m.constants - without.constants == post.constant_bytes > 0 and m.flash > without.flash
    assert m.arena >= without.arena and m.macs == graph_stats(graph).total_macs
    assert constraints.to_json()["heads"]["strides"] == [8, 16, 32]
    tight = DetectionConstraints(constraints.target, constraints.clock_hz, Limits(m.peak_sram - 1, 1_500_000, None),
                                 constraints.firmware, constraints.bits, spec=constraints.spec)
    assert tight.verdict(arch) == (None, "sram")



def test_the_cheap_sram_check_knows_where_the_frame_lives(space_and_constraints, monkeypatch):
    """The lower bound that rejects a candidate before lowering is the detector graph's,
    with the input placement the target measures with (the base class's ``_bounds`` hook)."""
    space, constraints = space_and_constraints
    arch = space.sample(np.random.default_rng(1))
    target = dataclasses.replace(constraints.target, input_placement=InputPlacement(EXTERNAL))
    outside = DetectionConstraints(target, constraints.clock_hz, constraints.limits, constraints.firmware,
                                   constraints.bits, spec=constraints.spec)
    asked, bounds = [], engine.lower_bounds

    def spy(graph, placement=InputPlacement()):
        asked.append((graph.outputs, placement))
        return bounds(graph, placement)

    monkeypatch.setattr(engine, "lower_bounds", spy)
    assert outside.verdict(arch)[1] is None
    assert asked == [(constraints.graph(arch).outputs, target.input_placement)]


def test_the_supernet_trains_its_subnets_are_the_detectors_it_extracts_and_score_by_map(task, space_and_constraints):
    space, _ = space_and_constraints
    spec = DetectionSpec.from_task(task)
    data = make_detection_dataset(task, "train", height=64)
    plain = make_detection_dataset(task, "train", height=64, augment=False)
    supernet = DetectionSupernet(space, spec, seed=0)
    history = train_supernet(supernet, data, TrainSettings(epochs=2, batch_size=16, lr=0.02, sandwich=2),
                             progress=False, objective=Detection(spec, 64))
    assert len(history) == 2 and all(np.isfinite(h["loss"]) for h in history)
    arch = space.sample(np.random.default_rng(3))
    supernet.set_active(arch)
    x = torch.stack([plain[i][0] for i in range(3)])
    net = supernet.extract(arch).eval()
    supernet.eval()
    with torch.no_grad():
        for a, b in zip(supernet(x), net(x)):
            torch.testing.assert_close(a, b)  # weight sharing: the subnet is the standalone detector
    fitness = DetectionFitness(supernet, plain, plain, bn_batches=1, batch_size=8)
    value = fitness(arch)
    assert 0.0 <= value <= 1.0 and fitness(arch) == value and len(fitness.memo) == 1
    assert fitness.paired_stderr(arch, arch) == 0.0 and fitness.stderr is None
