"""Architectures: spec round trip, analytic MACs/params against the IR's own statistics,
and the IR graph the engine compiles."""

import numpy as np
import pytest

from mcunet_core.arch import Arch, arch_from_spec, arch_to_graph
from mcunet_core.ir import ops as O
from mcunet_core.ir.reference import run
from mcunet_core.ir.stats import graph_stats
from mcunet_core.spec import list_specs, load_model, load_task


def _spec_archs():
    """Every architecture model spec of specs/models, whatever its family."""
    for name in list_specs("model"):
        spec = load_model(name)
        if spec.kind == "architecture":
            task = load_task(spec.task)
            h, w, c = task.input_shape
            shape = (spec.resolution, spec.resolution, c) if task.input_kind == "image" else (h, w, c)
            yield arch_from_spec(spec.architecture, shape, task.classes, name)


SPEC_ARCHS = list(_spec_archs())


@pytest.mark.parametrize("arch", SPEC_ARCHS, ids=lambda a: a.name)
def test_spec_round_trip_and_figures_match_the_ir(arch):
    again = arch_from_spec(arch.to_spec(), arch.input_shape, arch.num_classes, arch.name)
    assert again == arch
    graph = arch_to_graph(arch)
    stats = graph_stats(graph)
    assert arch.macs() == stats.total_macs - sum(s.macs for s in stats.ops if s.opcode == "AVERAGE_POOL_2D")
    params = sum(t.size for t in graph.tensors.values() if t.is_constant)
    assert arch.params() == params == stats.total_params
    pool = next(op for op in graph.ops if isinstance(op, O.AveragePool2D))
    assert graph.tensors[pool.inputs[0]].shape[3] == arch.last_channels


@pytest.mark.parametrize("arch", [a for a in SPEC_ARCHS if isinstance(a, Arch)], ids=lambda a: a.name)
def test_mbv2_feature_shapes_are_the_graphs(arch):
    graph = arch_to_graph(arch)
    pool = next(op for op in graph.ops if isinstance(op, O.AveragePool2D))
    h, w, c = arch.feature_shapes()[-1]
    assert graph.tensors[pool.inputs[0]].shape == (1, h, w, arch.last_channels)
    assert c == arch.blocks[-1].out_channels


def test_shipped_specs_cover_both_families():
    assert {a.family for a in SPEC_ARCHS} == {"mbv2", "dscnn"}


def test_residuals_and_strides_become_adds_and_strided_depthwise():
    arch = Arch.from_spec({
        "family": "mbv2", "stem": {"channels": 8, "kernel": 3, "stride": 2},
        "first_block": {"channels": 8, "kernel": 3},
        "stages": [{"channels": 16, "depth": 2, "stride": 2, "kernel": [5, 7], "expand": [3, 6]}],
        "head": {"channels": 32, "pool": "avg", "dropout": 0.0},
    }, (20, 20, 3), 4, "tiny")
    graph = arch_to_graph(arch)
    kinds = [type(op).__name__ for op in graph.ops]
    assert kinds.count("Add") == 2  # the first block (8 -> 8, stride 1) and the stage's second block
    dws = [op for op in graph.ops if isinstance(op, O.DepthwiseConv2D)]
    assert [op.stride for op in dws] == [(1, 1), (2, 2), (1, 1)]
    assert [graph.tensors[op.inputs[1]].shape[1] for op in dws] == [3, 5, 7]
    out = run(graph, [np.zeros((1, 20, 20, 3), np.int8)])[graph.outputs[0]]
    assert out.shape == (1, 4)
