"""MACs, parameter counts and activation sizes."""

from __future__ import annotations

from pathlib import Path

import pytest

from ir_samples import every_op_graph

from mcunet_core.importers import import_tflite
from mcunet_core.ir.stats import format_stats, graph_stats

MODELS_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "models"


def test_per_op_figures_on_the_sample_graph():
    g = every_op_graph()
    s = {r.opcode: r for r in graph_stats(g).ops}
    assert s["CONV_2D"].macs == 1 * 4 * 4 * 4 * 3 * 3 * 3
    assert s["CONV_2D"].params == 4 * 27 + 4 and s["CONV_2D"].param_bytes == 4 * 27 + 4 * 4
    assert s["CONV_2D"].input_bytes == 8 * 8 * 3 and s["CONV_2D"].output_bytes == 4 * 4 * 4
    assert s["DEPTHWISE_CONV_2D"].macs == 4 * 4 * 8 * 9
    assert s["FULLY_CONNECTED"].macs == 5 * 8
    assert s["AVERAGE_POOL_2D"].macs == 2 * 2 * 8 * 4
    assert s["MEAN"].macs == 6 * 8 * 8
    assert s["MUL"].macs == 2 * 2 * 8 and s["MUL"].params == 8
    assert s["ADD"].macs == s["MAX_POOL_2D"].macs == s["SOFTMAX"].macs == 0
    first = graph_stats(g).ops[0]
    assert first.opcode == "QUANTIZE" and first.input_bytes == 8 * 8 * 3 * 4  # float32 input
    totals = graph_stats(g)
    assert totals.total_macs == sum(r.macs for r in totals.ops)
    assert totals.input_bytes == 8 * 8 * 3 * 4
    assert "| **total** |" in format_stats(totals)


def test_shared_constants_are_counted_once():
    g = every_op_graph()
    before = graph_stats(g).total_params
    add = next(op for op in g.ops if op.OPCODE == "MUL")
    g.ops.append(type(add)(add.inputs, ("extra",)))
    from mcunet_core.ir import Tensor

    g.add_tensor(Tensor("extra", g.tensors[add.outputs[0]].shape, g.tensors[add.outputs[0]].dtype,
                        g.tensors[add.outputs[0]].quant))
    assert graph_stats(g).total_params == before


def test_vww_totals():
    path = MODELS_DIR / "vww_96_int8.tflite"
    if not path.exists():
        pytest.skip(f"missing {path}")
    s = graph_stats(import_tflite(path))
    assert s.total_macs == 7_491_968
    assert s.total_params == 210_850
    assert s.input_bytes == 96 * 96 * 3 and s.output_bytes == 2
    assert s.as_dict()["ops"][0]["macs"] == 48 * 48 * 8 * 27
