"""Fit the int4-weight kernels' costs on QEMU and merge them into the engine's cost table,
leaving every other family as it is (issue 14).

Search-space networks of ``bench/nas_latency_fit.py``'s fit set get int4 weights (each
filter's int8 values rescaled per channel to -8..7) and a lean flash budget (their int4
constants + 16 KB), so their 1x1, im2col and fully connected layers run the w4 kernels
(families ``pointwise_w4``, ``im2col_w4``, ``fully_connected_w4``: the w8 siblings'
features) and their depthwise layers the int4 drivers (the int8 families plus
``W4_WIDEN_COST_PER_WORD`` per widened block word; the measured figure is printed). Code
sizes of kernel sources the table lacks are measured as ``nas_latency_fit.py`` measures
them. About a minute on 2 cores.

    python bench/int4_kernel_fit.py            # h743, -O2, writes mcunet_core/engine/kernel_costs.json
"""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from nas_latency_fit import FIT_ARCHS, LEAN_CODE_BYTES, OPT, kernel_code_sizes  # noqa: E402

from mcunet_core import engine  # noqa: E402
from mcunet_core.atomic import atomic_write_text  # noqa: E402
from mcunet_core.engine import (  # noqa: E402
    COSTS_PATH, W4_WIDEN_COST_PER_WORD, LatencyModel, Target, fit_families, w4_widen_cost,
)
from mcunet_core.ir import Graph, QuantParams, Tensor  # noqa: E402
from mcunet_core.ir import ops as O  # noqa: E402
from mcunet_core.nas.constraints import estimate_graph  # noqa: E402
from mcunet_core.nas.space import SearchSpace  # noqa: E402
from mcunet_core.pipeline.emulator_costs import measure_on_emulator  # noqa: E402
from mcunet_core.spec import load_search, load_task  # noqa: E402
from cost_fit_cli import fit_command  # noqa: E402

FAMILIES = ("pointwise_w4", "im2col_w4", "fully_connected_w4")
#: a few networks of every task from the fit set (lean ones included)
ARCHS = [a for a in FIT_ARCHS if a[3] in (100, 103, 109, 112, 116, 117)]


def int4_weights(graph: Graph) -> Graph:
    """Every conv/depthwise/FC filter rescaled per channel to int4 (-8..7), biases with it
    (untrained: for costs and flash, not accuracy)."""
    for op in graph.ops:
        if not isinstance(op, (O.Conv2D, O.DepthwiseConv2D, O.FullyConnected)):
            continue
        w = graph.tensors[op.inputs[1]]
        axis = 3 if isinstance(op, O.DepthwiseConv2D) else 0
        data = np.moveaxis(w.data.astype(np.float64), axis, 0)
        scale = np.broadcast_to(w.quant.scale.astype(np.float64), (data.shape[0],))
        peak = np.abs(data).reshape(data.shape[0], -1).max(axis=1)
        new_scale = np.where(peak > 0, scale * peak / 7, scale)  # all-zero channels keep their scale
        ratio = (scale / new_scale).reshape(-1, *([1] * (data.ndim - 1)))
        q = np.clip(np.rint(data * ratio), -8, 7)
        graph.tensors[w.name] = Tensor(w.name, w.shape, "int4", QuantParams(new_scale, np.zeros(len(new_scale)), axis),
                                       np.moveaxis(q, 0, axis))
        if len(op.inputs) > 2 and op.inputs[2]:
            b = graph.tensors[op.inputs[2]]
            b.data = np.clip(np.rint(b.data * scale / new_scale), -(1 << 31), (1 << 31) - 1).astype(np.int32)
            b.quant = QuantParams(b.quant.scale * (new_scale / scale), np.zeros(len(new_scale)), 0)
    return graph


def fit_graphs(board) -> list[tuple[str, Graph, Target]]:
    search = load_search("mcunet")
    models = []
    for task, width, res, seed, _ in ARCHS:
        space = SearchSpace.from_specs(search, load_task(task), width, res)
        rng = np.random.default_rng(seed)
        arch = space.sample(rng)
        graph = int4_weights(estimate_graph(arch))
        graph.name = f"{task}_w{round(width * 100)}_r{space.resolution}_s{seed}_int4"
        weights = sum(t.nbytes for t in graph.tensors.values() if t.is_constant)
        models.append((graph.name, graph, dataclasses.replace(Target.from_board(board), flash_budget=weights + LEAN_CODE_BYTES)))
    return models


def main(argv=None) -> int:
    args, board = fit_command(__doc__, argv)
    doc = json.loads(COSTS_PATH.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        sizes = kernel_code_sizes(board, Path(tmp))
    known = doc["firmware"]["code"]["sources"]
    added = {k: v for k, v in sizes.items() if k not in known}
    doc["firmware"]["code"]["sources"] = dict(sorted({**known, **added}.items()))
    model = LatencyModel.from_json(doc["latency"])
    samples, dw_residual, dw_words, rows = [], 0.0, 0.0, []
    for name, graph, target in fit_graphs(board):
        with tempfile.TemporaryDirectory() as tmp:
            costs = measure_on_emulator(graph, board, tmp, target=target, per_op=True, opt=OPT)
        lowered = engine.lower(graph, target)
        plans = {c.op_index: c.plan for c in lowered.calls}
        for w in lowered.work():
            measured = costs.per_op[w.index]
            function = plans[w.index].function or ""
            if w.family in FAMILIES:
                samples.append((w, measured))
            elif function.endswith("_w4") and w.family.startswith("depthwise_"):
                # the int8 family's prediction without the widening term, against the measurement
                words = _widened_words(lowered, w.index)
                base = model.op_instructions(dataclasses.replace(
                    w, values=(w.values[0] - W4_WIDEN_COST_PER_WORD * words, *w.values[1:])))
                dw_residual += (measured - base) / model.coefficients[w.family][0]
                dw_words += words
        rows.append((name, costs.instructions, lowered, costs))
        print(f"measured {name}: {costs.instructions:,} instructions", file=sys.stderr, flush=True)
    fitted = fit_families(samples)
    doc["latency"]["families"] = dict(sorted({**doc["latency"]["families"], **fitted}.items()))
    atomic_write_text(args.out, json.dumps(doc, indent=1) + "\n")
    print("| family | layers | max layer error | coefficients |\n|---|---|---|---|")
    for fam, v in fitted.items():
        coef = ", ".join(f"{n}={c:g}" for n, c in zip(v["features"], v["coefficients"]))
        print(f"| {fam} | {v['layers']} | {v['max_rel_error']:.1%} | {coef} |")
    if dw_words:
        print(f"\ndepthwise int4 block widening: {dw_residual / dw_words:.1f} instructions per word "
              f"(W4_WIDEN_COST_PER_WORD = {W4_WIDEN_COST_PER_WORD:g}; {dw_words:,.0f} words)")
    print("\n| model | instructions | predicted | error |\n|---|---|---|---|")
    final = LatencyModel.from_json(doc["latency"])
    for name, measured, lowered, _ in rows:
        predicted = final.instructions(lowered.work())
        print(f"| {name} | {measured:,} | {predicted:,} | {predicted / measured - 1:+.1%} |")
    print(f"\ncode sizes added: {added}\nwrote {args.out}")
    return 0


def _widened_words(lowered, index: int) -> float:
    """Block words an int4 depthwise layer widens (what ``w4_widen_cost`` counts)."""
    layout = lowered.decisions.depthwise_layout(index)
    return w4_widen_cost(layout) / W4_WIDEN_COST_PER_WORD


if __name__ == "__main__":
    sys.exit(main())
