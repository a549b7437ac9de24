"""TinyNAS against hand-scaled networks on real data (issue 10 part 4), from a fresh clone.

The whole `scons board=B task=T` pipeline runs on a task spec that points at a `.npz` (the
product's own npz loader) made from `../shared/datasets`, outside the repository:

- kws: the Speech Commands v0.02 test clips split by speaker (80/20, seeded), board f412;
- vww: the COCO images with VWW labels split by image (75/25, seeded), board f746.

Then, with one recipe for all (`--epochs` from scratch at lr 0.05, in each model spec's `training:`;
int8 by the same quant spec; compiled under the winner's budget), it trains the TinyNAS
winner's architecture, MobileNetV2 scaled in width and resolution until its peak SRAM and
flash come closest to the winner's without passing them by more than 10 % (measured by the
engine, as the search measures), and for kws the MLPerf Tiny DS-CNN. One table: MACs,
parameters, peak SRAM, flash, instructions (firmware on QEMU), float and int8 accuracy with
standard errors (class-balanced too for vww), wall time; then each baseline's gap to the
winner with the paired standard error on the shared validation samples.

    python bench/real_data.py --task kws            # about 45 minutes on 2 cores
    python bench/real_data.py --task vww --epochs 30 --keep /tmp/real-vww

``--budget dscnn`` (kws; issue 10 part 4 at DS-CNN's memory, issue 14 part 4): the budget is
the DS-CNN's own peak SRAM and flash on the board, measured by the engine as `scons
model=dscnn-kws` deploys it (the board's flash budget, whole tensors; no application reserve).
The bench writes its own search spec (``extends: mcunet``, narrower and shallower MFCC stages so
the space reaches a budget this small, the limits in bytes) and searches once per ``--quant``
(int8, int4: the NAS counts 4-bit filters in its flash limit); then, with the same recipe,
each winner from scratch (each quant spec's QAT) and DS-CNN with int8 and int4 weights:

    OMP_NUM_THREADS=1 python bench/real_data.py --task kws --budget dscnn --keep /tmp/real-kws-dscnn

(one torch thread per process: on 2 cores shared with other work, two threads made every
training epoch several times slower.)

These sets are small parts of the official splits: absolute accuracies are below published ones.
Not run in tests.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "datasets"

#: per task: the board, the data file, what splits it, the validation share
JOBS = {
    "kws": {"board": "f412", "file": "speech_commands_v002_test.npz", "group": "speaker", "val": 0.2},
    "vww": {"board": "f746", "file": "vww_coco_96.npz", "group": None, "val": 0.25},
}

#: MobileNetV2 (Sandler et al. 2018): stem 32, a t=1 block of 16, then (channels, depth, stride), t=6, 3x3
MBV2 = {"stem": 32, "first": 16, "stages": [(24, 2, 2), (32, 3, 2), (64, 4, 2), (96, 3, 1), (160, 3, 2), (320, 1, 1)]}
WIDTHS = [round(0.1 + 0.05 * i, 2) for i in range(29)]  # 0.1 .. 1.5
MATCH = 1.10  # a baseline may use up to 10 % more SRAM and flash than the winner
#: 2,413 real VWW images train no network from scratch; the generated scenes first do (README)
PRETRAIN_EPOCHS = {"kws": 0, "vww": 4}


# -- data -----------------------------------------------------------------------------------

def split(n: int, groups: np.ndarray | None, val: float, seed: int = 0) -> np.ndarray:
    """'train' / 'val' per sample: whole groups (speakers) to one side, else single samples."""
    rng = np.random.default_rng(seed)
    if groups is None:
        is_val = np.zeros(n, bool)
        is_val[rng.permutation(n)[: int(round(val * n))]] = True
    else:
        names = np.unique(groups)
        chosen = set(rng.permutation(names)[: int(round(val * len(names)))].tolist())
        is_val = np.array([g in chosen for g in groups])
    return np.where(is_val, "val", "train")


def prepare(task: str, work: Path, pretrain_epochs: int = 0) -> Path:
    """The bench's data (.npz) and task spec in ``work``; returns the task spec's path.
    ``pretrain_epochs``: every network first learns the task's generated default set."""
    job = JOBS[task]
    with np.load(SHARED / job["file"], allow_pickle=False) as z:
        x = z["x"] if "x" in z.files else z["images"]
        y = z["y"] if "y" in z.files else z["labels"]
        groups = z[job["group"]] if job["group"] else None
    parts = split(len(y), groups, job["val"])
    np.savez(work / f"{task}-real.npz", x=x, y=y, split=parts)
    spec = {"extends": task, "name": f"{task}-real",
            "description": f"{task} on {job['file']} from ../shared/datasets (bench/real_data.py)",
            "dataset": {"format": "npz", "source": "path", "path": str(work / f"{task}-real.npz"),
                        "splits": {"train": "train", "val": "val"}}}
    if task == "vww":
        spec["training"] = {"balance_classes": True}  # 80 % person: every network weights the classes alike
    if pretrain_epochs:
        spec["pretrain"] = {"task": task, "epochs": pretrain_epochs}
    path = work / f"{task}-real.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    print(f"{task}: {int((parts == 'train').sum())} train / {int((parts == 'val').sum())} val samples"
          + (f", split by {job['group']}" if job["group"] else ", split by image"), flush=True)
    return path


# -- baselines ----------------------------------------------------------------------------

def mbv2_spec(width: float) -> dict:
    from mcunet_core.arch.arch import make_divisible

    def c(ch):
        return make_divisible(ch * width)

    return {"family": "mbv2", "stem": {"channels": c(MBV2["stem"]), "kernel": 3, "stride": 2},
            "first_block": {"channels": c(MBV2["first"]), "kernel": 3},
            "stages": [{"channels": c(ch), "depth": d, "stride": s, "kernel": 3, "expand": 6}
                       for ch, d, s in MBV2["stages"]],
            "head": {"channels": None, "pool": "avg", "dropout": 0.1}}


def match_mbv2(root: Path, task_spec: Path, board: str, search: dict) -> tuple[dict, int, dict]:
    """The MobileNetV2 (width x resolution) whose engine-measured peak SRAM and flash, under
    the winner's budget, come closest to the winner's from below 110 % on both."""
    sys.path.insert(0, str(root))
    from mcunet_core.nas.constraints import Limits, deployment_target, measure
    from mcunet_core.pipeline.train import arch_of
    from mcunet_core.spec import load_board, load_task

    b, task = load_board(board), load_task(task_spec)
    target = deployment_target(b, Limits.from_json(search["limits"]))
    want = search["measurement"]
    resolutions = [search["space"]["resolution"]] if task.input_kind != "image" else task.resolutions
    best = None
    for r in resolutions:
        for w in WIDTHS:
            arch = arch_of(mbv2_spec(w), r, task, f"mbv2-w{w}-r{r}")
            m = measure(arch, target, clock_hz=b.clock_hz)
            if m is None:
                continue
            ratios = (m.peak_sram / want["peak_sram"], m.flash / want["flash"])
            if max(ratios) > MATCH:
                continue
            score = (min(ratios), m.macs)
            if best is None or score > best[0]:
                best = (score, w, r, m, ratios)
    if best is None:
        raise SystemExit("no MobileNetV2 width x resolution fits within 110 % of the winner's SRAM and flash")
    _, w, r, m, ratios = best
    print(f"MobileNetV2 w{w} r{r}: peak SRAM {m.peak_sram:,} B ({ratios[0]:.0%} of the winner's), flash {m.flash:,} B "
          f"({ratios[1]:.0%})", flush=True)
    return mbv2_spec(w), r, {"width": w, "resolution": r, "sram_ratio": ratios[0], "flash_ratio": ratios[1]}


def model_spec(work: Path, name: str, description: str, task_spec: Path, resolution: int, architecture: dict,
               budget: dict, training: dict) -> Path:
    """A baseline's model spec: the recipe in ``training`` (the task spec holds only the data,
    so changing the recipe never reruns the search)."""
    path = work / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"name": name, "description": description, "task": str(task_spec),
                                    "resolution": resolution, "budget": budget, "training": training,
                                    "architecture": architecture}, sort_keys=False))
    return path


# -- the DS-CNN's own budget (--budget dscnn) ----------------------------------------------

#: where the `mcunet` MFCC space is too wide for DS-CNN's ~10 KB of SRAM (its smallest network
#: at width 0.5 needs more) and too deep for ~69 KB of flash (every residual ADD links 2 KB of
#: tables): narrower widths and stages of 1-3 blocks; every other setting is `mcunet`'s
DSCNN_SPACE = {"width_multipliers": [0.25, 0.3, 0.4, 0.5], "depths": [1, 2, 3]}


def dscnn_model(root: Path) -> dict:
    return yaml.safe_load((root / "specs" / "models" / "dscnn-kws.yaml").read_text())


def dscnn_budget(root: Path, task_spec: Path, board: str) -> dict:
    """DS-CNN's int8 peak SRAM and flash as `scons model=dscnn-kws` deploys it (the board's
    budgets, whole tensors), measured by the engine as the search measures: the limits, in
    bytes, of the searches under its budget."""
    sys.path.insert(0, str(root))
    from mcunet_core.nas.constraints import deployment_target, measure
    from mcunet_core.pipeline.train import arch_of
    from mcunet_core.spec import load_board, load_task

    b, task, dscnn = load_board(board), load_task(task_spec), dscnn_model(root)
    arch = arch_of(dscnn["architecture"], dscnn["resolution"], task, "dscnn")
    m = measure(arch, deployment_target(b, board_limits(b)), clock_hz=b.clock_hz)
    print(f"DS-CNN on {board}: peak SRAM {m.peak_sram:,} B, flash {m.flash:,} B (engine, int8, as deployed): "
          f"the searches' limits", flush=True)
    return {"sram": m.peak_sram, "flash": m.flash}


def board_limits(board):
    """The budget a model without one is compiled under (rules/mcunet_stages.py budget_for)."""
    from mcunet_core.nas.constraints import Limits

    return Limits(board.arena_budget, board.flash_budget, board.latency_budget_ms)


def budget_search_spec(work: Path, budget: dict, extra: dict | None = None) -> Path:
    """The bench's search spec: `mcunet` with DSCNN_SPACE for MFCC inputs and the limits in
    bytes (an explicit number is the model's own budget: no reserve is taken from it);
    ``extra`` is merged on top (e.g. a shorter supernet for a quick check of the wiring)."""
    spec = {"extends": "mcunet", "name": "mcunet-dscnn-budget",
            "description": "mcunet under DS-CNN's own SRAM and flash (bench/real_data.py --budget dscnn)",
            "space": {"inputs": {"mfcc": dict(DSCNN_SPACE)}},
            "constraints": {"sram": int(budget["sram"]), "flash": int(budget["flash"])}}
    for key, value in (extra or {}).items():
        spec[key] = {**spec.get(key, {}), **value} if isinstance(value, dict) else value
    path = work / "mcunet-dscnn-budget.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


# -- running and reading ------------------------------------------------------------------

#: a scons call shorter than this built nothing new: its row keeps the wall time recorded
#: when it was built (``--keep`` folders: walls.json), or shows none
UP_TO_DATE_S = 60.0


def scons(root: Path, *args: str) -> float | None:
    """Wall seconds of ``scons args`` in ``root``; for a build already up to date, the time the
    build took when it was made (``root/../walls.json``), None when that is not known."""
    start = time.monotonic()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCUNET_")}
    run = subprocess.run([sys.executable, "-m", "SCons", *args], cwd=root, env={**env, "PYTHONPATH": str(root)})
    if run.returncode:
        raise SystemExit(f"scons {' '.join(args)} failed ({run.returncode})")
    wall, log, key = time.monotonic() - start, root.parent / "walls.json", " ".join(args)
    walls = json.loads(log.read_text()) if log.is_file() else {}
    if wall >= UP_TO_DATE_S:
        log.write_text(json.dumps({**walls, key: wall}, indent=1))
        return wall
    return walls.get(key)


@dataclass
class Row:
    label: str
    out: Path
    wall_s: float | None  # None: built by an earlier run of the bench, time not recorded
    correct: np.ndarray | None = None
    balanced: float | None = None

    def figures(self) -> dict:
        metrics = json.loads((self.out / "train" / "metrics.json").read_text())
        result = json.loads((self.out / "result.json").read_text())
        return {"macs": metrics["macs"], "params": metrics["params"], "peak_sram": result["peak_sram_bytes"],
                "flash": result["flash_bytes"], "instructions": result["instructions"],
                "float": metrics["float_accuracy"], "int8": metrics["int8_accuracy"], "n": metrics["val_samples"],
                "epochs": metrics["epochs"]}


def score(row: Row, root: Path, task_spec: Path) -> None:
    """The int8 graph's per-sample correctness on the validation split (the reference
    interpreter, bit-exact with the firmware) and its class-balanced accuracy."""
    sys.path.insert(0, str(root))
    from mcunet_core.ir.serialize import load_graph
    from mcunet_core.spec import load_task
    from mcunet_core.train import int8_predict
    from mcunet_core.train.data import make_dataset

    task = load_task(task_spec)
    graph = load_graph(row.out / "ir")
    shape = graph.tensors[graph.inputs[0]].shape
    resolution = shape[1] if task.input_kind == "image" else None
    predicted, labels = int8_predict(graph, make_dataset(task, "val", resolution=resolution))
    row.correct = predicted == labels
    recalls = [float(row.correct[labels == c].mean()) for c in np.unique(labels)]
    row.balanced = float(np.mean(recalls))
    reported = json.loads((row.out / "train" / "metrics.json").read_text())["int8_accuracy"]
    if abs(float(row.correct.mean()) - reported) > 1e-12:
        raise SystemExit(f"{row.label}: int8 accuracy {row.correct.mean()} here, {reported} in metrics.json")


def se(p: float, n: int) -> float:
    return math.sqrt(max(p * (1 - p), 0.0) / max(n, 1))


def paired(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    d = a.astype(float) - b.astype(float)
    return float(d.mean()), float(d.std(ddof=1) / math.sqrt(len(d)))


def table(rows: list[Row], vww: bool, integer: str = "int8") -> list[str]:
    head = ["network", "MACs", "params", "peak SRAM", "flash", "instructions", "epochs", "float", integer]
    head += ["int8 balanced"] if vww else []
    lines = ["| " + " | ".join(head + ["wall"]) + " |", "|" + "---|" * (len(head) + 1)]
    for r in rows:
        f = r.figures()
        cells = [r.label, f"{f['macs'] / 1e6:.2f} M", f"{f['params']:,}", f"{f['peak_sram']:,} B",
                 f"{f['flash']:,} B", f"{f['instructions'] / 1e6:.2f} M", str(f["epochs"]), f"{f['float']:.3f}",
                 f"{f['int8']:.3f} +- {se(f['int8'], f['n']):.3f}"]
        cells += [f"{r.balanced:.3f}"] if vww else []
        lines.append("| " + " | ".join(cells + ["earlier run" if r.wall_s is None else f"{r.wall_s / 60:.1f} min"])
                     + " |")
    return lines


def gap(a: Row, b: Row, vww: bool = False, integer: str = "int8") -> str:
    d, s = paired(a.correct, b.correct)
    return (f"- {a.label} - {b.label}: {integer} {d:+.3f} +- {s:.3f} paired ({d / s if s else float('nan'):.1f} SE)"
            + (f"; balanced {a.balanced - b.balanced:+.3f}" if vww else ""))


def matched(args, root: Path, work: Path, task_spec: Path, board: str, pretrain: int) -> None:
    """The winner of `scons task=` against baselines scaled to its SRAM and flash."""
    build = root / "build" / board
    rows = [Row("TinyNAS winner (supernet + fine-tune, as `scons task=` deploys it)", build / f"{args.task}-real",
                scons(root, f"board={board}", f"task={task_spec}"))]
    search = json.loads((rows[0].out / "nas" / "search.json").read_text())
    nas = yaml.safe_load(next((rows[0].out / "nas").glob("nas-*.yaml")).read_text())
    budget, res = search["limits"], search["space"]["resolution"]
    recipe = {"epochs": args.epochs, "lr": 0.05, "batch_size": 64}
    specs = [("TinyNAS winner, from scratch", model_spec(work, "tinynas-scratch", "the TinyNAS winner's architecture",
                                                         task_spec, res, nas["architecture"], budget, recipe))]
    arch, r, how = match_mbv2(root, task_spec, board, search)
    specs.append((f"MobileNetV2 w{how['width']} r{how['resolution']}, from scratch",
                  model_spec(work, "mbv2-scaled", "MobileNetV2 scaled to the winner's SRAM and flash", task_spec,
                             r, arch, budget, recipe)))
    if args.task == "kws":
        dscnn = dscnn_model(root)
        specs.append(("DS-CNN (MLPerf Tiny), from scratch",
                      model_spec(work, "dscnn", "MLPerf Tiny DS-CNN", task_spec, dscnn["resolution"],
                                 dscnn["architecture"], budget, recipe)))
    for label, spec in specs:
        name = yaml.safe_load(spec.read_text())["name"]
        rows.append(Row(label, build / name, scons(root, f"board={board}", f"model={spec}", f"task={task_spec}")))
    for row in rows:
        score(row, root, task_spec)
    sn = search["supernet"]
    print(f"\n# {args.task} on {board}: real data, {args.epochs} epochs from scratch for every network"
          + (f" after {pretrain} on the generated {args.task} set" if pretrain else "") + " "
          f"(the winner's pipeline row: {sn['epochs']} supernet epochs + its fine-tune)")
    print_search(search)
    print(f"- MobileNetV2 match: {how['sram_ratio']:.0%} of the winner's peak SRAM, {how['flash_ratio']:.0%} of its flash")
    print()
    for line in table(rows, args.task == "vww"):
        print(line)
    print()
    for base in rows[2:]:
        for winner in (rows[0], rows[1]):
            print(gap(winner, base, args.task == "vww"))


def print_search(search: dict, what: str = "search") -> None:
    sn, res = search["supernet"], search["space"]["resolution"]
    print(f"- {what}: stage 1 width {search['space']['width']} at {res}; fitness on {sn['fitness_samples']} "
          f"held-out train samples; winner {search['fitness']:.3f}")
    for where, v in search.get("versus_initial_median", {}).items():
        print(f"  winner vs initial median ({where}, {v['samples']}): {v['difference']:+.3f} "
              f"+- {v['paired_stderr']:.3f} paired")


def at_dscnn(args, root: Path, work: Path, task_spec: Path, board: str) -> None:
    """Searches under DS-CNN's own SRAM and flash, one per weight format, against DS-CNN."""
    sys.path.insert(0, str(root))
    from mcunet_core.spec import load_board

    build, quants = root / "build" / board, args.quant
    budget = dscnn_budget(root, task_spec, board)
    search_spec = budget_search_spec(work, budget, yaml.safe_load(args.search_extra) if args.search_extra else None)
    recipe = {"epochs": args.epochs, "lr": 0.05, "batch_size": 64}
    suffix = {"int8": "", "int4": "-int4"}
    pipeline, scratch, searches = [], [], {}
    for q in quants:
        out = build / f"{args.task}-real{suffix[q]}"
        pipeline.append(Row(f"TinyNAS {q} winner as `scons task=` deploys it", out,
                            scons(root, f"board={board}", f"task={task_spec}", f"search={search_spec}", f"quant={q}")))
        searches[q] = json.loads((out / "nas" / "search.json").read_text())
    for q in [q for q in quants if q in (args.scratch or quants)]:
        search, out = searches[q], build / f"{args.task}-real{suffix[q]}"
        nas = yaml.safe_load(next((out / "nas").glob("nas-*.yaml")).read_text())
        spec = model_spec(work, f"tinynas-{q}-dscnn-budget", f"the TinyNAS {q} winner under DS-CNN's budget",
                          task_spec, search["space"]["resolution"], nas["architecture"], search["limits"], recipe)
        scratch.append(Row(f"TinyNAS {q} winner, from scratch", build / f"tinynas-{q}-dscnn-budget{suffix[q]}",
                           scons(root, f"board={board}", f"model={spec}", f"task={task_spec}", f"quant={q}")))
    dscnn, limits = dscnn_model(root), board_limits(load_board(board))
    spec = model_spec(work, "dscnn-as-deployed", "MLPerf Tiny DS-CNN, compiled as `scons model=dscnn-kws` is",
                      task_spec, dscnn["resolution"], dscnn["architecture"], limits.to_json(), recipe)
    baselines = []
    for q in ["int8"] + (["int4"] if args.dscnn_int4 else []):
        baselines.append(Row(f"DS-CNN (MLPerf Tiny) {q}, from scratch", build / f"dscnn-as-deployed{suffix[q]}",
                             scons(root, f"board={board}", f"model={spec}", f"task={task_spec}", f"quant={q}")))
    rows = pipeline + scratch + baselines
    for row in rows:
        score(row, root, task_spec)
    print(f"\n# {args.task} on {board} at DS-CNN's own memory: {budget['sram']:,} B peak SRAM, {budget['flash']:,} B "
          f"flash (engine), no reserve; {args.epochs} epochs from scratch for every network, each quant spec's QAT")
    for q in quants:
        print_search(searches[q], f"{q} search")
    print()
    for line in table(rows, False, "integer (int8 / int4 weights)"):
        print(line)
    print()
    ref = baselines[0].figures()
    for row in rows:
        f = row.figures()
        print(f"- {row.label}: {f['peak_sram'] / ref['peak_sram']:.1%} of DS-CNN's peak SRAM, "
              f"{f['flash'] / ref['flash']:.1%} of its flash (firmware); "
              f"{'within' if f['peak_sram'] <= ref['peak_sram'] and f['flash'] <= ref['flash'] else 'OVER'} DS-CNN's memory")
    print()
    for row in scratch:  # one recipe: from scratch
        print(gap(row, baselines[0], integer="integer"))
    for pair in (pipeline, scratch):  # int4 against int8, each pair with one recipe
        if len(pair) == 2:
            print(gap(pair[1], pair[0], integer="integer"))
    if len(baselines) == 2:
        print(gap(baselines[1], baselines[0], integer="integer"))
        if len(scratch) == 2:
            print(gap(scratch[1], baselines[1], integer="integer"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--task", choices=sorted(JOBS), default="kws")
    ap.add_argument("--epochs", type=int, default=12, help="the recipe's epochs from scratch (every network)")
    ap.add_argument("--keep", type=Path, help="work here and keep it (default: a temporary folder)")
    ap.add_argument("--pretrain-epochs", type=int, help="epochs on the task's generated default set before the "
                    "real data, for every network trained from scratch (default: vww 4, kws 0)")
    ap.add_argument("--budget", choices=["winner", "dscnn"], default="winner",
                    help="winner: baselines scaled to the winner's memory; dscnn (kws): searches under DS-CNN's own")
    ap.add_argument("--quant", type=lambda v: v.split(","), default=["int8", "int4"],
                    help="with --budget dscnn: the weight formats to search with, comma-separated (default int8,int4)")
    ap.add_argument("--scratch", type=lambda v: v.split(","),
                    help="with --budget dscnn: which winners to train again from scratch (default: every --quant)")
    ap.add_argument("--no-dscnn-int4", dest="dscnn_int4", action="store_false",
                    help="with --budget dscnn: skip DS-CNN with int4 weights")
    ap.add_argument("--search-extra", help="with --budget dscnn: YAML merged into the bench's search spec "
                    "(e.g. '{supernet: {epochs: 1}}' to check the wiring quickly; not for figures)")
    args = ap.parse_args(argv)
    if args.budget == "dscnn" and args.task != "kws":
        ap.error("--budget dscnn compares against DS-CNN, a keyword-spotting network: use --task kws")
    if bad := [q for q in args.quant + (args.scratch or []) if q not in ("int8", "int4")]:
        ap.error(f"--quant {','.join(bad)}: int8 and int4 only")
    pretrain = args.pretrain_epochs if args.pretrain_epochs is not None else PRETRAIN_EPOCHS[args.task]
    if not (SHARED / JOBS[args.task]["file"]).is_file():
        print(f"skipped: {SHARED / JOBS[args.task]['file']} is not here", file=sys.stderr)
        return 0
    board = JOBS[args.task]["board"]
    with tempfile.TemporaryDirectory() as tmp:
        work = (args.keep or Path(tmp)).resolve()
        work.mkdir(parents=True, exist_ok=True)
        root = work / "main"
        if not root.exists():
            subprocess.run(["git", "clone", "-q", str(REPO), str(root)], check=True)
        task_spec = prepare(args.task, work, pretrain)
        if args.budget == "dscnn":
            at_dscnn(args, root, work, task_spec, board)
        else:
            matched(args, root, work, task_spec, board, pretrain)
    return 0


if __name__ == "__main__":
    sys.exit(main())
