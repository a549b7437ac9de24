"""`scons board=B task=T quant=int4` end to end on tiny settings: the search measures 4-bit
filters, QAT trains on the 4-bit grid, the IR holds INT4 weights, the firmware runs them
bit-exactly on QEMU, and the network takes less flash than it would at int8."""

from __future__ import annotations

import json

import numpy as np
import yaml

from mcunet_core.arch import WeightBits
from mcunet_core.ir import DType
from mcunet_core.ir import ops as O
from mcunet_core.ir.reference import run
from mcunet_core.ir.serialize import load_graph
from mcunet_core.nas.constraints import Limits, deployment_target, measure
from mcunet_core.pipeline.train import arch_of_model
from mcunet_core.spec import load_board, load_model, load_task
from scons_project import scons
from test_scons_task_pipeline import TINY_PRE, TINY_SEARCH, TINY_TASK

#: a flash limit under which most of the tiny space fits only with 4-bit filters
FLASH = 200000
SEARCH = TINY_SEARCH.replace("flash: 450000", f"flash: {FLASH}").replace("finetune: {epochs: 2, lr: 0.02}",
                                                                         "finetune: {epochs: 1, lr: 0.02}") \
    .replace("width_multipliers: [0.2, 0.3]", "width_multipliers: [0.2]")
TASK = TINY_TASK.replace("pretrain: {task: vww-tiny-pre, epochs: 1}\n", "")


def test_int4_task_pipeline(project):
    (project / "specs" / "search" / "tiny.yaml").write_text(SEARCH)
    (project / "specs" / "tasks" / "vww-tiny.yaml").write_text(TASK)
    (project / "specs" / "tasks" / "vww-tiny-pre.yaml").write_text(TINY_PRE)
    args = ("board=h743", "task=vww-tiny", "search=tiny", "quant=int4")
    done = scons(project, *args)
    assert done.returncode == 0, done.stderr[-3000:]
    out = project / "build" / "h743" / "vww-tiny-int4"  # int4 builds beside int8 ones, not over them

    search = json.loads((out / "nas" / "search.json").read_text())
    assert search["weights"] == {"bits": 4, "int8_layers": []}
    graph = load_graph(out / "ir")
    filters = [graph.tensors[op.inputs[1]] for op in graph.ops
               if isinstance(op, (O.Conv2D, O.DepthwiseConv2D, O.FullyConnected))]
    int4 = [t for t in filters if t.dtype is DType.INT4]
    assert len(int4) >= 0.75 * len(filters) and all(-7 <= t.data.min() and t.data.max() <= 7 for t in int4)
    # the rest: narrow layers whose 4-bit requantization would need no right shift keep int8 (train/export.py)
    metrics = json.loads((out / "train" / "metrics.json").read_text())
    assert sorted(metrics["int8_filters"]) == sorted(t.name.removesuffix(":w") for t in filters if t not in int4)

    # search-time and deploy-time flash agree: the engine compiled the constants the NAS measured
    header = (out / "gen" / "weights.c").read_text().splitlines()[0]
    constants = int(header.split(" bytes of constants")[0].rsplit(" ", 1)[1])
    assert abs(constants - search["measurement"]["constants"]) <= 0.01 * constants
    result = json.loads((out / "result.json").read_text())
    assert result["status"] == "ok" and result["flash_bytes"] <= FLASH
    with np.load(out / "gen" / "input.npz") as z:
        x = z[graph.inputs[0]]
    np.testing.assert_array_equal(np.load(out / "output.npy"), run(graph, [x])[graph.outputs[0]])

    # the same network with int8 filters, compiled for the same budget, takes more flash
    spec = load_model(out / "nas" / "nas-vww-tiny-h743.yaml", project / "specs")
    board = load_board("h743")
    arch = arch_of_model(spec, load_task(project / "specs" / "tasks" / "vww-tiny.yaml"))
    target = deployment_target(board, Limits.of_model(spec))
    int8 = measure(arch, target, clock_hz=board.clock_hz)
    int4 = measure(arch, target, clock_hz=board.clock_hz, bits=WeightBits(4))
    assert int4.flash == search["measurement"]["flash"] and int8.flash > int4.flash
    assert yaml.safe_load((out / "nas" / "nas-vww-tiny-h743.yaml").read_text())["budget"]["flash"] == FLASH
    assert metrics["quant"] == "int4" and 0.0 <= metrics["int8_accuracy"] <= 1.0
