"""MLPerf Tiny VWW and KWS flash under the board's flash budget and a lean one (the model's
weights + 16 KB), against issue 16's targets: constants and code (the engine's footprint and
the firmware ELF's flash), predicted and measured instructions (QEMU, -O2), arena, and whether
the firmware's output equals the reference interpreter's. ``--before`` also lowers the lean
budget with every depthwise layer on int16 blocks (the format before issue 16 part 2), for the
figures without the lean depthwise drivers.

    python bench/lean_flash.py [--before]      # h743; needs ../shared/models
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from nas_latency_fit import LEAN_CODE_BYTES, OPT, SHARED  # noqa: E402

from mcunet_core import engine  # noqa: E402
from mcunet_core.device.runners.qemu import QemuRunner  # noqa: E402
from mcunet_core.importers.tflite import import_tflite  # noqa: E402
from mcunet_core.ir.reference import run as reference_run  # noqa: E402
from mcunet_core.pipeline.model_firmware import build_model_firmware  # noqa: E402
from mcunet_core.spec import load_board  # noqa: E402

#: issue 16's lean flash targets (KB = 1000 B as the issue counts: VWW's 219,064 B + 16 KB)
TARGETS = {"vww_96_int8": 235_000, "kws_ref_model": 51_000}


def measure(graph, board, target) -> tuple[int, int, bool]:
    """(instructions, ELF flash bytes, bit-exact) of one QEMU run on a seeded random input."""
    x = np.random.default_rng(0).integers(-128, 128, size=graph.tensors[graph.inputs[0]].shape).astype(np.int8)
    with tempfile.TemporaryDirectory() as tmp:
        built = build_model_firmware(graph, board, tmp, OPT, target=target)
        run = QemuRunner(board).run(built.firmware.elf, x.tobytes()).raise_for_status()
        flash = int(built.firmware.memory["flash_bytes"])
    out = graph.tensors[graph.outputs[0]]
    got = np.asarray(run.output).view(out.dtype.numpy).reshape(out.shape)
    return int(run.count), flash, bool(np.array_equal(got, reference_run(graph, [x])[graph.outputs[0]]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", default="h743")
    ap.add_argument("--before", action="store_true", help="also the lean budget with int16 depthwise blocks")
    args = ap.parse_args(argv)
    board = load_board(args.board)
    print(f"board {board.name}, -{OPT}\n")
    print("| model | flash budget | depthwise taps | constants | code | flash (engine) | flash (ELF) | target | "
          "predicted | measured | arena | bit-exact |\n|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in TARGETS:
        graph = import_tflite(SHARED / f"{name}.tflite")
        weights = sum(t.nbytes for t in graph.tensors.values() if t.is_constant)
        rows = [("board", engine.Target.from_board(board), None)]
        lean = dataclasses.replace(engine.Target.from_board(board), flash_budget=weights + LEAN_CODE_BYTES)
        if args.before:
            decided = engine.decide(graph, lean)
            rows.append(("lean", lean, dataclasses.replace(decided, lean_depthwise=frozenset())))
        rows.append(("lean", lean, None))
        for budget, target, decisions in rows:
            lowered = engine.lower(graph, target, decisions)
            fp = lowered.footprint()
            taps = "int8 (w8)" if getattr(lowered.decisions, "lean_depthwise", None) else "int16 blocks"
            if decisions is None:
                count, elf, exact = measure(graph, board, target)
                measured = f"{count:,} | " + f"{elf:,}"
                ok = "yes" if exact else "NO"
            else:  # not built: the firmware builder lowers with the target's own decisions
                measured, ok = "- | -", "-"
            count_s, elf_s = measured.split(" | ")
            print(f"| {name} | {budget} | {taps} | {lowered.constant_bytes:,} | {fp.flash - lowered.constant_bytes:,} | "
                  f"{fp.flash:,} | {elf_s} | {TARGETS[name]:,} | {lowered.instructions():,} | {count_s} | "
                  f"{lowered.plan.arena_bytes:,} | {ok} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
