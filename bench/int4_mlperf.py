"""MLPerf Tiny VWW and KWS with int8 weights against the same models' weights rescaled to
int4 (``int4_kernel_fit.int4_weights``: untrained, so a figure of flash, instructions and
bit-exactness, not of accuracy): constants in flash, predicted and measured instructions
(QEMU, -O2) and whether the firmware's output equals the reference interpreter's, under the
board's flash budget and a lean one (the model's weights + 16 KB).

    python bench/int4_mlperf.py            # h743; needs ../shared/models
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from int4_kernel_fit import int4_weights  # noqa: E402
from nas_latency_fit import LEAN_CODE_BYTES, OPT, SHARED  # noqa: E402

from mcunet_core import engine  # noqa: E402
from mcunet_core.device.runners.qemu import QemuRunner  # noqa: E402
from mcunet_core.importers.tflite import import_tflite  # noqa: E402
from mcunet_core.ir.reference import run as reference_run  # noqa: E402
from mcunet_core.pipeline.model_firmware import build_model_firmware  # noqa: E402
from mcunet_core.spec import load_board  # noqa: E402

MODELS = ("vww_96_int8", "kws_ref_model")


def measure(graph, board, target) -> tuple[int, bool]:
    """(instructions, bit-exact) of one QEMU run on a seeded random input."""
    x = np.random.default_rng(0).integers(-128, 128, size=graph.tensors[graph.inputs[0]].shape).astype(np.int8)
    with tempfile.TemporaryDirectory() as tmp:
        built = build_model_firmware(graph, board, tmp, OPT, target=target)
        run = QemuRunner(board).run(built.firmware.elf, x.tobytes()).raise_for_status()
    out = graph.tensors[graph.outputs[0]]
    got = np.asarray(run.output).view(out.dtype.numpy).reshape(out.shape)
    return int(run.count), bool(np.array_equal(got, reference_run(graph, [x])[graph.outputs[0]]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", default="h743")
    args = ap.parse_args(argv)
    board = load_board(args.board)
    print(f"board {board.name}, -{OPT}\n")
    print("| model | flash budget | weights | weight bytes | constants | predicted | measured | bit-exact |")
    print("|---|---|---|---|---|---|---|---|")
    for name in MODELS:
        for budget in ("board", "lean"):
            for bits in (8, 4):
                graph = import_tflite(SHARED / f"{name}.tflite")
                if bits == 4:
                    graph = int4_weights(graph)
                weights = sum(t.nbytes for t in graph.tensors.values() if t.is_constant)
                target = engine.Target.from_board(board)
                if budget == "lean":
                    target = dataclasses.replace(target, flash_budget=weights + LEAN_CODE_BYTES)
                lowered = engine.lower(graph, target)
                count, exact = measure(graph, board, target)
                print(f"| {name} | {budget} | int{bits} | {weights:,} | {lowered.constant_bytes:,} | "
                      f"{lowered.instructions():,} | {count:,} | {'yes' if exact else 'NO'} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
