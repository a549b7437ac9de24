"""Fit the lean depthwise widening (int8 taps and 2-word records kept in flash, each channel
group's weight blocks and 3-word records widened at run time by the ``*_w8`` drivers) on QEMU,
and print what it costs (issue 16).

Each network runs twice with the same strip layouts: under the board's flash budget (int16
blocks in flash: ``mcunet_dw_strips`` / ``mcunet_dw_transposed``) and under a lean one (its
weights + 16 KB: the ``*_w8`` drivers). A depthwise layer's extra instructions between the two
profile builds, over the words it widens (``widened_layer_words``), is the measured cost per word; the fit is
their least-squares ratio over every layer (``W8_WIDEN_COST_PER_WORD`` in
``engine/kernels/depthwise.py`` holds it; this script prints it and each layer's spread).
Networks: MLPerf VWW and KWS (``../shared/models``) and a few of ``nas_latency_fit.py``'s
search-space networks. About a minute on 2 cores.

    python bench/dw_lean_fit.py            # h743, -O2
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from nas_latency_fit import FIT_ARCHS, LEAN_CODE_BYTES, OPT, SHARED  # noqa: E402

from mcunet_core import engine  # noqa: E402
from mcunet_core.engine import W8_WIDEN_COST_PER_WORD, Target, widened_layer_words  # noqa: E402
from mcunet_core.importers.tflite import import_tflite  # noqa: E402
from mcunet_core.nas.constraints import estimate_graph  # noqa: E402
from mcunet_core.nas.space import SearchSpace  # noqa: E402
from mcunet_core.pipeline.emulator_costs import measure_on_emulator  # noqa: E402
from mcunet_core.spec import load_board, load_search, load_task  # noqa: E402

ARCHS = [a for a in FIT_ARCHS if a[3] in (100, 103, 109, 112)]


def graphs():
    for name in ("vww_96_int8", "kws_ref_model"):
        if (SHARED / f"{name}.tflite").is_file():
            yield name, import_tflite(SHARED / f"{name}.tflite")
    search = load_search("mcunet")
    for task, width, res, seed, _ in ARCHS:
        space = SearchSpace.from_specs(search, load_task(task), width, res)
        graph = estimate_graph(space.sample(np.random.default_rng(seed)))
        yield f"{task}_w{round(width * 100)}_r{space.resolution}_s{seed}", graph


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", default="h743")
    args = ap.parse_args(argv)
    board = load_board(args.board)
    extra, words, rows = [], [], []
    for name, graph in graphs():
        weights = sum(t.nbytes for t in graph.tensors.values() if t.is_constant)
        fast_t = Target.from_board(board)
        lean_t = dataclasses.replace(fast_t, flash_budget=weights + LEAN_CODE_BYTES)
        fast_l, lean_l = engine.lower(graph, fast_t), engine.lower(graph, lean_t)
        with tempfile.TemporaryDirectory() as tmp:
            fast = measure_on_emulator(graph, board, Path(tmp) / "fast", target=fast_t, per_op=True, opt=OPT)
            lean = measure_on_emulator(graph, board, Path(tmp) / "lean", target=lean_t, per_op=True, opt=OPT)
        model_fast, model_lean = fast_l.instructions(), lean_l.instructions()
        first = len(extra)
        for call in lean_l.calls:
            if call.plan.function not in ("mcunet_dw_strips_w8", "mcunet_dw_transposed_w8"):
                continue
            layout = lean_l.decisions.depthwise_layout(call.op_index)
            assert layout == fast_l.decisions.depthwise_layout(call.op_index)
            w = widened_layer_words(layout)
            extra.append(lean.per_op[call.op_index] - fast.per_op[call.op_index])
            words.append(w)
        rows.append((name, fast_l.constant_bytes, lean_l.constant_bytes, fast.instructions, lean.instructions,
                     sum(extra[first:]), model_lean))
        print(f"measured {name}", file=sys.stderr, flush=True)
    x, y = np.array(words, dtype=float), np.array(extra, dtype=float)
    per_word = float(x @ y / (x @ x))
    ratio = y / x
    print(f"lean depthwise widening: {per_word:.1f} instructions per block word over {len(x)} layers "
          f"({x.sum():,.0f} words; per layer {ratio.min():.1f} to {ratio.max():.1f}); "
          f"W8_WIDEN_COST_PER_WORD = {W8_WIDEN_COST_PER_WORD:g}\n")
    print("| model | constants (board) | constants (lean) | measured board | measured lean | of which widening | "
          "predicted lean | error |\n|---|---|---|---|---|---|---|---|")
    for name, cf, cl, mf, ml, widen, pl in rows:
        print(f"| {name} | {cf:,} | {cl:,} | {mf:,} | {ml:,} | {widen:,} | {pl:,} | {pl / ml - 1:+.1%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
