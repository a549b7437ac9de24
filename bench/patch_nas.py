"""What ``constraints.patch: auto`` gives the NAS: search-space networks measured as the NAS
measures them, whole tensors against the narrow patch search (``NAS_PATCHES``), with the
seconds each measurement takes.

    python bench/patch_nas.py                              # VWW space on h743, two sizes
    python bench/patch_nas.py --board f412 --task vww --space 0.3x64 --samples 3
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from mcunet_core.nas.constraints import NAS_PATCHES, Constraints, Limits
from mcunet_core.nas.space import SearchSpace
from mcunet_core.spec import load_board, load_search, load_task


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", default="h743")
    ap.add_argument("--task", default="vww")
    ap.add_argument("--search", default="mcunet")
    ap.add_argument("--space", action="append", help="width x resolution, e.g. 0.6x112 (default 0.3x64, 0.6x112)")
    ap.add_argument("--samples", type=int, default=1, help="networks per space (SearchSpace.sample, seeds 0..)")
    args = ap.parse_args(argv)
    board, search, task = load_board(args.board), load_search(args.search), load_task(args.task)
    limits = Limits.resolve(search, board)
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
