"""Export: the trained network becomes arch_to_graph's int8 graph with its own weights,
the int8 graph agrees with the float network, compiles through the engine, and the
generated C computes exactly what the reference interpreter computes."""

import numpy as np
import pytest
import torch

from mcunet_core.arch import arch_to_graph
from mcunet_core.engine.compile import compile_graph
from mcunet_core.engine.lowering import lower, peak_memory
from mcunet_core.engine.target import Target
from mcunet_core.ir import ops as O
from mcunet_core.ir.reference import run
from mcunet_core.ir.serialize import load_graph, save_graph
from mcunet_core.spec import load_board, load_quant
from mcunet_core.train.export import dequantize, export_graph, int8_outputs, quantize_input, quantize_net, with_batch
from mcunet_core.train.qat import FakeQuantized
from mcunet_core.train.quantize import calibrate, calibration_batches, folded


@pytest.fixture(scope="module")
def exported(trained_kws, kws_data):
    _, plain, _ = kws_data
    batches = calibration_batches(plain, 64, 32)
    ranges = calibrate(trained_kws, batches)
    return export_graph(trained_kws, ranges), ranges, torch.cat(batches)


def test_graph_holds_the_folded_weights_in_ir_layout(trained_kws, exported):
    graph, _, _ = exported
    layers = trained_kws.ir_layers()
    for op in graph.ops:
        if not isinstance(op, (O.Conv2D, O.DepthwiseConv2D)):
            continue
        wt = graph.tensors[op.inputs[1]]
        name = wt.name.split(":")[0]
        w, _ = folded(layers[name])
        w = w.permute(1, 2, 3, 0) if isinstance(op, O.DepthwiseConv2D) else w.permute(0, 2, 3, 1)
        axis = wt.quant.axis
        scales = wt.quant.scale.reshape([-1 if i == axis else 1 for i in range(4)])
        assert np.abs(wt.data * scales - w.numpy()).max() <= scales.max() / 2 + 1e-6, name


def test_deployed_graph_is_the_graph_the_search_measured(trained_kws, exported):
    """Same ops, shapes and attributes as arch_to_graph with random weights, hence the same
    peak SRAM in the engine. Constant flash depends a little on the values (requantization
    records, the softmax exp table), so the search's figure is close, not exact."""
    graph, _, _ = exported
    measured = arch_to_graph(trained_kws.arch)
    assert graph.ops == measured.ops
    assert {n: t.shape for n, t in graph.tensors.items()} == {n: t.shape for n, t in measured.tensors.items()}
    target = Target.from_board(load_board("h743"))
    assert peak_memory(graph, target) == peak_memory(measured, target)
    flash = [sum(c.data.nbytes for call in lower(g, target).calls for c in call.constants) for g in (graph, measured)]
    assert abs(flash[0] - flash[1]) <= 0.03 * flash[1]


def test_int8_graph_agrees_with_the_float_network(trained_kws, exported):
    graph, _, x = exported
    with torch.no_grad():
        logits = trained_kws(x).numpy()
    out = int8_outputs(graph, x, keep_all=True)
    q = dequantize(graph.tensors["fc:out"], out["fc:out"])
    assert (q.argmax(1) == logits.argmax(1)).mean() >= 0.9
    assert np.abs(q - logits).mean() < 0.1 * logits.std()
    probs = out[graph.outputs[0]].astype(np.int64) + 128  # softmax int8 -> [0, 255] / 256
    assert np.all(np.abs(probs.sum(axis=1) - 256) <= graph.tensors["fc:out"].shape[1])


def test_batched_run_equals_one_sample_at_a_time(exported):
    graph, _, x = exported
    xq = quantize_input(graph, x[:5])
    batched = run(with_batch(graph, 5), [xq])[graph.outputs[0]]
    single = np.concatenate([run(graph, [xq[i:i + 1]])[graph.outputs[0]] for i in range(5)])
    assert np.array_equal(batched, single)


def test_fake_quantized_network_follows_the_int8_graph(trained_kws, exported):
    """With BN and observers frozen, QAT's forward pass is the int8 graph up to rounding:
    the first layer agrees to one step everywhere and exactly almost everywhere."""
    graph, ranges, x = exported
    seen = {}
    stem = trained_kws.ir_layers()["stem"]
    with FakeQuantized(trained_kws, ranges), torch.no_grad():  # its hooks run before this one
        hook = stem.register_forward_hook(lambda m, a, out: seen.__setitem__("stem", out.detach()))
        fq_logits = trained_kws(x).numpy()
        hook.remove()
    assert not any(hasattr(m, "parametrizations") for m in trained_kws.modules())  # removed again
    out = int8_outputs(graph, x, keep_all=True)
    t = graph.tensors["stem:out"]
    steps = np.abs(dequantize(t, out["stem:out"]) - seen["stem"].permute(0, 2, 3, 1).numpy()) / t.quant.scale[0]
    assert steps.max() <= 1.0 + 1e-4 and (steps < 1e-3).mean() > 0.99
    # the logits: the int8 class is the float one, or one within two output steps of it (a tie
    # that the rounding differences accumulated over the layers may break either way)
    fc = graph.tensors["fc:out"]
    q = dequantize(fc, out["fc:out"])
    picked = fq_logits[np.arange(len(q)), q.argmax(1)]
    assert np.all(fq_logits.max(1) - picked <= 2 * fc.quant.scale[0] * (1 + 1e-4))
    assert (q.argmax(1) == fq_logits.argmax(1)).mean() >= 0.9


def test_save_load_round_trip_and_deterministic_bytes(exported, tmp_path):
    graph, _, x = exported
    json_a, npz_a = save_graph(graph, tmp_path / "a")
    json_b, npz_b = save_graph(graph, tmp_path / "b")
    assert json_a.read_bytes() == json_b.read_bytes() and npz_a.read_bytes() == npz_b.read_bytes()
    again = load_graph(tmp_path / "a")
    xq = quantize_input(graph, x[:1])
    assert np.array_equal(run(again, [xq])[again.outputs[0]], run(graph, [xq])[graph.outputs[0]])


def test_compiles_for_the_board_and_generated_c_is_bit_exact(exported, tmp_path):
    from engine_runs import run_host

    graph, _, x = exported
    compile_graph(graph, Target.from_board(load_board("h743")))
    xq = quantize_input(graph, x[:3])
    for i in range(3):
        (got,) = run_host(graph, [xq[i:i + 1]], tmp_path / str(i), sanitize=False)
        assert np.array_equal(got, run(graph, [xq[i:i + 1]])[graph.outputs[0]])


@pytest.mark.slow
def test_runs_bit_exact_on_the_emulated_board(exported, tmp_path):
    from engine_runs import run_qemu

    graph, _, x = exported
    xq = quantize_input(graph, x[:1])
    (got,), _ = run_qemu(graph, [xq], "h743", tmp_path)
    assert np.array_equal(got, run(graph, [xq])[graph.outputs[0]])


def test_quantize_net_with_qat_fine_tunes_and_exports(trained_kws, kws_data):
    train, plain, _ = kws_data
    net = type(trained_kws)(trained_kws.arch)
    net.load_state_dict(trained_kws.state_dict())
    spec = load_quant("int8")
    qat = {**spec.qat, "epochs": 2, "freeze_bn_epoch": 1, "freeze_observers_epoch": 1}
    spec = type(spec)(spec.name, spec.description, spec.weights, spec.activations,
                      {**spec.calibration, "samples": 64}, qat, spec.source_file, spec.raw)
    bn = net.stem.bn
    graph = quantize_net(net, plain, spec, qat_data=torch.utils.data.Subset(train, range(64)), progress=False)
    assert not torch.equal(net.stem.conv.weight, trained_kws.stem.conv.weight)  # fine-tuned
    assert set(net.state_dict()) == set(trained_kws.state_dict())  # no QAT leftovers
    assert not bn.training
    assert graph.tensors["stem:w"].data.dtype == np.int8
