"""Every CONV_2D / FULLY_CONNECTED layer of MLPerf VWW and KWS, alone, on the fast kernels:
bit-exact with the reference interpreter with the models' own weights and quantization."""

from __future__ import annotations

import pytest

from mcunet_core.ir import Graph
from mcunet_core.ir.ops import Conv2D, FullyConnected
from test_pointwise import chosen, host_exact, qemu_available, qemu_exact

MODELS = ("vww_96_int8", "kws_ref_model")
_GRAPHS: dict[str, Graph] = {}


def _graph(shared_dir, model: str) -> Graph:
    if model not in _GRAPHS:
        from mcunet_core.importers.tflite import import_tflite

        _GRAPHS[model] = import_tflite(shared_dir / "models" / f"{model}.tflite")
    return _GRAPHS[model]


def distinct_layers(g: Graph) -> list[int]:
    """Conv/FC layers with distinct shapes (the repeated 6x6x128 layers of VWW once)."""
    seen, keep = set(), []
    for i, op in enumerate(g.ops):
        if isinstance(op, (Conv2D, FullyConnected)):
            key = tuple(g.tensors[n].shape for n in op.inputs[:2])
            if key not in seen:
                seen.add(key)
                keep.append(i)
    return keep


def test_every_conv_and_fc_layer_of_both_models_takes_a_fast_kernel(shared_dir):
    for model in MODELS:
        g = _graph(shared_dir, model)
        for i, op in enumerate(g.ops):
            if isinstance(op, (Conv2D, FullyConnected)):
                assert chosen(g.op_graph(i))[0] in {"PointwiseConv2D", "Im2colConv2D", "SmladFullyConnected"}


@pytest.mark.parametrize("model", MODELS)
def test_model_layers_match_the_reference_on_the_m7(model, shared_dir, tmp_path):
    qemu_available()
    g = _graph(shared_dir, model)
    for i in distinct_layers(g):
        qemu_exact(g.op_graph(i), "h743", tmp_path / f"op{i}", seed=i)


@pytest.mark.parametrize("model", MODELS)
def test_first_layers_match_the_reference_on_the_m4_and_on_host(model, shared_dir, tmp_path):
    qemu_available()
    g = _graph(shared_dir, model)
    for i in distinct_layers(g)[:2]:
        qemu_exact(g.op_graph(i), "f412", tmp_path / f"m4_op{i}", seed=i)
        host_exact(g.op_graph(i), tmp_path / f"host_op{i}", seed=i)
