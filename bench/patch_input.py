"""MLPerf Tiny VWW and KWS with the input inside the arena and outside it (``input_placement:
external``: the frame stays where the application keeps it, the patches are cut from it), whole
tensors and ``patch=auto``: the schedule chosen, the planned arena and predicted instructions,
then measured on QEMU (-O2): peak SRAM (arena + static RAM + stack high-water, the external
frame counted apart), instructions, and bit-exactness with TFLite's reference kernels
(``output_ref`` of every row of the models' golden vectors).

    python bench/patch_input.py                 # h743; needs ../shared/models (about 4 minutes)
    python bench/patch_input.py --models vww_96_int8
    python bench/patch_input.py --peaks         # and the buffers live at each plan's peak
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path

import numpy as np

from mcunet_core import engine
from mcunet_core.device.runners.qemu import QemuRunner
from mcunet_core.importers.tflite import import_tflite
from mcunet_core.pipeline.model_firmware import build_model_firmware
from mcunet_core.sram import peak_sram_bytes
from mcunet_core.spec import load_board

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "models"
MODELS = ("vww_96_int8", "kws_ref_model")
OPT = "O2"
PLACEMENTS = (engine.InputPlacement("arena"), engine.InputPlacement("external"))
POLICIES = (engine.PatchPolicy("off"), engine.PatchPolicy("auto"))


def measure(graph, board, target, decisions, golden) -> dict:
    """One firmware, run on every golden input: peak SRAM, the frame outside it, the first
    row's instructions, and whether every row's output equals TFLite's reference output."""
    out = graph.tensors[graph.outputs[0]]
    exact, count, peak, frame = True, None, 0, 0
    with tempfile.TemporaryDirectory() as tmp:
        built = build_model_firmware(graph, board, tmp, OPT, target=target, decisions=decisions)
        memory = built.firmware.memory
        for x, want in zip(golden["input"], golden["output_ref"]):
            run = QemuRunner(board).run(built.firmware.elf, np.ascontiguousarray(x).tobytes()).raise_for_status()
            got = np.asarray(run.output).view(out.dtype.numpy).reshape(out.shape)
            exact &= bool(np.array_equal(got, want.reshape(out.shape)))
            count = int(run.count) if count is None else count
            peak = max(peak, peak_sram_bytes(memory["static_ram_excl_stack_bytes"], run.stack_used))
        frame = memory.get("external_input_bytes", 0)
    return {"instructions": count, "peak_sram": peak, "frame": frame, "exact": exact,
            "rows": len(golden["input"])}


def peak_buffers(lowered) -> str:
    """The op at the arena's peak and the buffers live there (what sets the arena)."""
    plan, ops = lowered.plan, lowered.graph.ops
    extents = plan.live_bytes_per_op(len(ops))
    i = max(range(len(ops)), key=lambda k: extents[k])
    live = sorted((b for b in plan.buffers if b.first <= i <= b.last), key=lambda b: plan.offset_of(b.name))
    parts = [f"{b.name.split(';')[-1] if b.kind == 'tensor' else b.name} {b.size:,} B" for b in live]
    return f"peak {extents[i]:,} B at op {i} ({ops[i].OPCODE}): " + ", ".join(parts)


def schedule_of(decisions) -> str:
    s = decisions.schedule
    return "whole tensors" if s is None else f"split {s.split}, {s.grid[0]}x{s.grid[1]}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", default="h743")
    ap.add_argument("--models", nargs="+", default=list(MODELS))
    ap.add_argument("--peaks", action="store_true", help="print the buffers live at each plan's peak")
    args = ap.parse_args(argv)
    board = load_board(args.board)
    print(f"board {board.name}, -{OPT}; peak SRAM = arena + static RAM + stack high-water (QEMU); "
          f"instructions of golden row 0; bit-exact: every golden row equals TFLite's output_ref\n")
    print("| model | input | patch | schedule | arena | predicted | peak SRAM | input outside | measured | "
          "vs whole, input in arena | bit-exact |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    notes = []
    for name in args.models:
        graph = import_tflite(SHARED / f"{name}.tflite")
        with np.load(SHARED / f"{name}_golden.npz") as z:
            golden = {"input": z["input"], "output_ref": z["output_ref"]}
        base = None
        for placement in PLACEMENTS:
            for policy in POLICIES:
                target = dataclasses.replace(engine.Target.from_board(board), patch=policy,
                                             input_placement=placement)
                decisions = engine.decide(graph, target)
                lowered = engine.lower(graph, target, decisions)
                m = measure(graph, board, target, decisions, golden)
                base = base or m
                vs = "-" if m is base else f"{m['instructions'] / base['instructions'] - 1:+.1%}"
                outside = f"{m['frame']:,} B" if m["frame"] else "-"
                print(f"| {name} | {placement} | {policy} | {schedule_of(decisions)} | {lowered.plan.arena_bytes:,} B | "
                      f"{lowered.instructions():,} | {m['peak_sram']:,} B | {outside} | {m['instructions']:,} | {vs} | "
                      f"{'yes' if m['exact'] else 'NO'} ({m['rows']} rows) |", flush=True)
                notes.append(f"{name}, input {placement}, patch {policy}: {peak_buffers(lowered)}")
    if args.peaks:
        print("\n" + "\n".join(notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
