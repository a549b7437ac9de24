"""Fit the cost of the patch SLICE/PASTE copies (latency family ``copy_block``) on QEMU and
merge it into the engine's cost table, leaving every other family as it is.

Profile builds of MLPerf Tiny VWW (../shared/models) under a few fixed patch schedules give
the instructions of every copy; ``bench/nas_latency_fit.py`` refits the family with the rest
(its fit set holds one patched model). About a minute on 2 cores.

    python bench/patch_copy_fit.py            # h743, -O2, writes mcunet_core/engine/kernel_costs.json
"""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
from pathlib import Path

from mcunet_core import engine
from mcunet_core.atomic import atomic_write_text
from mcunet_core.engine import COSTS_PATH, PatchPolicy, PatchSchedule, Target, fit_families
from mcunet_core.importers.tflite import import_tflite
from mcunet_core.pipeline.emulator_costs import measure_on_emulator
from cost_fit_cli import fit_command

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "models"
FAMILY = "copy_block"
SCHEDULES = [PatchSchedule(2, (3, 3)), PatchSchedule(4, (4, 1)), PatchSchedule(7, (2, 2))]


def patched_targets(board) -> list[Target]:
    base = Target.from_board(board)
    return [dataclasses.replace(base, patch=PatchPolicy("fixed", s)) for s in SCHEDULES]


def copy_samples(graph, board, target) -> list:
    with tempfile.TemporaryDirectory() as tmp:
        costs = measure_on_emulator(graph, board, tmp, target=target, per_op=True, opt="O2")
    return [(w, costs.per_op[w.index]) for w in engine.lower(graph, target).work() if w.family == FAMILY]


def main(argv=None) -> int:
    args, board = fit_command(__doc__, argv)
    graph = import_tflite(SHARED / "vww_96_int8.tflite")
    samples = [s for t in patched_targets(board) for s in copy_samples(graph, board, t)]
    fam = fit_families(samples)[FAMILY]
    doc = json.loads(COSTS_PATH.read_text(encoding="utf-8"))
    doc["latency"]["families"][FAMILY] = fam
    doc["latency"]["families"] = dict(sorted(doc["latency"]["families"].items()))
    atomic_write_text(args.out, json.dumps(doc, indent=1) + "\n")
    coef = ", ".join(f"{n}={c:g}" for n, c in zip(fam["features"], fam["coefficients"]))
    print(f"{FAMILY}: {fam['layers']} copies, max layer error {fam['max_rel_error']:.1%}, {coef}\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
