"""Patch schedules against whole tensors: the engine's exact arena and predicted instructions
per (split, patches) candidate, and what ``patch=auto`` chooses (cap 20 %).

    python bench/patch_schedules.py                       # MLPerf Tiny VWW and KWS on h743
    python bench/patch_schedules.py --model path.tflite --board h743
    python bench/patch_schedules.py --input-placement external   # the input outside the arena
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from mcunet_core import engine
from mcunet_core.importers.tflite import import_tflite
from mcunet_core.spec import load_board

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "models"
MODELS = [SHARED / "vww_96_int8.tflite", SHARED / "kws_ref_model.tflite"]


def table(graph, target) -> list[str]:
    whole = engine.decide(graph, dataclasses.replace(target, patch=engine.PatchPolicy("off")))
    best, seen = engine.search_patches(graph, target, whole, exhaustive=True)
    base = seen[0]
    lines = [f"{graph.name} (input in the {'application' if target.input_placement.external else 'arena'}): "
             f"whole-tensor arena {base.arena:,} B, {base.instructions:,} instructions; "
             f"auto (cap {target.patch.cap:.0%}) chooses {best.schedule or 'whole tensors'}",
             "| split | patches | arena | instructions | extra |", "|---|---|---|---|---|"]
    for c in sorted(seen[1:], key=lambda c: c.arena)[:12]:
        extra = f"{c.instructions / base.instructions - 1:+.1%}" if c.instructions else "-"
        s = c.schedule
        lines.append(f"| {s.split} | {s.grid[0]}x{s.grid[1]} | {c.arena:,} B | {c.instructions or 0:,} | {extra} |")
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, action="append")
    ap.add_argument("--board", default="h743")
    ap.add_argument("--input-placement", default="arena", choices=("arena", "external"))
    args = ap.parse_args(argv)
    target = engine.Target.from_board(load_board(args.board), patch=engine.PatchPolicy("auto"),
                                      input_placement=engine.InputPlacement(args.input_placement))
    for path in args.model or MODELS:
        print("\n".join(table(import_tflite(path), target)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
