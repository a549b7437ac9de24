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
from mcunet_core.engine.kernels import depthwise as dw
from mcunet_core.engine.kernels import registry
from mcunet_core.engine.kernels.base import LoweringContext
from mcunet_core.engine.target import Target
from mcunet_core.importers.tflite import import_tflite
from mcunet_core.ir import Activation, Graph, Padding2D, QuantParams, Tensor
from mcunet_core.ir.ops import DepthwiseConv2D, conv_output_hw
from mcunet_core.ir.reference import run as reference_run
from mcunet_core.spec import load_board

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "models"
MODELS = {"vww": "vww_96_int8", "kws": "kws_ref_model"}
#: MCUNet search-space depthwise layers (input shape, kernel, stride) with synthetic weights
MCUNET_LAYERS = [((1, 40, 40, 24), 5, 1), ((1, 40, 40, 48), 7, 2), ((1, 20, 20, 40), 7, 1),
                 ((1, 20, 20, 96), 5, 2), ((1, 10, 10, 96), 3, 1), ((1, 10, 10, 160), 7, 1)]


def layer_graph(g: Graph, index: int) -> Graph:
    op = g.ops[index]
    sub = Graph(f"{g.name}_op{index}")
    for name in (*op.inputs, *op.outputs):
        if name:
            sub.add_tensor(copy.copy(g.tensors[name]))
    sub.ops, sub.inputs, sub.outputs = [op], [op.inputs[0]], [op.outputs[0]]
    return sub


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


@contextlib.contextmanager
def generic_kernels_only():
    saved = {op: list(ks) for op, ks in registry._KERNELS.items()}
    try:
        for op, ks in registry._KERNELS.items():
            ks[:] = [k for k in ks if k.PRIORITY == 0]
        yield
    finally:
        for op, ks in saved.items():
            registry._KERNELS[op][:] = ks


@contextlib.contextmanager
def layout_as(layout: dw.DwLayout | None):
    """Lower the one-layer graph with the layout the layer gets inside its model."""
    original = dw.choose_layout
    if layout is not None:
        dw.choose_layout = lambda *a, **kw: dataclasses.replace(original(*a, **kw), groups=layout.groups,
                                                                  batch_rows=layout.batch_rows)
    try:
        yield
    finally:
        dw.choose_layout = original


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


def layers(models: list[str], target: Target):
    """(model key, op index, one-layer graph, layout inside the model)."""
    for key in models:
        if key == "mcunet":
            for i, (shape, k, s) in enumerate(MCUNET_LAYERS):
                g = synthetic_layer(shape, k, s, i)
                x, y = g.tensors["x"], g.tensors["y"]
                op = g.ops[0]
                # no model around it: the layout of a layer away from the activation peak
                free = dw.choose_layout(k, (s, s), x.shape[1:3], x.shape[3], y.shape[1:3], op.padding.top,
                                        op.padding.left, 1, target.ram_budget, x.nbytes, None)
                yield key, i, g, free
            continue
        g = import_tflite(SHARED / f"{MODELS[key]}.tflite")
        for i, op in enumerate(g.ops):
            if isinstance(op, DepthwiseConv2D):
                yield key, i, layer_graph(g, i), dw.layout_of(LoweringContext(g, op, i, target))


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
    for key, i, sub, model_layout in layers(args.models, target):
        op = sub.ops[0]
        x = rng.integers(-128, 128, size=sub.tensors[sub.inputs[0]].shape).astype(np.int8)
        counts, exact = [], True
        with layout_as(model_layout):
            layout = dw.layout_of(LoweringContext(sub, op, 0, target))
            for _, brd, opt, mode in columns:
                with tempfile.TemporaryDirectory() as tmp, (generic_kernels_only() if mode else contextlib.nullcontext()):
                    n, ok = run_layer(sub, x, brd, target, opt, Path(tmp))
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
