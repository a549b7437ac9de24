"""Benchmark: TinyNAS stage 1 on a board, with fewer samples per pair than the spec's.

Prints, per (width, resolution) pair of the grid, the share of sampled networks within the
board's constraints and the spec's quantile of their MACs, the pair chosen, the wall time,
networks measured per second, and the time the spec's samples_per_space would take at that
rate (stage 1 time is proportional to the samples).

    python bench/nas_stage1.py --board f412 --task vww --samples 20
    python bench/nas_stage1.py --board h743 --task kws --samples 50 --jobs 2
"""

from __future__ import annotations

import argparse
import sys
import time

from mcunet_core.nas.constraints import Constraints, Limits
from mcunet_core.nas.stage1 import run_stage1
from mcunet_core.spec import load_board, load_search, load_task


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", default="f412")
    ap.add_argument("--task", default="vww")
    ap.add_argument("--search", default="mcunet")
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    board, task, search = load_board(args.board), load_task(args.task), load_search(args.search)
    limits = Limits.resolve(search, board)
    start = time.perf_counter()
    result = run_stage1(search, task, Constraints.for_board(board, limits), samples=args.samples, jobs=args.jobs)
    wall = time.perf_counter() - start
    q = result.quantile
    print(f"stage 1, {task.name} on {board.name} ({limits.describe()}), {args.samples} samples per pair, "
          f"{args.jobs} processes\n")
    print(f"| width | resolution | fit | {q:g} quantile MACs | rejected by |\n|---|---|---|---|---|")
    for p in result.pairs:
        score = p.macs_quantile(q)
        mark = " **chosen**" if p is result.chosen else ("" if p.eligible(result.min_fit_ratio) else " (out)")
        print(f"| {p.width:g} | {p.resolution} | {p.fit_ratio:.0%} | "
              f"{'-' if score is None else f'{score / 1e6:.1f} M'}{mark} | "
              f"{', '.join(f'{name} {n}' for name, n in p.rejected)} |")
    networks = args.samples * len(result.pairs)
    full = wall * search.stage1["samples_per_space"] / args.samples
    print(f"\nchosen: width {result.chosen.width:g}, resolution {result.chosen.resolution}; {networks} networks in "
          f"{wall:.0f} s ({networks / wall:.1f} per s); the spec's {search.stage1['samples_per_space']} samples per "
          f"pair: about {full / 60:.0f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
