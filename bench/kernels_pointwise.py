"""Benchmark: the pointwise / im2col / fully-connected kernels on every CONV_2D and
FULLY_CONNECTED layer of MLPerf VWW and KWS, alone, on the emulated boards.

Per layer: MACs, instructions (emulated core, QEMU -icount) of the generic plain-C kernel
(TFLite reference loops), of the fast kernel's plain-C path (same kernel compiled without
the DSP extension), of the DSP path with int8 weights (w8: flash-saving variant) and with
int16 pre-widened weights (w16: the default) at -O2/-O3/-Os, MACs per instruction of the
default, and bit-exactness of every run against the reference interpreter. No timings are
asserted anywhere; this only prints.

    python bench/kernels_pointwise.py                  # h743 (M7), all columns
    python bench/kernels_pointwise.py --board f412     # the M4 profile
    python bench/kernels_pointwise.py --models kws --quick   # w16 -O2 only
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path

import numpy as np

from mcunet_core import engine
from mcunet_core.engine import Target
from mcunet_core.importers.tflite import import_tflite
from mcunet_core.ir import Graph
from mcunet_core.ir.ops import Conv2D, FullyConnected
from mcunet_core.spec import load_board
from one_layer import run_layer

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "models"
MODELS = {"vww": "vww_96_int8", "kws": "kws_ref_model"}


def macs_of(g: Graph) -> int:
    op = g.ops[0]
    w, y = g.tensors[op.inputs[1]], g.tensors[op.outputs[0]]
    return int(y.size * np.prod(w.shape[1:]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    ap.add_argument("--board", default="h743")
    ap.add_argument("--quick", action="store_true", help="only the default kernel at -O2")
    args = ap.parse_args(argv)
    if not SHARED.is_dir():
        print(f"no reference models at {SHARED}", file=sys.stderr)
        return 1
    board = load_board(args.board)
    no_dsp = dataclasses.replace(board, cflags=[*board.cflags, "-U__ARM_FEATURE_DSP"])
    default = Target.from_board(board)
    tight = dataclasses.replace(default, flash_budget=1)  # no room for int16 weights: w8 core
    generic = engine.restricted(default, generic_only=True)
    columns = [("w16 -O2", board, default, "O2")]
    if not args.quick:
        columns = [
            ("generic C -O2", board, generic, "O2"),
            ("fast kernel, C path -O2", no_dsp, default, "O2"),
            ("w8 -O2", board, tight, "O2"),
            *columns,
            ("w16 -O3", board, default, "O3"),
            ("w16 -Os", board, default, "Os"),
        ]
    header = ["model", "op", "layer (input, weights)", "MACs", *(c[0] for c in columns), "MAC/instr (w16 -O2)", "bit-exact"]
    print(f"board {board.name} (QEMU {board.emulator.machine}), instructions per layer\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    rng = np.random.default_rng(0)
    for key in args.models:
        g = import_tflite(SHARED / f"{MODELS[key]}.tflite")
        totals = [0] * len(columns)
        total_macs = 0
        for i, op in enumerate(g.ops):
            if not isinstance(op, (Conv2D, FullyConnected)):
                continue
            sub = g.op_graph(i)
            x = rng.integers(-128, 128, size=sub.tensors[sub.inputs[0]].shape).astype(np.int8)
            counts, exact = [], True
            for _, brd, target, opt in columns:
                with tempfile.TemporaryDirectory() as tmp:
                    n, ok = run_layer(sub, x, brd, target, opt, Path(tmp))
                counts.append(n)
                exact &= ok
            macs = macs_of(sub)
            total_macs += macs
            totals = [t + n for t, n in zip(totals, counts)]
            shapes = ", ".join(str(list(sub.tensors[n].shape)) for n in op.inputs[:2])
            d = [c[0] for c in columns].index("w16 -O2")
            print(f"| {key} | {i} | {shapes} | {macs} | " + " | ".join(f"{n / 1e6:.3f} M" for n in counts)
                  + f" | {macs / counts[d]:.2f} | {'yes' if exact else 'NO'} |", flush=True)
        d = [c[0] for c in columns].index("w16 -O2")
        print(f"| {key} | all | | {total_macs} | " + " | ".join(f"{n / 1e6:.3f} M" for n in totals)
              + f" | {total_macs / totals[d]:.2f} | |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
