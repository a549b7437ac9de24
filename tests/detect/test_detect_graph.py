"""The detector as int8 IR: the backbone's layers and the heads, one output per level; the
reference interpreter runs it, its outputs decode on the host, the engine plans it."""

from __future__ import annotations

import numpy as np

from mcunet_core.arch import arch_from_spec
from mcunet_core.arch.detection import DetectionArch
from mcunet_core.arch.detection_ir import detection_to_graph
from mcunet_core.detect import Decoder, DetectionSpec
from mcunet_core.engine import Target, lower
from mcunet_core.ir.reference import run
from mcunet_core.spec import load_board, load_model, load_task


def test_person_detector_graph_runs_decodes_and_plans():
    spec = DetectionSpec.from_task(load_task("person-det"))
    model = load_model("mcunet-vww-80")
    backbone = arch_from_spec(model.architecture, (128, 160, 3), 1, "vww-backbone")
    arch = DetectionArch.for_task(backbone, spec)
    graph = detection_to_graph(arch)
    assert graph.outputs == ["det0.pred:out", "det1.pred:out", "det2.pred:out"]
    shapes = [graph.tensors[o].shape for o in graph.outputs]
    assert shapes == [(1, *s) for s in arch.level_shapes()] == [(1, 16, 20, 18), (1, 8, 10, 18), (1, 4, 5, 18)]
    assert not any(n.startswith(("fc", "softmax", "pool")) for n in graph.tensors)  # no classifier
    x = np.random.default_rng(0).integers(-128, 128, (1, 128, 160, 3)).astype(np.int8)
    outs = run(graph, x)
    quants = [(graph.tensors[o].quant.single_scale, graph.tensors[o].quant.single_zero_point) for o in graph.outputs]
    dec = Decoder.from_spec(spec)
    detections = dec.from_graph([outs[o] for o in graph.outputs], quants)
    assert detections.shape[1] == 6 and len(detections) <= spec.postprocess["max_detections"]
    footprint = lower(graph, Target.from_board(load_board("h743"))).footprint()
    assert 0 < footprint.arena < 512 * 1024  # the paper's budget, random weights: shapes decide
