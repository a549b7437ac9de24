"""Supernet training throughput (samples/s) with 1 and N data-parallel processes on this
machine, as `scons procs=N` trains: the main job's space (mcunet search spec, VWW, width 0.3
at 80x80: what stage 1 picks on h743), its settings (global batch 64, sandwich 3), one epoch on
the embedded scenes. CPU: gloo, each process one thread (torchrun's default), against one
process with as many threads as processes. Not run in tests:

    python bench/train_throughput.py [--procs 1 2] [--samples 1024] [--device cpu]

Then, in this process (one thread), what preparing one training scene costs: drawing its
augmentation (every rank does it for the whole global batch) and loading it (only its rank).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]


def worker(args) -> None:
    """One rank (or the single process): time one epoch of supernet training."""
    from mcunet_core.nas.space import SearchSpace
    from mcunet_core.spec import load_search, load_task
    from mcunet_core.train import Compute, Supernet, TrainSettings, train_supernet
    from mcunet_core.train.data import make_dataset
    from mcunet_core.train.distributed import Ranks

    compute = Compute.resolve(args.device)
    ranks = Ranks.from_environment(compute.device)
    search, task = load_search("mcunet"), load_task("vww")
    task = dataclasses.replace(task, dataset=dataclasses.replace(
        task.dataset, embedded={**task.dataset.embedded, "samples": args.samples}))
    space = SearchSpace.from_specs(search, task, 0.3, 80)
    data = make_dataset(task, "train", resolution=space.resolution)
    settings = TrainSettings(**{**search.raw["supernet"], "epochs": 1})
    supernet = Supernet(space, seed=settings.seed)
    ranks.barrier()
    start = time.perf_counter()
    train_supernet(supernet, data, settings, progress=False, compute=compute, ranks=ranks)
    ranks.barrier()
    seconds = time.perf_counter() - start
    samples = len(data) // settings.batch_size * settings.batch_size
    if ranks.main:
        print(f"RESULT {ranks.world} {samples} {seconds:.2f} {samples / seconds:.1f}", flush=True)


def measure(procs: int, args) -> tuple[int, float, float]:
    base = [sys.executable]
    if procs > 1:
        base += ["-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={procs}"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if procs == 1:
        env["OMP_NUM_THREADS"] = str(args.threads or max(args.procs))
    done = subprocess.run([*base, __file__, "--worker", "--samples", str(args.samples), "--device", args.device],
                          capture_output=True, text=True, env=env)
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT")), None)
    if line is None:
        raise SystemExit(done.stderr[-3000:])
    _, _, samples, seconds, rate = line.split()
    return int(samples), float(seconds), float(rate)


def preparation(samples: int) -> tuple[float, float]:
    """Microseconds per scene to draw its augmentation and to load (augment) it."""
    from mcunet_core.spec import load_task
    from mcunet_core.train.data import make_dataset

    torch.set_num_threads(1)
    task = load_task("vww")
    task = dataclasses.replace(task, dataset=dataclasses.replace(
        task.dataset, embedded={**task.dataset.embedded, "samples": samples}))
    data = make_dataset(task, "train", resolution=80)
    start = time.perf_counter()
    drawn = [data.draw(i) for i in range(len(data))]
    middle = time.perf_counter()
    for i, d in enumerate(drawn):
        data.load(i, d)
    end = time.perf_counter()
    return 1e6 * (middle - start) / len(data), 1e6 * (end - middle) / len(data)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--procs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--samples", type=int, default=1024, help="embedded VWW scenes (75 %% of them train)")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"])
    ap.add_argument("--threads", type=int, default=0, help="threads of the 1-process run (default: max procs)")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args)
        return 0
    print(f"supernet training, mcunet space w0.3 r80 (VWW), global batch 64, sandwich 3, {args.device}, "
          f"{os.cpu_count()} cores, torch {torch.__version__}")
    print("| processes | samples | seconds | samples/s |\n|---|---|---|---|")
    for procs in args.procs:
        samples, seconds, rate = measure(procs, args)
        print(f"| {procs} | {samples} | {seconds:.1f} | {rate:.1f} |", flush=True)
    draw, load = preparation(args.samples)
    print(f"preparing a scene (1 thread): drawing its augmentation {draw:.0f} us, loading it {load:.0f} us")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
