"""What ``constraints.patch: auto`` gives the NAS: search-space networks measured as the NAS
measures them, whole tensors against the narrow patch search (``NAS_PATCHES``), with the
seconds each measurement takes.

    python bench/patch_nas.py                              # VWW space on h743, two sizes
    python bench/patch_nas.py --board f412 --task vww --space 0.3x64 --samples 3

``--winner [SPEC]``: a searched network (a build's ``nas/nas-vww-h743.yaml``; without SPEC the
evolution's MACs fitness, ``python -m mcunet_core.nas search``'s, at the main job's stage-1 pick
w0.3 x r80 under the search spec's limits: not the main job's supernet-accuracy winner) compiled
with patches off and auto (input in the arena and outside it), run on QEMU (-O2): peak SRAM
(arena + static RAM + stack high-water), instructions, bit-exact with the reference interpreter.

``--stage1``: what stage 1 picks (width x resolution) under a tight SRAM limit (``--sram``) with
whole tensors, ``patch: auto``, and ``patch: auto`` with the input outside, over a small grid
(``--no-macs-limit``: without the spec's MACs limit, which otherwise rejects most larger pairs).

    python bench/patch_nas.py --winner
    python bench/patch_nas.py --stage1 --sram 32000 --no-macs-limit --samples 6 --widths 0.2 0.3 0.4 0.5 \\
        --resolutions 64 96 128 160
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time

import numpy as np

from mcunet_core import engine
from mcunet_core.arch import Arch
from mcunet_core.nas.constraints import NAS_PATCHES, Constraints, Limits, deployment_target, estimate_graph
from mcunet_core.nas.evolution import EvolutionSettings, evolve
from mcunet_core.nas.space import SearchSpace
from mcunet_core.spec import load_board, load_model, load_search, load_task

OUTSIDE = engine.InputPlacement("external")
#: the main job's stage-1 pick for VWW on h743 (README, main-job table)
MAIN_JOB_PAIR = (0.3, 80)


def winner(args, board, search, task, limits) -> tuple[Arch, str]:
    """The network ``--winner`` compiles: a searched model spec's, or the MACs-fitness evolution's."""
    if args.winner != "macs":
        model = load_model(args.winner)
        space = SearchSpace.from_specs(search, task, 0.3, model.resolution)  # only the input shape and classes
        return Arch.from_spec(model.architecture, space.input_shape, space.num_classes), f"model spec {args.winner}"
    space = SearchSpace.from_specs(search, task, *MAIN_JOB_PAIR)
    result = evolve(space, lambda a: float(a.macs()), Constraints.for_board(board, limits),
                    EvolutionSettings.from_spec(search), np.random.default_rng(search.evolution["seed"]))
    return result.arch, (f"MACs-fitness evolution at w{MAIN_JOB_PAIR[0]} x r{MAIN_JOB_PAIR[1]} "
                         f"(population {search.evolution['population']}, {search.evolution['generations']} generations)")


def run_winner(args, board, search, task, limits) -> None:
    from mcunet_core.device.runners.qemu import QemuRunner
    from mcunet_core.ir.model_io import ModelIO
    from mcunet_core.ir.reference import run
    from mcunet_core.pipeline.model_firmware import build_model_firmware
    from mcunet_core.sram import peak_sram_bytes

    arch, where = winner(args, board, search, task, limits)
    graph = estimate_graph(arch)
    x = ModelIO.of_graph(graph).default_inputs(0)[0]
    want = run(graph, [x])[graph.outputs[0]]
    print(f"{where}: {arch.macs() / 1e6:.2f} M MACs, input {graph.tensors[graph.inputs[0]].shape}; "
          f"board {board.name}, -O2, peak SRAM = arena + static RAM + stack high-water on QEMU\n")
    print("| input | patch | schedule | arena | predicted | peak SRAM | measured | vs whole | peak SRAM vs whole | bit-exact |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    base = None
    for placement, policy in ((None, "off"), (None, "auto"), (OUTSIDE, "off"), (OUTSIDE, "auto")):
        target = deployment_target(board, limits, engine.PatchPolicy(policy), placement)
        decisions = engine.decide(graph, target)
        lowered = engine.lower(graph, target, decisions)
        with tempfile.TemporaryDirectory() as tmp:
            built = build_model_firmware(graph, board, tmp, "O2", target=target, decisions=decisions)
            r = QemuRunner(board).run(built.firmware.elf, np.ascontiguousarray(x).tobytes()).raise_for_status()
            peak = peak_sram_bytes(built.firmware.memory["static_ram_excl_stack_bytes"], r.stack_used)
        out = graph.tensors[graph.outputs[0]]
        exact = np.array_equal(np.asarray(r.output).view(out.dtype.numpy).reshape(out.shape), want)
        base = base or (peak, int(r.count))
        s = decisions.schedule
        schedule = "whole tensors" if s is None else f"split {s.split}, {s.grid[0]}x{s.grid[1]}"
        print(f"| {placement or 'arena'} | {policy} | {schedule} | {lowered.plan.arena_bytes:,} B | "
              f"{lowered.instructions():,} | {peak:,} B | {int(r.count):,} | {int(r.count) / base[1] - 1:+.1%} | "
              f"{base[0] / peak:.2f}x lower | {'yes' if exact else 'NO'} |", flush=True)


def run_stage1_tight(args, board, search, task, limits) -> None:
    from mcunet_core.nas.stage1 import run_stage1

    grid = {**search.space, "width_multipliers": args.widths, "resolutions": args.resolutions}
    small = dataclasses.replace(search, space=grid, raw={**search.raw, "space": grid})
    tight = dataclasses.replace(limits, sram=args.sram, **({"macs": None} if args.no_macs_limit else {}))
    print(f"stage 1 under {args.sram:,} B SRAM ({tight.describe().split(', ', 1)[1]}), widths {args.widths}, "
          f"resolutions {args.resolutions}, {args.samples} samples per pair\n")
    print("| candidates measured with | chosen | its 0.8-quantile MACs | samples fitting | pairs eligible | seconds |")
    print("|---|---|---|---|---|---|")
    for what, patch, placement in (("whole tensors", engine.PatchPolicy("off"), None),
                                   ("patch: auto", NAS_PATCHES, None),
                                   ("patch: auto, input external", NAS_PATCHES, OUTSIDE)):
        c = Constraints(deployment_target(board, tight, patch, placement), board.clock_hz, tight)
        t0 = time.perf_counter()
        try:
            r = run_stage1(small, task, c, samples=args.samples, jobs=args.jobs)
        except Exception as err:  # noqa: BLE001 - no pair fits: say so
            print(f"| {what} | none ({err}) | | | | {time.perf_counter() - t0:.0f} |", flush=True)
            continue
        ch = r.chosen
        eligible = sum(p.eligible(0.1) for p in r.pairs)
        print(f"| {what} | w{ch.width:g} x r{ch.resolution} | {ch.macs_quantile(r.quantile) / 1e6:.2f} M | "
              f"{len(ch.fitting_macs)}/{ch.samples} | {eligible}/{len(r.pairs)} | {time.perf_counter() - t0:.0f} |",
              flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", default="h743")
    ap.add_argument("--task", default="vww")
    ap.add_argument("--search", default="mcunet")
    ap.add_argument("--space", action="append", help="width x resolution, e.g. 0.6x112 (default 0.3x64, 0.6x112)")
    ap.add_argument("--samples", type=int, default=1, help="networks per space (SearchSpace.sample, seeds 0..)")
    ap.add_argument("--winner", nargs="?", const="macs", help="a searched model spec compiled off/auto on QEMU "
                    "(no SPEC: the MACs-fitness evolution at w0.3 x r80)")
    ap.add_argument("--stage1", action="store_true", help="stage 1's pick under --sram: whole tensors vs patches")
    ap.add_argument("--sram", type=int, default=32_000, help="--stage1's SRAM limit (bytes, default 32,000)")
    ap.add_argument("--widths", type=float, nargs="+", default=[0.3, 0.4, 0.5])
    ap.add_argument("--resolutions", type=int, nargs="+", default=[64, 96, 128])
    ap.add_argument("--no-macs-limit", action="store_true", help="--stage1 without the search spec's MACs limit")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    board, search, task = load_board(args.board), load_search(args.search), load_task(args.task)
    limits = Limits.resolve(search, board)
    if args.winner:
        run_winner(args, board, search, task, limits)
        return 0
    if args.stage1:
        run_stage1_tight(args, board, search, task, limits)
        return 0
    whole = Constraints.for_board(board, limits)
    patched = Constraints.for_board(board, limits, patch=NAS_PATCHES)
    print("| space | seed | whole tensors | patch auto (NAS) | schedule | measured in |")
    print("|---|---|---|---|---|---|")
    for text in args.space or ["0.3x64", "0.6x112"]:
        width, resolution = text.split("x")
        space = SearchSpace.from_specs(search, task, float(width), int(resolution))
        for seed in range(args.samples):
            arch = space.sample(np.random.default_rng(seed))
            t0 = time.perf_counter()
            a = whole.measure(arch)
            t1 = time.perf_counter()
            b = patched.measure(arch)
            t2 = time.perf_counter()
            if a is None or b is None:
                print(f"| {text} | {seed} | {'-' if a is None else a.arena} | {'-' if b is None else b.arena} | "
                      f"does not fit | |")
                continue
            extra = b.instructions / a.instructions - 1
            schedule = "whole tensors" if b.patch is None else f"split {b.patch[0]}, {b.patch[1]}x{b.patch[2]}"
            print(f"| {text} | {seed} | {a.arena:,} B, {a.instructions / 1e6:.2f} M | {b.arena:,} B, "
                  f"{b.instructions / 1e6:.2f} M ({extra:+.1%}) | {schedule} | {t1 - t0:.1f} s vs {t2 - t1:.1f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
