"""The reference interpreter on the MLPerf Tiny models: bit-exact against litert BUILTIN_REF goldens.

``*_layers_ref.npz`` holds every operator's output for two inputs, keyed
``in{k}_op{NN}_{OPNAME}_t{tensor}``; ``*_golden.npz`` holds ``output_ref`` for
every row of ``input``.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pytest

from mcunet_core.importers import import_tflite
from mcunet_core.ir.reference import run

MODELS_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "models"
MODELS = ["vww_96_int8", "kws_ref_model"]


def _paths(name):
    paths = [MODELS_DIR / f"{name}{suffix}" for suffix in (".tflite", "_layers_ref.npz", "_golden.npz")]
    missing = [p for p in paths if not p.exists()]
    if missing:
        pytest.skip(f"missing {missing[0]}")
    return paths


@pytest.fixture(scope="module", params=MODELS)
def model(request):
    tfl, layers, golden = _paths(request.param)
    return request.param, import_tflite(tfl), np.load(layers), np.load(golden)


def test_every_layer_output_is_bit_exact(model):
    name, graph, layers, _ = model
    ir_name = {idx: n for n, idx in graph.meta["tensor_index"].items()}
    origin = {op_idx: i for i, ops in enumerate(graph.meta["op_index"]) for op_idx in ops}
    checked = 0
    for k in (0, 1):
        values = run(graph, layers[f"in{k}_input"], keep_all=True)
        for key in layers.files:
            m = re.fullmatch(rf"in{k}_op(\d+)_(\w+)_t(\d+)", key)
            if not m:
                continue
            op_index, opname, tensor = int(m.group(1)), m.group(2), int(m.group(3))
            assert graph.ops[origin[op_index]].OPCODE == opname
            ref = layers[key]
            got = values[ir_name[tensor]]
            assert got.shape == ref.shape and got.dtype == ref.dtype, key
            assert np.array_equal(got, ref), f"{name}: {key} differs in {(got != ref).sum()} of {ref.size} values"
            scale, zp = layers[f"meta_op{op_index:02d}_t{tensor}_scale_zp"]
            q = graph.tensors[ir_name[tensor]].quant
            assert np.float32(scale) == q.scale[0] and int(zp) == q.zero_point[0]
            checked += 1
    assert checked == 2 * len(graph.ops)


def test_final_outputs_equal_output_ref_for_every_row(model):
    name, graph, _, golden = model
    inputs, expected = golden["input"], golden["output_ref"]
    assert float(golden["input_scale"]) == graph.tensors[graph.inputs[0]].quant.scale[0]
    for row in range(inputs.shape[0]):
        out = run(graph, inputs[row])[graph.outputs[0]]
        assert np.array_equal(out, expected[row].reshape(out.shape)), f"{name} row {row}: {out} != {expected[row]}"


def test_vww_runs_in_a_few_seconds():
    tfl, _, golden = _paths("vww_96_int8")
    graph = import_tflite(tfl)
    x = np.load(golden)["input"][0]
    start = time.perf_counter()
    run(graph, x)
    assert time.perf_counter() - start < 5.0
