"""TinyNAS for (board, task): stage 1 picks the space, a one-shot supernet is trained on the
task's data, evolution picks its best feasible subnet, whose weights seed the training stage.

With the search spec's ``evolution.holdout`` the supernet trains on the rest of the train
split and candidates are scored on the held-out part; the validation split then re-scores
the winner and the initial population's median, an estimate the selection has not seen.
What differs per kind of task (``tasks``: a detection task's candidates measured with its
heads and post-processing, its supernet with the heads, mAP@0.5 as the fitness) is a class."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..arch import WeightBits
from ..atomic import atomic_write_bytes
from ..nas.constraints import Limits, search_input_placement, search_patch_policy
from ..nas.heads import constraints_for, searched_input_shape
from ..nas.evolution import EvolutionSettings, evolve, write_search
from ..nas.space import SearchSpace
from ..nas.stage1 import run_stage1, write_stage1
from ..train import Compute, SubnetEvaluator, TrainSettings, train_supernet
from ..train.compute import CPU
from ..train.distributed import Ranks
from .pretrain import Pretraining
from .tasks import training_kind

#: BatchNorm re-estimation batches per candidate when the search spec does not say
BN_BATCHES = 10


def search_files(task, board) -> tuple[str, ...]:
    """What the stage writes in its folder; the model spec is named after the task and board."""
    return ("stage1.json", "stage1_cdf.png", "supernet.pt", "search.json", f"{model_name(task, board)}.yaml",
            "subnet.pt")


def model_name(task, board) -> str:
    return f"nas-{task.name}-{board.name}"


@dataclass
class SearchOutcome:
    search_json: Path
    model_spec: Path
    subnet_weights: Path


def save_state(path: Path, state: dict) -> None:
    buf = io.BytesIO()
    torch.save(state, buf)
    atomic_write_bytes(path, buf.getvalue())


def run_search(board, task, search, out_dir, *, jobs: int = 2, progress: bool = True,
               compute: Compute = CPU, quant=None, ranks: Ranks = Ranks()) -> SearchOutcome:
    """Stage 1, the supernet (trained on ``compute``, resumed from ``out_dir/supernet.pt``),
    the evolution and the winner's files in ``out_dir``; candidates' flash is measured with
    the weight bits of ``quant`` (a QuantSpec; None: int8). With several ``ranks`` (torchrun)
    the supernet trains data-parallel, candidates are scored spread over the ranks and rank 0
    alone runs stage 1 and writes the files."""
    out = Path(out_dir)
    kind = training_kind(task)  # a detection task: its heads measured, its supernet, mAP as fitness
    constraints = constraints_for(task, board, Limits.resolve(search, board), patch=search_patch_policy(search),
                                  input_placement=search_input_placement(search), bits=WeightBits.from_quant(quant))
    context = {"board": board.name, "task": task.name, "search": search.name}
    stage1 = None
    if ranks.main:  # the other ranks wait for its choice
        stage1 = run_stage1(search, task, constraints, min_fit_ratio=search.stage1.get("min_fit_ratio", 0.1),
                            jobs=jobs, context=context)
        write_stage1(stage1, out)
    stage1 = ranks.broadcast(stage1)
    chosen = stage1.chosen.resolution
    space = SearchSpace.from_specs(search, task, stage1.chosen.width, chosen,
                                   input_shape=searched_input_shape(constraints, task, chosen))
    resolution = space.resolution
    train_data = kind.dataset(task, "train", resolution)
    plain = kind.dataset(task, "train", resolution, augment=False)
    val_data = kind.dataset(task, "val", resolution)
    objective = kind.objective(resolution)
    holdout = float(search.evolution.get("holdout") or 0)
    seed = search.evolution["seed"]
    if holdout:
        kept, held, subset = kind.holdout(train_data, holdout, seed)
        train_data, calibration, fitness_data = subset(train_data, kept), subset(plain, kept), subset(plain, held)
    else:
        calibration, fitness_data = plain, val_data
    settings = TrainSettings(**(search.raw.get("supernet") or {}))
    supernet = kind.supernet(space, seed=settings.seed)
    pretraining = Pretraining.of(task)
    if pretraining is not None:
        pre_data = kind.dataset(pretraining.task, "train", resolution)
        train_supernet(supernet, pre_data, pretraining.settings(settings), checkpoint=out / "supernet-pretrain.pt",
                       progress=progress, compute=compute, ranks=ranks, objective=objective)
    train_supernet(supernet, train_data, settings, checkpoint=out / "supernet.pt", progress=progress,
                   compute=compute, ranks=ranks, objective=objective)
    bn_batches = int(search.evolution.get("bn_batches", BN_BATCHES))
    evaluator = kind.fitness(supernet, calibration, fitness_data, bn_batches=bn_batches, seed=settings.seed,
                             ranks=ranks)
    evolution = EvolutionSettings.from_spec(search)
    # did the supernet learn? its extreme subnets' accuracies (feasible or not), as the search scores them
    supernet_doc = {"epochs": settings.epochs, "train_samples": len(train_data), "fitness_samples": evaluator.samples,
                    "fitness_split": f"holdout {holdout:g} of train" if holdout else "val",
                    "bn_samples": sum(len(x) for x in evaluator.calibration),
                    **kind.chance(),
                    "pretrained": None if pretraining is None else pretraining.to_json(len(pre_data)),
                    f"smallest_{kind.fitness_key}": evaluator(space.smallest()),
                    f"largest_{kind.fitness_key}": evaluator(space.largest())}
    evaluator.prefetch([space.smallest(), space.largest()])
    result = evolve(space, evaluator, constraints, evolution, np.random.default_rng(seed), prefetch=evaluator.prefetch)
    versus = {"fitness": versus_initial(result, evaluator)}
    if holdout:
        versus["val"] = versus_initial(result, kind.fitness(supernet, calibration, val_data, bn_batches=bn_batches,
                                                            seed=settings.seed, ranks=ranks))
    outcome = SearchOutcome(out / "search.json", out / f"{model_name(task, board)}.yaml", out / "subnet.pt")
    if not ranks.main:
        return outcome
    write_search(out, result, space, constraints, board=board, task=task, search=search,
                               fitness=kind.fitness_name, seed=seed, settings=evolution, stderr=evaluator.stderr,
                               extra={"fitness_metric": kind.fitness_name, "supernet": supernet_doc,
                                      "versus_initial_median": versus})
    save_state(out / "subnet.pt", supernet.extract(result.arch).state_dict())
    return outcome


def versus_initial(result, evaluator: SubnetEvaluator) -> dict:
    """The winner against the initial population's median network on the evaluator's samples:
    both accuracies, their difference, its paired standard error and the ratio of the two."""
    winner, median = result.arch, result.initial_median()
    evaluator.prefetch([winner, median])
    a, b = evaluator(winner), evaluator(median)
    se = evaluator.paired_stderr(winner, median)
    return {"samples": evaluator.samples, "winner": a,
            "winner_stderr": evaluator.stderr(a) if evaluator.stderr is not None else None, "median": b,
            "difference": a - b, "paired_stderr": se, "standard_errors": (a - b) / se if se else None}
