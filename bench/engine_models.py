"""Benchmark: the MLPerf Tiny reference models through mcunet on each emulated board.

Prints, per model, board and optimisation level: instructions per inference (emulated
core), MACs per instruction, peak SRAM (arena + stack high-water + other static RAM),
flash (code + constants), the planner's arena against a no-reuse layout, and whether the
output equals TFLite's reference output for every golden input.

    python bench/engine_models.py                       # vww + kws on f746, h743, f412 at -O2
    python bench/engine_models.py --opt O2 O3 Os --boards h743 --models kws
    python bench/engine_models.py --layers --boards h743   # where the instructions go, per op
    python bench/engine_models.py --lean-flash             # flash budget = int8 weights + 16 KB
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

from mcunet_core.device.result import build_result
from mcunet_core.device.runners.qemu import QemuRunner
from mcunet_core.engine import Target
from mcunet_core.importers.tflite import import_tflite
from mcunet_core.pipeline.model_firmware import build_model_firmware
from mcunet_core.ir.stats import graph_stats
from mcunet_core.spec import load_board

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "models"
MODELS = {"vww": "vww_96_int8", "kws": "kws_ref_model"}


LEAN_CODE_BYTES = 16 * 1024


def lean_target(graph, board) -> Target:
    """The board with a flash budget of the model's own constants + 16 KB of code: kernels
    keep int8 weights instead of pre-widened int16 ones wherever that budget demands."""
    weights = sum(t.nbytes for t in graph.tensors.values() if t.is_constant)
    return dataclasses.replace(Target.from_board(board), flash_budget=weights + LEAN_CODE_BYTES)


def bench_one(graph, golden, board_name: str, opt: str, workdir: Path, lean: bool = False) -> dict:
    board = load_board(board_name)
    built = build_model_firmware(graph, board, workdir, opt, target=lean_target(graph, board) if lean else None)
    runner = QemuRunner(board)
    exact, counts, doc = True, set(), None
    for x, ref in zip(golden["input"], golden["output_ref"]):
        run = runner.run(built.firmware.elf, np.ascontiguousarray(x).tobytes()).raise_for_status()
        exact &= np.array_equal(np.asarray(run.output).reshape(ref.shape), ref)
        counts.add(run.count)
        doc = build_result(run, built.firmware.memory, opt=opt)
    macs = graph_stats(graph).total_macs
    return {
        "instructions": max(counts),
        "macs_per_instr": macs / max(counts),
        "peak_sram": doc["peak_sram_bytes"],
        "arena": built.model.plan.arena_bytes,
        "no_reuse": built.model.plan.no_reuse_bytes,
        "stack": doc["stack_bytes"],
        "flash": doc["flash_bytes"],
        "weights": built.model.const_bytes,
        "exact": exact,
    }


def layer_table(graph, golden, board_name: str, opt: str, workdir: Path) -> list[str]:
    """Per-op instructions from a profile build (MCUNET_PROFILE_LAYERS), with MACs and kernel."""
    board = load_board(board_name)
    built = build_model_firmware(graph, board, workdir, opt, defines={"MCUNET_PROFILE_LAYERS": "1"})
    run = QemuRunner(board).run(built.firmware.elf, np.ascontiguousarray(golden["input"][0]).tobytes())
    counts = {int(i): int(c) for i, c in re.findall(r"MCUNET layer (\d+) (\d+)", run.raise_for_status().console)}
    functions = re.findall(r"/\* op (\d+): .*?\*/\n\s+(\w+)\(", built.model.files["model.c"])
    kernel_of = {int(i): f for i, f in functions}
    lines = ["| op | type | output | MACs | instructions | MAC/instr | kernel |", "|---|---|---|---|---|---|---|"]
    for st in graph_stats(graph).ops:
        n = counts.get(st.index, 0)
        ratio = f"{st.macs / n:.2f}" if st.macs and n else "-"
        lines.append(f"| {st.index} | {st.opcode} | {'x'.join(map(str, st.output_shapes[0]))} | {st.macs:,} | "
                     f"{n:,} | {ratio} | {kernel_of.get(st.index, '(view)')} |")
    lines.append(f"| | total | | {graph_stats(graph).total_macs:,} | {sum(counts.values()):,} | | |")
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    ap.add_argument("--boards", nargs="+", default=["f746", "h743", "f412"])
    ap.add_argument("--opt", nargs="+", default=["O2"], choices=["O2", "O3", "Os"])
    ap.add_argument("--layers", action="store_true", help="per-op instruction counts instead of the summary")
    ap.add_argument("--lean-flash", action="store_true", help="flash budget = the model's int8 constants + 16 KB")
    args = ap.parse_args(argv)
    if not SHARED.is_dir():
        print(f"no reference models at {SHARED}", file=sys.stderr)
        return 1
    if args.layers:
        for key in args.models:
            graph = import_tflite(SHARED / f"{MODELS[key]}.tflite")
            golden = np.load(SHARED / f"{MODELS[key]}_golden.npz")
            for board in args.boards:
                with tempfile.TemporaryDirectory() as tmp:
                    print(f"\n{key} on {board} (-{args.opt[0]}), instructions per op (profile build)")
                    print("\n".join(layer_table(graph, golden, board, args.opt[0], Path(tmp))))
        return 0
    all_exact = True
    header = ("model", "board", "opt", "instr/inf", "MAC/instr", "peak SRAM", "arena", "no-reuse", "stack",
              "flash", "consts", "code", "bit-exact")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for key in args.models:
        path = SHARED / f"{MODELS[key]}.tflite"
        graph = import_tflite(path)
        golden = np.load(SHARED / f"{MODELS[key]}_golden.npz")
        for board in args.boards:
            for opt in args.opt:
                with tempfile.TemporaryDirectory() as tmp:
                    r = bench_one(graph, golden, board, opt, Path(tmp), args.lean_flash)
                all_exact &= r["exact"]
                print(f"| {key} | {board} | -{opt} | {r['instructions'] / 1e6:.2f} M | {r['macs_per_instr']:.2f} | "
                      f"{r['peak_sram'] / 1024:.1f} KB | {r['arena'] / 1024:.1f} KB | {r['no_reuse'] / 1024:.1f} KB | "
                      f"{r['stack']} B | {r['flash'] / 1024:.1f} KB | {r['weights'] / 1024:.1f} KB | "
                      f"{(r['flash'] - r['weights']) / 1024:.1f} KB | "
                      f"{'yes' if r['exact'] else 'NO'} |", flush=True)
    return 0 if all_exact else 1  # a benchmark of wrong answers is a failure


if __name__ == "__main__":
    sys.exit(main())
