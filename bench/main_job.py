"""The main job from a fresh clone: `scons board=B task=T` timed, then the figures README
quotes, read from what the build wrote (stage 1's choice, the search's fitness with its
standard error against the initial population's median, the supernet's extreme subnets,
the winner's size, the NAS's prediction against the firmware's measurement, accuracies, the
share of the budget).

    python bench/main_job.py                       # board=h743 task=vww, a clone of this checkout's HEAD
    python bench/main_job.py --board f412 --task kws --keep /tmp/kws-clone
    python bench/main_job.py --readme              # both main jobs, then README's table rewritten

`--readme` runs VWW on h743 and KWS on f412 (or the `--job board:task` given) and writes
their table between README's `main-job` markers, so its figures come from one command and
cannot go stale. The clone sees only committed work. Not run in tests (about twenty minutes
on 2 cores for both).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from main_job_table import readme_table, replace_block, wall as wall_text  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def clone(dest: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(REPO), str(dest)], check=True)
    shared = REPO.parent / "shared"
    if shared.exists() and not (dest.parent / "shared").exists():
        (dest.parent / "shared").symlink_to(shared)
    return dest


def figures(out: Path) -> list[str]:
    """README's lines, from the build folder of one `scons board=B task=T`."""
    stage1 = json.loads((out / "nas" / "stage1.json").read_text())
    search = json.loads((out / "nas" / "search.json").read_text())
    metrics = json.loads((out / "train" / "metrics.json").read_text())
    result = json.loads((out / "result.json").read_text())
    budget = json.loads((out / "gen" / "budget.json").read_text())
    m, sn = search["measurement"], search.get("supernet", {})
    first = search["history"][0]
    se = search.get("fitness_stderr")
    lines = [
        f"stage 1: width {stage1['chosen']['width']} at {stage1['chosen']['resolution']}",
        f"supernet: {sn.get('epochs')} epochs on {sn.get('train_samples')} samples; smallest subnet "
        f"{sn.get('smallest_accuracy', float('nan')):.3f}, largest {sn.get('largest_accuracy', float('nan')):.3f} "
        f"on {sn.get('fitness_samples')} samples (chance {sn.get('chance', float('nan')):.3f})",
        f"evolution: winner fitness {search['fitness']:.3f} (+- {se if se is not None else float('nan'):.3f}) on "
        f"{sn.get('fitness_samples')} samples ({sn.get('fitness_split', 'val')}), initial population median "
        f"{first.get('median_fitness', float('nan')):.3f}, {search['evaluations']} networks scored",
    ]
    for where, v in search.get("versus_initial_median", {}).items():
        lines.append(f"winner vs the initial median network on the {where} samples ({v['samples']}): "
                     f"{v['winner']:.3f} +- {v['winner_stderr']:.3f} vs {v['median']:.3f}, difference "
                     f"{v['difference']:+.3f} +- {v['paired_stderr']:.3f} paired "
                     f"({v['standard_errors'] or float('nan'):.1f} SE; {v['difference'] / v['winner_stderr']:.1f} SE "
                     f"of the winner's accuracy)")
    lines += [
        f"winner: {m['macs'] / 1e6:.1f} M MACs, {metrics['params']:,} parameters",
        f"NAS predicted: peak SRAM {m['peak_sram']:,} B, flash {m['flash']:,} B, {m['instructions'] / 1e6:.1f} M "
        f"instructions ({m['latency_ms']:.1f} ms)",
        f"firmware measured: peak SRAM {result['peak_sram_bytes']:,} B, flash {result['flash_bytes']:,} B, "
        f"{result['instructions'] / 1e6:.1f} M instructions ({result['latency_ms']:.1f} ms at "
        f"{result['clock_hz'] / 1e6:.0f} MHz)",
        f"budget ({budget['source']}): SRAM {budget['sram']:,} B, flash {budget['flash']:,} B, "
        f"latency {budget['latency_ms']} ms" + (f", {budget['macs']:,} MACs" if budget.get("macs") else ""),
        f"accuracy on {metrics['val_samples']} validation samples ({metrics['train_samples']} train, "
        f"{metrics['epochs']} epochs): float {metrics['float_accuracy']:.3f}, int8 {metrics['int8_accuracy']:.3f}",
        "validation accuracy per fine-tune epoch: "
        + ", ".join(f"{h['val_accuracy']:.3f}" for h in metrics["history"] if "val_accuracy" in h),
    ]
    spec = yaml.safe_load((out / "nas" / next(p.name for p in (out / "nas").glob("nas-*.yaml"))).read_text())
    lines.append(f"model spec: {spec['name']} at resolution {spec['resolution']}")
    return lines


def run_job(root: Path, board: str, task: str) -> float | None:
    """`scons board=B task=T` in the clone; its wall time in seconds, None when it failed."""
    start = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "SCons", f"board={board}", f"task={task}"], cwd=root,
                         env={**os.environ, "PYTHONPATH": str(root)})
    if run.returncode:
        print(f"scons board={board} task={task} failed ({run.returncode})", file=sys.stderr)
        return None
    return time.monotonic() - start


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", default="h743")
    ap.add_argument("--task", default="vww")
    ap.add_argument("--keep", type=Path, help="clone here and keep it (default: a temporary folder)")
    ap.add_argument("--figures", type=Path, metavar="BUILD_DIR",
                    help="only print the figures of a build folder already made (build/<board>/<task>)")
    ap.add_argument("--readme", action="store_true",
                    help="run the main jobs and rewrite README's table between its main-job markers")
    ap.add_argument("--job", action="append", metavar="BOARD:TASK",
                    help="with --readme: the jobs, in column order (default h743:vww and f412:kws)")
    args = ap.parse_args(argv)
    if args.figures:
        for line in figures(args.figures):
            print(f"- {line}")
        return 0
    jobs = [tuple(j.split(":", 1)) for j in (args.job or ["h743:vww", "f412:kws"])] if args.readme \
        else [(args.board, args.task)]
    with tempfile.TemporaryDirectory() as tmp:
        root = clone((args.keep or Path(tmp) / "ci") / "main")
        done = []
        for board, task in jobs:
            wall = run_job(root, board, task)
            if wall is None:
                return 1
            out = root / "build" / board / task
            print(f"\n# scons board={board} task={task}: {wall_text(wall)} on {os.cpu_count()} CPU cores")
            for line in figures(out):
                print(f"- {line}")
            done.append((board, task, wall, out))
        if args.readme:
            readme = REPO / "README.md"
            head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                                  text=True, check=True).stdout.strip()
            table = readme_table(done, commit=head, cores=os.cpu_count())
            readme.write_text(replace_block(readme.read_text(encoding="utf-8"), "main-job", table), encoding="utf-8")
            print(f"\nwrote the main-job table of {readme} (commit {head})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
