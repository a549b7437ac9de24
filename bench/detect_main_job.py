"""The detection main job (issue 17 part 5, its first line): `scons board=h743 task=person-det`
from a clone of this checkout's HEAD, on the embedded generated scenes, timed; then its
figures, read from what the build wrote: stage 1's choice, the search's fitness (mAP@0.5 on
the held-out scenes), the NAS's predicted peak SRAM, flash and instructions (post-processing
included) against the firmware's measured ones, the instructions of the network and of the
post-processing apart, mAP@0.5 (and the task's metric) of the float and int8 detector on the
validation scenes, and the firmware's boxes against the host decode's.

    python bench/detect_main_job.py                       # clone, build, print
    python bench/detect_main_job.py --figures build/h743/person-det    # a build already made

Not run in tests; the generated data are the project's own scenes (`synthetic-person-det`):
they show the pipeline works, not how the detector does on real images.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from main_job import clone, run_job  # noqa: E402


def figures(out: Path) -> list[str]:
    def load(name):
        return json.loads((out / name).read_text())

    stage1, search, metrics = load("nas/stage1.json"), load("nas/search.json"), load("train/metrics.json")
    result, checked = load("result.json"), load("detections.json")
    m, sn, versus = search["measurement"], search["supernet"], search["versus_initial_median"]
    h, w, _ = search["input_shape"]
    count = "cycles" if "cycles" in result else "instructions"
    return [
        f"stage 1: width {stage1['chosen']['width']} at {w}x{h}",
        f"supernet: {sn['epochs']} epochs on {sn['train_samples']:,} scenes; smallest / largest subnet mAP@0.5 "
        f"{sn['smallest_map50']:.3f} / {sn['largest_map50']:.3f} on {sn['fitness_samples']:,} held-out scenes",
        f"evolution ({search['fitness_metric']}): winner {search['fitness']:.3f} vs initial median "
        f"{versus['fitness']['median']:.3f}: {versus['fitness']['difference']:+.3f} +- "
        f"{versus['fitness']['paired_stderr']:.3f} (paired bootstrap), {search['evaluations']} networks",
        f"winner: {metrics['macs']:,} MACs, {metrics['params']:,} parameters",
        f"NAS predicted (heads and post-processing included): peak SRAM {m['peak_sram']:,} B, flash {m['flash']:,} B, "
        f"{m['instructions'] / 1e6:.1f} M instructions",
        f"firmware measured: peak SRAM {result['peak_sram_bytes']:,} B, flash {result['flash_bytes']:,} B, network "
        f"{result[count] / 1e6:.2f} M {count}, post-processing {result['postprocess_' + count]:,} {count}",
        f"{metrics['metric']} on {metrics['val_samples']:,} generated validation scenes: float {metrics['float_map']:.3f}, "
        f"int8 {metrics['int8_map']:.3f}; mAP@0.5 float {metrics['float_map50']:.3f}, int8 **{metrics['int8_map50']:.3f}** "
        f"(score >= {metrics['scored_at']['score_threshold']})",
        f"the firmware's boxes on the first validation scene: {len(checked['boxes'])}, "
        f"{'equal to' if checked['boxes_equal'] else 'NOT equal to'} the host decode's",
    ]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", default="h743")
    ap.add_argument("--task", default="person-det")
    ap.add_argument("--keep", type=Path, help="clone here and keep it (default: a temporary folder)")
    ap.add_argument("--figures", type=Path, metavar="BUILD_DIR", help="only print the figures of a build folder")
    args = ap.parse_args(argv)
    if args.figures:
        print("\n".join(f"- {line}" for line in figures(args.figures)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        root = clone((args.keep or Path(tmp) / "ci") / "main")
        wall = run_job(root, args.board, args.task)
        if wall is None:
            return 1
        print(f"\n# scons board={args.board} task={args.task}: {wall / 60:.0f} min {wall % 60:.0f} s "
              f"on {os.cpu_count()} CPU cores")
        print("\n".join(f"- {line}" for line in figures(root / "build" / args.board / args.task)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
