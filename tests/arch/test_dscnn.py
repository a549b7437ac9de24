"""The DS-CNN family: MLPerf Tiny's keyword-spotting network from its model spec, its graph
against the int8 MLPerf model itself, and the engine's kernels for it."""

import dataclasses

import pytest

from mcunet_core import engine
from mcunet_core.arch import DsCnnArch, arch_from_spec, arch_to_graph
from mcunet_core.importers import import_tflite
from mcunet_core.ir import Activation
from mcunet_core.ir import ops as O
from mcunet_core.ir.stats import graph_stats
from mcunet_core.pipeline.train import arch_of_model
from mcunet_core.spec import load_board, load_model, load_task


@pytest.fixture(scope="module")
def kws_dscnn() -> DsCnnArch:
    spec = load_model("dscnn-kws")
    return arch_of_model(spec, load_task(spec.task))


def _signature(graph) -> list[tuple]:
    """Each op's type, attributes (stride, padding, fused activation, pool window, ...) and the
    shapes and types of what it reads and writes: everything but names and values."""
    def described(names):
        return tuple((graph.tensors[n].shape, graph.tensors[n].dtype) for n in names)
    return [(type(op).__name__,
             {f.name: getattr(op, f.name) for f in dataclasses.fields(op) if f.name not in ("inputs", "outputs")},
             described(op.inputs), described(op.outputs))
            for op in graph.ops]


def test_the_shipped_spec_is_mlperf_tinys_ds_cnn(kws_dscnn):
    assert kws_dscnn == DsCnnArch(name="dscnn-kws", input_shape=(49, 10, 1), num_classes=12, stem_channels=64,
                                  stem_kernel=(10, 4), stem_stride=2, block_channels=(64, 64, 64, 64), block_kernel=3,
                                  dropout=0.4)
    assert kws_dscnn.family == "dscnn" and kws_dscnn.feature_hw() == (25, 5)


def test_spec_round_trip_of_square_kernels_and_per_block_channels():
    spec = {"family": "dscnn", "stem": {"channels": 8, "kernel": 5, "stride": 1},
            "blocks": {"channels": [16, 24, 8], "depth": 3, "kernel": 5}, "head": {"pool": "avg"}}
    arch = arch_from_spec(spec, (33, 12, 2), 5, "odd")
    assert arch.stem_kernel == (5, 5) and arch.block_channels == (16, 24, 8) and arch.dropout == 0.0
    assert arch.block_inputs() == [8, 16, 24]
    assert arch.to_spec()["blocks"]["channels"] == [16, 24, 8]
    assert arch_from_spec(arch.to_spec(), arch.input_shape, 5, "odd") == arch
    with pytest.raises(ValueError, match="depth 3"):
        arch_from_spec({**spec, "blocks": {**spec["blocks"], "channels": [16, 24]}}, (33, 12, 2), 5)

    graph = arch_to_graph(arch)
    stats = graph_stats(graph)
    assert arch.macs() == stats.total_macs - sum(s.macs for s in stats.ops if s.opcode == "AVERAGE_POOL_2D")
    assert arch.params() == stats.total_params
    layers = [op.inputs[1].split(":")[0] for op in graph.ops if isinstance(op, (O.Conv2D, O.DepthwiseConv2D))]
    assert layers == ["stem", "b0.dw", "b0.pw", "b1.dw", "b1.pw", "b2.dw", "b2.pw"]
    convs = [op for op in graph.ops if isinstance(op, (O.Conv2D, O.DepthwiseConv2D))]
    assert {op.activation for op in convs} == {Activation.RELU}
    assert graph.tensors["b2.pw:out"].shape == (1, 33, 12, 8)


def test_graph_is_the_mlperf_tiny_kws_model(kws_dscnn, shared_dir):
    """Op for op the imported MLPerf Tiny int8 model: the same op types in the same order, with
    the same strides, SAME paddings ((4, 5) rows and (1, 1) columns for the 10x4 stem), fused
    ReLUs, pool window (25x5), RESHAPE before the classifier and softmax, and the same shapes and
    types of every weight, bias and activation. What the import keeps of its own (tensor names,
    the trained values and their quantisation) is left out of the comparison; nothing else differs."""
    mlperf = import_tflite(shared_dir / "models" / "kws_ref_model.tflite")
    ours = arch_to_graph(kws_dscnn)
    assert _signature(ours) == _signature(mlperf)
    for graph in (ours, mlperf):
        assert [graph.tensors[n].shape for n in (*graph.inputs, *graph.outputs)] == [(1, 49, 10, 1), (1, 12)]
    assert kws_dscnn.params() == graph_stats(mlperf).total_params


def test_engine_lowers_it_with_the_specialised_convolution_kernels(kws_dscnn, shared_dir):
    """The fast im2col, depthwise and 1x1 kernels, as for the MLPerf model itself: no convolution
    falls back to a generic plain-C kernel, and the arena is the MLPerf model's."""
    target = engine.Target.from_board(load_board("f412"))
    lowered = engine.lower(arch_to_graph(kws_dscnn), target)
    convs = [k.name for op, k in zip(lowered.graph.ops, lowered.kernels)
             if isinstance(op, (O.Conv2D, O.DepthwiseConv2D, O.FullyConnected))]
    assert convs == ["Im2colConv2D"] + ["DepthwisePlanes", "PointwiseConv2D"] * 4 + ["SmladFullyConnected"]
    assert not set(convs) - set(engine.specialised_kernel_names())
    footprint = lowered.footprint()
    mlperf = engine.lower(import_tflite(shared_dir / "models" / "kws_ref_model.tflite"), target)
    assert [k.name for k in lowered.kernels] == [k.name for k in mlperf.kernels]
    assert footprint.arena == mlperf.footprint().arena
    assert footprint.peak_sram <= load_board("f412").arena_budget
