"""int4 weights in training and export (quant specs int4, int4-mixed): the straight-through
fake quantizer puts weights on the 4-bit grid and passes gradients, QAT trains on that grid,
the export writes INT4 filters that round-trip through the IR and compile bit-exactly, and the
NAS's random graph counts 4-bit filters while its int8 graph stays what it was."""

import dataclasses

import numpy as np
import pytest
import torch
from conftest import tiny_space

from mcunet_core.arch import RandomWeights, WeightBits, arch_to_graph
from mcunet_core.engine import lower, lower_bounds
from mcunet_core.engine.target import Target
from mcunet_core.ir import DType
from mcunet_core.ir import ops as O
from mcunet_core.ir.reference import run
from mcunet_core.ir.serialize import load_graph, save_graph
from mcunet_core.nas.constraints import estimate_graph
from mcunet_core.spec import load_board, load_quant
from mcunet_core.train.export import export_graph, int8_accuracy, int8_filters, quantize_input, quantize_net
from mcunet_core.train.qat import FakeQuantized, fake_quant_weights
from mcunet_core.train.quantize import calibrate, calibration_batches, right_shifts_only, weight_scales


def _filters(graph):
    return {graph.tensors[op.inputs[1]].name.removesuffix(":w"): graph.tensors[op.inputs[1]] for op in graph.ops
            if isinstance(op, (O.Conv2D, O.DepthwiseConv2D, O.FullyConnected))}


def test_fake_quant_puts_weights_on_the_4_bit_grid_and_passes_gradients():
    w = torch.randn(6, 3, 3, 5, dtype=torch.float32, requires_grad=True)
    y = fake_quant_weights(w, 7)
    steps = (y / weight_scales(w, 7).reshape(-1, 1, 1, 1)).detach()
    assert torch.allclose(steps, steps.round(), atol=1e-4)  # integers
    steps = steps.round()
    assert torch.all(steps.abs().reshape(6, -1).amax(1) == 7)  # -7..7, each channel's max at 7
    assert len(torch.unique(steps)) <= 15
    (y * torch.arange(y.numel()).reshape(y.shape)).sum().backward()
    assert torch.equal(w.grad, torch.arange(w.numel(), dtype=torch.float32).reshape(w.shape))  # straight through


def test_weight_bits_from_the_quant_specs():
    assert WeightBits.from_quant(load_quant("int8")) == WeightBits() == WeightBits.from_quant(None)
    four = WeightBits.from_quant(load_quant("int4"))
    assert (four.of("stem"), four.of("b0.dw"), four.of("fc"), four.qmax("b0.dw")) == (4, 4, 4, 7)
    mixed = WeightBits.from_quant(load_quant("int4-mixed"))
    assert (mixed.of("stem"), mixed.of("b3.project"), mixed.of("fc")) == (8, 4, 8)
    assert mixed.dtype("stem") == "int8" and mixed.dtype("b3.project") == "int4"


@pytest.fixture(scope="module")
def ranges(trained_kws, kws_data):
    return calibrate(trained_kws, calibration_batches(kws_data[1], 64, 32))


def test_export_writes_int4_filters_that_round_trip_and_compile(trained_kws, kws_data, ranges, tmp_path):
    from engine_runs import run_host

    graph = export_graph(trained_kws, ranges, WeightBits(4))
    filters = _filters(graph)
    int4 = {n for n, t in filters.items() if t.dtype is DType.INT4}
    assert set(int8_filters(graph)) == set(filters) - int4 and len(int4) >= len(filters) // 2
    assert all(t.data.min() >= -7 and t.data.max() <= 7 for n, t in filters.items() if n in int4)
    int8 = export_graph(trained_kws, ranges)
    assert sum(t.nbytes for t in filters.values()) < 0.55 * sum(t.nbytes for t in _filters(int8).values())
    save_graph(graph, tmp_path / "ir")
    again = load_graph(tmp_path / "ir")
    assert all(again.tensors[t.name].dtype is t.dtype and np.array_equal(again.tensors[t.name].data, t.data)
               for t in filters.values())
    x = quantize_input(graph, torch.stack([kws_data[2][i][0] for i in range(2)]))
    # a lean flash budget: the 1x1 and im2col layers run the w4 kernels on their packed filters
    lean = dataclasses.replace(Target.from_board(load_board("h743")), flash_budget=lower_bounds(graph)[1] + 16384)
    assert any(c.plan.function.endswith("_w4") for c in lower(again, lean).calls)
    for i in range(2):
        (got,) = run_host(again, [x[i:i + 1]], tmp_path / str(i), target=lean)
        assert np.array_equal(got, run(graph, [x[i:i + 1]])[graph.outputs[0]])
    # 4-bit weights cost accuracy on this small net, but it still classifies
    val = kws_data[2]
    assert int8_accuracy(graph, val) > 0.5 * int8_accuracy(int8, val)


def test_mixed_keeps_the_first_and_last_layers_int8(trained_kws, ranges):
    graph = export_graph(trained_kws, ranges, WeightBits.from_quant(load_quant("int4-mixed")))
    filters = _filters(graph)
    assert filters["stem"].dtype is DType.INT8 and filters["fc"].dtype is DType.INT8
    assert filters["stem"].data.max() > 7 or filters["stem"].data.min() < -7  # the int8 grid


def test_an_int4_layer_needing_no_right_shift_keeps_int8_weights():
    live = np.array([True, True])
    assert right_shifts_only(0.02, np.array([0.01, 0.02], np.float32), 0.1, live)  # 0.002, 0.004
    assert not right_shifts_only(0.5, np.array([0.01, 1.2], np.float32), 1.0, live)  # 0.6: exponent 0
    assert right_shifts_only(0.5, np.array([0.01, 1.2], np.float32), 1.0, np.array([True, False]))  # dead channel


def test_qat_on_the_4_bit_grid_fine_tunes_and_exports_int4(trained_kws, kws_data):
    train, plain, _ = kws_data
    net = type(trained_kws)(trained_kws.arch)
    net.load_state_dict(trained_kws.state_dict())
    spec = load_quant("int4")
    qat = {**spec.qat, "epochs": 1, "freeze_bn_epoch": 1, "freeze_observers_epoch": 1}
    spec = type(spec)(spec.name, spec.description, spec.weights, spec.activations,
                      {**spec.calibration, "samples": 64}, qat, spec.source_file, spec.raw)
    seen = {}
    with FakeQuantized(net, calibrate(net, calibration_batches(plain, 64, 32)), WeightBits(4)):
        w = net.ir_layers()["fc"].weight  # the parametrized (fake-quantized) weight
        seen["fc"] = (w / weight_scales(w, 7)[:, None]).detach()
    assert torch.allclose(seen["fc"], seen["fc"].round(), atol=1e-4) and seen["fc"].round().abs().max() <= 7
    graph = quantize_net(net, plain, spec, qat_data=torch.utils.data.Subset(train, range(64)), progress=False)
    assert not torch.equal(net.stem.conv.weight, trained_kws.stem.conv.weight)  # fine-tuned
    assert set(net.state_dict()) == set(trained_kws.state_dict())  # no QAT leftovers
    assert any(t.dtype is DType.INT4 for t in _filters(graph).values())


def test_nas_graph_counts_4_bit_filters_and_leaves_int8_as_it_was():
    arch = tiny_space("vww").sample(np.random.default_rng(0))
    int8 = estimate_graph(arch)
    assert int8 == arch_to_graph(arch, RandomWeights(0))  # the int8 search measures what it did
    int4 = estimate_graph(arch, WeightBits(4))
    assert all(t.dtype is DType.INT4 for t in _filters(int4).values())
    assert lower_bounds(int4)[1] < 0.55 * lower_bounds(int8)[1]
    assert int4.ops == int8.ops and {n: t.shape for n, t in int4.tensors.items()} == \
        {n: t.shape for n, t in int8.tensors.items()}
