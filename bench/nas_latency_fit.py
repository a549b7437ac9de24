"""Measure kernel costs under QEMU and refit the engine's cost table (mcunet_core/engine/kernel_costs.json).

Compiles every kernel source alone for its code size; builds a set of models (MLPerf Tiny VWW
and KWS from ../shared/models when present, and networks of the MCUNet search space for vww,
kws and imagenet, some with a lean flash budget so the int8-weight (w8) kernels run too) and
runs each on the emulated board twice (plain: total instructions, stack high-water, static
RAM and code size; profile build: instructions per op); fits instructions per latency family
(each kernel class declares its family and work counts; mcunet_core/engine/cost_fit.py) and
the runtime + per-op code line over the kernel sizes (raised to cover every build), keeps the largest stack and other static RAM seen, and writes
the table atomically. Prints the fits and measured against predicted figures. Not run by the
tests (about two minutes on 2 cores); the tests check the shipped table against fresh QEMU
runs of other networks.

    python bench/nas_latency_fit.py                 # h743 (Cortex-M7 on mps2-an500), -O2
    python bench/nas_latency_fit.py --out /tmp/costs.json --board f412
"""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from mcunet_core import engine
from mcunet_core.atomic import atomic_write_text
from mcunet_core.device.toolchain import compile_source, find_toolchain, firmware_flags
from mcunet_core.engine import COSTS_PATH, CodeSize, FirmwareCosts, LatencyModel, Target, fit_families, object_code_bytes
from mcunet_core.importers.tflite import import_tflite
from mcunet_core.nas.constraints import Constraints, Limits, estimate_graph
from mcunet_core.nas.space import SearchSpace
from mcunet_core.paths import KERNEL_DIR
from mcunet_core.pipeline.emulator_costs import measure_on_emulator
from mcunet_core.spec import load_search, load_task
from cost_fit_cli import fit_command

#: a held-out network's deepest call chain may pass the fit set's by a few words (measured: 8 B);
#: the NAS reserves this much more stack than any fit build used
STACK_HEADROOM = 32
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "models"
REFERENCE_MODELS = {"vww": "vww_96_int8", "kws": "kws_ref_model"}
OPT = "O2"
LEAN_CODE_BYTES = 16 * 1024
#: Firmware RAM and code (beyond the kernels) assumed while picking fit models that fit the board.
SELECTION_RAM, SELECTION_CODE = 4096, 16 * 1024

#: (task, width, resolution, seed, lean flash): the fit set. Seeds 100+ keep it apart from the
#: networks tests/nas/test_latency.py checks the table against.
FIT_ARCHS = [
    ("vww", 0.3, 64, 100, False), ("vww", 0.3, 96, 101, False), ("vww", 0.4, 80, 102, False),
    ("vww", 0.5, 96, 103, False), ("vww", 0.5, 112, 104, False), ("vww", 0.6, 64, 105, False),
    ("vww", 0.6, 80, 106, False), ("vww", 0.4, 128, 107, False), ("vww", 0.3, 48, 108, False),
    ("vww", 0.5, 96, 109, True), ("vww", 0.4, 80, 110, True), ("vww", 0.6, 112, 111, True),
    ("kws", 0.3, None, 112, False), ("kws", 0.5, None, 113, False), ("kws", 0.4, None, 114, False),
    ("kws", 0.6, None, 115, False), ("kws", 0.5, None, 116, True), ("kws", 0.3, None, 119, True),
    ("kws", 0.4, None, 120, True),
    ("imagenet", 0.3, 96, 117, False), ("imagenet", 0.4, 96, 118, True),
]


def lean_target(graph, board) -> Target:
    """Flash budget = the model's int8 constants + 16 KB: the 1x1/im2col layers keep int8 weights."""
    weights = sum(t.nbytes for t in graph.tensors.values() if t.is_constant)
    return dataclasses.replace(Target.from_board(board), flash_budget=weights + LEAN_CODE_BYTES)


def kernel_code_sizes(board, workdir: Path) -> dict[str, int]:
    """Every kernel source compiled alone with the board's flags: bytes it can add to flash."""
    flags = firmware_flags(board, variant="emulator", opt=OPT, linker_script=workdir / "unused.ld",
                           map_file=workdir / "unused.map", include_dirs=[KERNEL_DIR / "include"])
    sizes = {}
    for src in sorted(KERNEL_DIR.rglob("*.c")):
        obj = workdir / f"{src.stem}.o"
        compile_source(find_toolchain(), flags, src, obj)
        sizes[src.relative_to(KERNEL_DIR).as_posix()] = object_code_bytes(obj)
    return sizes


def fit_code(rows: list[tuple[int, int, int]], kernel_sizes: dict) -> dict:
    """Runtime + per-op code over the kernels' sizes, from (measured code, kernel bytes, calls)
    per build: a least-squares line, its base raised so no build exceeds it."""
    code = np.array([r[0] - r[1] for r in rows], dtype=np.float64)
    calls = np.array([r[2] for r in rows], dtype=np.float64)
    per_op, base = np.polyfit(calls, code, 1)
    base += float(np.max(code - (base + per_op * calls)))
    return {"base": int(np.ceil(base)), "per_op": round(float(per_op), 3), "sources": kernel_sizes}


def fit_models(board, firmware: FirmwareCosts) -> list[tuple[str, object, Target]]:
    models = []
    if SHARED.is_dir():
        for key, stem in REFERENCE_MODELS.items():
            models.append((key, import_tflite(SHARED / f"{stem}.tflite"), Target.from_board(board)))
    else:
        print(f"note: no reference models at {SHARED}; fitting on search-space networks only", file=sys.stderr)
    search = load_search("mcunet")
    fits_board = Constraints.for_board(board, Limits(board.arena_budget, board.flash_budget, None), firmware)
    for task, width, res, seed, lean in FIT_ARCHS:
        space = SearchSpace.from_specs(search, load_task(task), width, res)
        rng = np.random.default_rng(seed)
        arch = next(a for a in (space.sample(rng) for _ in range(10_000)) if fits_board.check(a))
        graph = estimate_graph(arch)
        graph.name = f"{task}_w{round(width * 100)}_r{space.resolution}_s{seed}{'_lean' if lean else ''}"
        models.append((graph.name, graph, lean_target(graph, board) if lean else Target.from_board(board)))
    return models


def main(argv=None) -> int:
    args, board = fit_command(__doc__, argv)
    with tempfile.TemporaryDirectory() as tmp:
        kernel_sizes = kernel_code_sizes(board, Path(tmp))
    selection = FirmwareCosts(SELECTION_RAM, 0, CodeSize(SELECTION_CODE, 0, tuple(kernel_sizes.items())))
    samples, measured = [], []
    for name, graph, target in fit_models(board, selection):
        with tempfile.TemporaryDirectory() as tmp:
            costs = measure_on_emulator(graph, board, tmp, target=target, per_op=True, opt=OPT)
        lowered = engine.lower(graph, target)
        work = lowered.work()
        samples += [(w, costs.per_op[w.index]) for w in work]
        measured.append((name, lowered, costs, work))
        print(f"measured {name}: {costs.instructions:,} instructions", file=sys.stderr, flush=True)
    families = fit_families(samples)
    # families these models never sample (copy_block: bench/patch_copy_fit.py) keep their fit
    earlier = json.loads(COSTS_PATH.read_text(encoding="utf-8"))["latency"]["families"] if COSTS_PATH.exists() else {}
    families = dict(sorted({**{k: v for k, v in earlier.items() if k not in families}, **families}.items()))
    model = LatencyModel({k: tuple(v["coefficients"]) for k, v in families.items()})
    plans = {name: lowered.plans for name, lowered, _, _ in measured}
    code = fit_code([(costs.code_bytes, selection.code.kernel_bytes(plans[name]),
                      sum(p.function is not None for p in plans[name])) for name, _, costs, _ in measured],
                    kernel_sizes)
    code_model = CodeSize.from_json(code)
    rows = []
    for name, _, costs, work in measured:
        predicted = model.instructions(work)
        rows.append({"model": name, "measured": costs.instructions, "predicted": predicted,
                     "error": round(predicted / costs.instructions - 1, 4), "stack_bytes": costs.stack_bytes,
                     "other_static_ram_bytes": costs.other_static_ram_bytes, "code_bytes": costs.code_bytes,
                     "code_predicted": code_model.bytes(plans[name])})
    basis = (f"instructions of mcunet_invoke() on QEMU {board.emulator.machine} (-icount), board {board.name}, "
             f"-{OPT}, arm-none-eabi-gcc {find_toolchain().version}; not cycles")
    doc = {
        "latency": {"basis": basis, "families": families},
        "firmware": {
            "basis": f"plain -{OPT} builds of the fit models on {board.name}: largest stack high-water "
                     f"+ {STACK_HEADROOM} B of headroom and static RAM besides the arena; code = kernel objects "
                     f"compiled alone + a covering line in the number of calls",
            "stack_bytes": max(r["stack_bytes"] for r in rows) + STACK_HEADROOM,
            "other_static_ram_bytes": max(r["other_static_ram_bytes"] for r in rows),
            "code": code,
        },
        "models": rows,
    }
    atomic_write_text(args.out, json.dumps(doc, indent=1) + "\n")
    print("| family | layers | max layer error | coefficients |\n|---|---|---|---|")
    for fam, v in families.items():
        coef = ", ".join(f"{n}={c:g}" for n, c in zip(v["features"], v["coefficients"]))
        print(f"| {fam} | {v['layers']} | {v['max_rel_error']:.1%} | {coef} |")
    print(f"\ncode: {code['base']} B + {code['per_op']} B per call + the kernels linked")
    print("\n| model | instructions | predicted | error | stack | other static RAM | code | predicted |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['measured']:,} | {r['predicted']:,} | {r['error']:+.1%} | {r['stack_bytes']} | "
              f"{r['other_static_ram_bytes']} | {r['code_bytes']} | {r['code_predicted']} |")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
