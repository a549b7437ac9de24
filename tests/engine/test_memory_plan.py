"""Graph-level planning: lifetimes, views, in-place rules, JSON and the per-layer plot."""

import json
import re

import numpy as np

from graph_factory import GraphBuilder
from mcunet_core.engine.compile import compile_graph
from mcunet_core.engine.kernels.base import InPlace, KernelPlan
from mcunet_core.engine.lowering import peak_memory, plan_memory
from mcunet_core.engine.planner.memory_plan import plan_from_kernel_plans
from mcunet_core.engine.planner.plot import plot_memory
from mcunet_core.engine.target import HOST


def _chain():
    b = GraphBuilder("chain", np.random.default_rng(1))
    x = b.input((1, 16, 16, 8))
    y = b.conv(x, 16, kernel=(1, 1))
    z = b.pool(y, filter=(16, 16), stride=(16, 16))
    r = b.reshape(z, (1, 16))
    out = b.fully_connected(r, 4)
    return b.finish(out)


def test_reshape_is_a_view_and_peak_is_what_the_nas_sees():
    g = _chain()
    plan = plan_memory(g, HOST)
    reshape_in, reshape_out = g.ops[1].outputs[0], g.ops[2].outputs[0]
    assert plan.tensor_offsets[reshape_in] == plan.tensor_offsets[reshape_out]
    # the bytes the generated C allocates are exactly what the NAS is told
    model_c = compile_graph(g, HOST).files["model.c"]
    allocated = sum(int(n) for n in re.findall(r"^int8_t mcunet_arena\w*\[(\d+)\]", model_c, re.M))
    assert allocated == peak_memory(g, HOST)
    # at least the 1x1 conv's output and (part of) its input coexist
    assert plan.arena_bytes >= 16 * 16 * 16
    assert plan.arena_bytes < plan.no_reuse_bytes


def test_in_place_rule_applies_only_when_the_input_dies():
    b = GraphBuilder("fork", np.random.default_rng(2))
    x = b.input((1, 8, 8, 4))
    y = b.conv(x, 4, kernel=(1, 1))
    z = b.conv(y, 4, kernel=(1, 1))
    w = b.conv(y, 4, kernel=(1, 1))  # y is still live after op 1
    g = b.finish(z, w)
    plans = [KernelPlan("f", (), 0, InPlace(0, 0)) for _ in g.ops]
    plan = plan_from_kernel_plans(g, plans)
    assert plan.tensor_offsets[z] != plan.tensor_offsets[y]  # y dies only at op 2
    assert plan.tensor_offsets[w] == plan.tensor_offsets[y]
    assert plan.tensor_offsets[y] == plan.tensor_offsets[x]


def test_plan_json_and_plot(tmp_path):
    g = _chain()
    plan = plan_memory(g, HOST)
    doc = json.loads(plan.to_json())
    assert doc["arena_bytes"] == plan.arena_bytes
    assert {b["name"] for b in doc["buffers"] if b["kind"] == "tensor"} == {t.name for t in g.activations()}
    for b in doc["buffers"]:
        assert 0 <= b["offset"] and b["offset"] + b["size"] <= plan.arena_bytes
    png = tmp_path / "plan.png"
    plot_memory(plan, [op.OPCODE for op in g.ops], png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
