"""`scons board=h743 task=T` with a search spec whose candidates keep their input outside the
arena (``constraints.input_placement: external``, with ``patch: auto``): the search records it,
the engine stage compiles the winner with it (plan.json lists the input as external), and the
firmware reads its input in place on QEMU, bit-exact with the reference interpreter."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from mcunet_core.ir.reference import run
from mcunet_core.ir.serialize import load_graph
from scons_project import scons
from test_scons_task_pipeline import TINY_PRE, TINY_SEARCH, TINY_TASK

EXTERNAL_SEARCH = TINY_SEARCH.replace("name: tiny\n", "name: tiny-ext\n").replace(
    "constraints: {sram: auto, flash: 450000, latency_ms: 100}",
    "constraints: {sram: auto, flash: 450000, latency_ms: 100, patch: auto, input_placement: external}")


@pytest.mark.slow
def test_a_search_with_its_input_outside_is_compiled_so(project):
    assert "input_placement: external" in EXTERNAL_SEARCH
    (project / "specs" / "search" / "tiny-ext.yaml").write_text(EXTERNAL_SEARCH)
    (project / "specs" / "tasks" / "vww-tiny.yaml").write_text(TINY_TASK)
    (project / "specs" / "tasks" / "vww-tiny-pre.yaml").write_text(TINY_PRE)
    built = scons(project, "board=h743", "task=vww-tiny", "search=tiny-ext", "quant=int8-ptq")
    assert built.returncode == 0, built.stderr[-3000:]
    out = project / "build" / "h743" / "vww-tiny"
    search = json.loads((out / "nas" / "search.json").read_text())
    spec = yaml.safe_load((out / "nas" / "nas-vww-tiny-h743.yaml").read_text())
    assert search["input_placement"] == spec["input_placement"] == "external"
    graph = load_graph(out / "ir")
    plan = json.loads((out / "gen" / "plan.json").read_text())
    n = graph.tensors[graph.inputs[0]].nbytes
    # the frame, and any row patch's input block as a view of it in place
    frame = [e for e in plan["external"] if e["name"] == graph.inputs[0]]
    assert [e["bytes"] for e in frame] == [n] and frame[0]["offset"] == 0
    assert all(e["input"] == graph.inputs[0] and e["offset"] + e["bytes"] <= n for e in plan["external"])
    assert plan["arena_bytes"] == search["measurement"]["arena"]
    assert plan.get("patch", {}).get("schedule") == search["measurement"].get("patch")
    result = json.loads((out / "result.json").read_text())
    assert result["status"] == "ok" and result["memory"]["external_input_bytes"] == n
    with np.load(out / "gen" / "input.npz") as z:
        x = z[graph.inputs[0]]
    np.testing.assert_array_equal(np.load(out / "output.npy"), run(graph, [x])[graph.outputs[0]])
