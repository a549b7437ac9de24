"""Benchmark: the channel-plane depthwise kernels on every DEPTHWISE_CONV_2D layer of MLPerf
VWW and KWS (and MCUNet-style 5x5 / 7x7 layers), alone, on an emulated board.

Per layer: MACs, instructions (emulated core, QEMU -icount) of the generic plain-C kernel
(TFLite reference loops), of the plane kernel's plain-C path (the same kernel compiled
without the DSP extension), of the DSP path at -O2/-O3/-Os, MACs per instruction at -O2,
the strip layout and scratch bytes the layer gets inside its model, and bit-exactness of
every run against the reference interpreter. No timings are asserted anywhere; this only
prints.

    python bench/kernels_depthwise.py                    # h743 (M7), VWW + KWS + MCUNet shapes
    python bench/kernels_depthwise.py --board f412       # the M4 profile
    python bench/kernels_depthwise.py --models kws --quick   # DSP -O2 only
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
from mcunet_core.ir import Activation, Graph, Padding2D, QuantParams, Tensor
from mcunet_core.ir.ops import DepthwiseConv2D, conv_output_hw
from mcunet_core.spec import load_board
from one_layer import run_layer

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "models"
MODELS = {"vww": "vww_96_int8", "kws": "kws_ref_model"}
#: MCUNet search-space depthwise layers (input shape, kernel, stride) with synthetic weights
MCUNET_LAYERS = [((1, 40, 40, 24), 5, 1), ((1, 40, 40, 48), 7, 2), ((1, 20, 20, 40), 7, 1),
                 ((1, 20, 20, 96), 5, 2), ((1, 10, 10, 96), 3, 1), ((1, 10, 10, 160), 7, 1)]


def synthetic_layer(shape, k: int, s: int, seed: int) -> Graph:
    """A RELU6 depthwise layer with per-channel weights and the activation range = int8 range."""
    rng = np.random.default_rng(seed)
    n, h, w, c = shape
    g = Graph(f"mcunet_{h}x{w}x{c}_k{k}s{s}")
    xs, ws = 0.02, rng.uniform(0.002, 0.02, size=c)
    pad = Padding2D.same((h, w), (k, k), (s, s))
    oh, ow = conv_output_hw((h, w), (k, k), (s, s), (1, 1), pad)
    g.add_tensor(Tensor("x", shape, "int8", QuantParams([xs], [-128])))
    g.add_tensor(Tensor("w", (1, k, k, c), "int8", QuantParams(ws, np.zeros(c), 3),
                        rng.integers(-127, 128, size=(1, k, k, c))))
    g.add_tensor(Tensor("b", (c,), "int32", QuantParams(xs * ws, np.zeros(c), 0), rng.integers(-3000, 3000, size=c)))
    g.add_tensor(Tensor("y", (n, oh, ow, c), "int8", QuantParams([6 / 255], [-128])))
    g.ops = [DepthwiseConv2D(("x", "w", "b"), ("y",), stride=(s, s), padding=pad, activation=Activation.RELU6)]
    g.inputs, g.outputs = ["x"], ["y"]
    g.validate()
    return g


def macs_of(g: Graph) -> int:
    op = g.ops[0]
    w, y = g.tensors[op.inputs[1]], g.tensors[op.outputs[0]]
    return int(y.size * w.shape[1] * w.shape[2])


def layers(models: list[str], target: Target):
    """(model key, op index, one-layer graph, its decisions: the layout the layer gets inside
    its model; MCUNet-style layers have no model around them and keep their own)."""
    for key in models:
        if key == "mcunet":
            for i, (shape, k, s) in enumerate(MCUNET_LAYERS):
                g = synthetic_layer(shape, k, s, i)
                yield key, i, g, engine.decide(g, target)
            continue
        g = import_tflite(SHARED / f"{MODELS[key]}.tflite")
        in_model = engine.decide(g, target)
        for i, op in enumerate(g.ops):
            if isinstance(op, DepthwiseConv2D):
                sub = g.op_graph(i)
                own = engine.decide(sub, target)
                yield key, i, sub, dataclasses.replace(own, depthwise_layouts={0: in_model.depthwise_layout(i)})


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=[*MODELS, "mcunet"], choices=[*MODELS, "mcunet"])
    ap.add_argument("--board", default="h743")
    ap.add_argument("--quick", action="store_true", help="only the DSP path at -O2")
    args = ap.parse_args(argv)
    if any(m in MODELS for m in args.models) and not SHARED.is_dir():
        print(f"no reference models at {SHARED}", file=sys.stderr)
        return 1
    board = load_board(args.board)
    no_dsp = dataclasses.replace(board, cflags=[*board.cflags, "-U__ARM_FEATURE_DSP"])
    target = Target.from_board(board)
    columns = [("DSP -O2", board, "O2", None)]
    if not args.quick:
        columns = [("generic C -O2", board, "O2", "generic"), ("plane kernel, C path -O2", no_dsp, "O2", None),
                   *columns, ("DSP -O3", board, "O3", None), ("DSP -Os", board, "Os", None)]
    d = [c[0] for c in columns].index("DSP -O2")
    header = ["model", "op", "input", "K/stride", "MACs", *(c[0] for c in columns), "MAC/instr (DSP -O2)",
              "instr/output", "planes x strip rows, scratch B", "bit-exact"]
    print(f"board {board.name} (QEMU {board.emulator.machine}), instructions per layer (emulated core)\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    rng = np.random.default_rng(0)
    totals: dict[str, list[int]] = {}
    generic = engine.restricted(target, generic_only=True)
    for key, i, sub, decisions in layers(args.models, target):
        op = sub.ops[0]
        x = rng.integers(-128, 128, size=sub.tensors[sub.inputs[0]].shape).astype(np.int8)
        counts, exact = [], True
        layout = decisions.depthwise_layout(0)
        for _, brd, opt, mode in columns:
            with tempfile.TemporaryDirectory() as tmp:
                n, ok = run_layer(sub, x, brd, generic if mode else target, opt, Path(tmp), decisions)
            counts.append(n)
            exact &= ok
        macs = macs_of(sub)
        outputs = sub.tensors[sub.outputs[0]].size
        t = totals.setdefault(key, [0] * (len(columns) + 1))
        t[0] += macs
        for j, n in enumerate(counts):
            t[j + 1] += n
        k = sub.tensors[op.inputs[1]].shape[1]
        print(f"| {key} | {i} | {list(sub.tensors[sub.inputs[0]].shape)} | {k}x{k} s{op.stride[0]}"
              + (f"x{op.stride[1]}" if op.stride[0] != op.stride[1] else "")
              + f" | {macs} | " + " | ".join(f"{n / 1e6:.3f} M" for n in counts)
              + f" | {macs / counts[d]:.2f} | {counts[d] / outputs:.1f} | {layout.groups} x {layout.strip_rows}, "
              f"{layout.scratch_bytes} | {'yes' if exact else 'NO'} |", flush=True)
    for key, t in totals.items():
        print(f"| {key} | all | | | {t[0]} | " + " | ".join(f"{n / 1e6:.3f} M" for n in t[1:])
              + f" | {t[0] / t[d + 1]:.2f} | | | |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
