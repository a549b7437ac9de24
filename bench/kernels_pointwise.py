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
import contextlib
import copy
import dataclasses
import sys
import tempfile
from pathlib import Path

import numpy as np

from mcunet_core.device.runners.qemu import QemuRunner
from mcunet_core.device.toolchain import build_firmware
from mcunet_core.engine.codegen.render import KERNEL_DIR
from mcunet_core.engine.compile import compile_graph
from mcunet_core.engine.kernels import registry
from mcunet_core.engine.target import Target
from mcunet_core.importers.tflite import import_tflite
from mcunet_core.ir import Graph
from mcunet_core.ir.ops import Conv2D, FullyConnected
from mcunet_core.ir.reference import run as reference_run
from mcunet_core.spec import load_board

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "models"
MODELS = {"vww": "vww_96_int8", "kws": "kws_ref_model"}


def layer_graph(g: Graph, index: int) -> Graph:
    op = g.ops[index]
    sub = Graph(f"{g.name}_op{index}")
    for name in (*op.inputs, *op.outputs):
        if name:
            sub.add_tensor(copy.copy(g.tensors[name]))
    sub.ops, sub.inputs, sub.outputs = [op], [op.inputs[0]], [op.outputs[0]]
    return sub


def macs_of(g: Graph) -> int:
    op = g.ops[0]
    w, y = g.tensors[op.inputs[1]], g.tensors[op.outputs[0]]
    return int(y.size * np.prod(w.shape[1:]))


@contextlib.contextmanager
def generic_kernels_only():
    """Lower with the priority-0 plain-C kernels (the fallback every op has)."""
    saved = {op: list(ks) for op, ks in registry._KERNELS.items()}
    try:
        for op, ks in registry._KERNELS.items():
            ks[:] = [k for k in ks if k.PRIORITY == 0]
        yield
    finally:
        for op, ks in saved.items():
            registry._KERNELS[op][:] = ks


def run_layer(g: Graph, x: np.ndarray, board, target: Target, opt: str, workdir: Path) -> tuple[int, bool]:
    model = compile_graph(g, target)
    gen = workdir / "gen"
    model.write(gen)
    sources = [gen / "model.c", gen / "weights.c"] + [KERNEL_DIR / s for s in model.kernel_sources]
    fw = build_firmware(board, sources, workdir / "fw", opt=opt, include_dirs=[gen, KERNEL_DIR / "include"])
    run = QemuRunner(board, timeout_s=300).run(fw.elf, np.ascontiguousarray(x).tobytes()).raise_for_status()
    out = g.tensors[g.outputs[0]]
    got = np.asarray(run.output).view(np.int8).reshape(out.shape)
    return run.count, bool(np.array_equal(got, reference_run(g, [x])[g.outputs[0]]))


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
    columns = [("w16 -O2", board, default, "O2", None)]
    if not args.quick:
        columns = [
            ("generic C -O2", board, default, "O2", "generic"),
            ("fast kernel, C path -O2", no_dsp, default, "O2", None),
            ("w8 -O2", board, tight, "O2", None),
            *columns,
            ("w16 -O3", board, default, "O3", None),
            ("w16 -Os", board, default, "Os", None),
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
            sub = layer_graph(g, i)
            x = rng.integers(-128, 128, size=sub.tensors[sub.inputs[0]].shape).astype(np.int8)
            counts, exact = [], True
            for _, brd, target, opt, mode in columns:
                with tempfile.TemporaryDirectory() as tmp, (generic_kernels_only() if mode else contextlib.nullcontext()):
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
