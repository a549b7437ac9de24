"""``python -m mcunet_core.nas``: TinyNAS from the command line.

    python -m mcunet_core.nas stage1 --board h743 --task vww --out build/nas [--search mcunet]
        [--jobs 2] [--samples N] [--min-fit-ratio 0.1]
    python -m mcunet_core.nas search --board h743 --task vww --out build/nas
        (--stage1 build/nas/stage1.json | --width 0.5 [--resolution 96]) [--fitness macs]
        [--population N] [--generations N] [--seed N]

``stage1`` writes ``stage1.json`` and ``stage1_cdf.png``; ``search`` writes ``search.json``
(the best network, its measurement, the per-generation history, the constraints and the
engine target it was measured with) and ``nas-<task>-<board>.yaml`` (a model spec of the
network). The
command line's fitness is ``macs``, a proxy (more MACs within the constraints); a real search
scores networks with the trained supernet through ``evolution.evolve(fitness=...)``.
User mistakes print one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ..errors import UserError, run_cli
from ..spec import load_board, load_search, load_task
from .constraints import Limits, search_input_placement, search_patch_policy
from .heads import constraints_for, searched_input_shape
from .evolution import EvolutionSettings, evolve, write_search
from .space import SearchSpace
from .stage1 import MIN_FIT_RATIO, run_stage1, write_stage1

FITNESS = {"macs": lambda arch: float(arch.macs())}


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UserError(f"{self.prog}: {message}")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{value} must be between 0 and 1")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{value} must be positive")
    return value


def _parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="python -m mcunet_core.nas", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, help_ in (("stage1", "choose the (width, resolution) pair of the search space"),
                        ("search", "evolutionary search of one (width, resolution) space")):
        p = sub.add_parser(name, help=help_)
        p.add_argument("--board", required=True, help="board spec name (specs/boards)")
        p.add_argument("--task", required=True, help="task spec name (specs/tasks)")
        p.add_argument("--search", default="mcunet", help="search spec name (specs/search; default mcunet)")
        p.add_argument("--out", required=True, type=Path, help="output folder")
    s1 = sub.choices["stage1"]
    s1.add_argument("--jobs", type=_positive_int, default=2, help="processes (default 2)")
    s1.add_argument("--samples", type=_positive_int, help="networks per pair (default: the spec's samples_per_space)")
    s1.add_argument("--min-fit-ratio", type=_fraction, default=MIN_FIT_RATIO,
                    help=f"share of a pair's samples that must fit (default {MIN_FIT_RATIO})")
    ev = sub.choices["search"]
    where = ev.add_mutually_exclusive_group(required=True)
    where.add_argument("--stage1", type=Path, help="stage1.json: search the pair it chose")
    where.add_argument("--width", type=_positive_float, help="width multiplier of the space to search")
    ev.add_argument("--resolution", type=_positive_int, help="input resolution with --width (default: the task's)")
    ev.add_argument("--fitness", choices=sorted(FITNESS), default="macs", help="score of a network (default macs)")
    ev.add_argument("--population", type=_positive_int, help="override the spec's population")
    ev.add_argument("--generations", type=_positive_int, help="override the spec's generations")
    ev.add_argument("--seed", type=int, help="override the spec's seed")
    return ap


def _stage1_pair(path: Path) -> tuple[float, int]:
    try:
        chosen = json.loads(path.read_text(encoding="utf-8"))["chosen"]
        return float(chosen["width"]), int(chosen["resolution"])
    except FileNotFoundError:
        raise UserError(f"{path}: no such file (run `python -m mcunet_core.nas stage1` first)") from None
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise UserError(f"{path}: not a stage 1 result ({err.__class__.__name__}: {err})") from None


def _context(board, task, search) -> dict:
    return {"board": board.name, "task": task.name, "search": search.name}


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    board, task, search = load_board(args.board), load_task(args.task), load_search(args.search)
    constraints = constraints_for(task, board, Limits.resolve(search, board), patch=search_patch_policy(search),
                                  input_placement=search_input_placement(search))  # a detector: its heads too
    if args.command == "stage1":
        result = run_stage1(search, task, constraints, samples=args.samples, min_fit_ratio=args.min_fit_ratio,
                            jobs=args.jobs, context=_context(board, task, search))
        paths = write_stage1(result, args.out)
        c = result.chosen
        print(f"stage 1: width {c.width:g}, resolution {c.resolution} ({result.quantile:g} quantile "
              f"{c.macs_quantile(result.quantile) / 1e6:.2f} M MACs, {c.fit_ratio:.0%} of samples fit) -> {paths[0]}")
        return 0
    width, resolution = _stage1_pair(args.stage1) if args.stage1 else (args.width, args.resolution)
    space = SearchSpace.from_specs(search, task, width, resolution,
                                   input_shape=searched_input_shape(constraints, task, resolution or task.resolution))
    settings = EvolutionSettings.from_spec(search, population=args.population, generations=args.generations)
    seed = search.evolution["seed"] if args.seed is None else args.seed
    result = evolve(space, FITNESS[args.fitness], constraints, settings, np.random.default_rng(seed))
    out = write_search(args.out, result, space, constraints, board=board, task=task, search=search,
                       fitness=args.fitness, seed=seed, settings=settings)
    m = result.measurement
    print(f"search: {m.macs / 1e6:.2f} M MACs, peak SRAM {m.peak_sram} B, flash {m.flash} B, "
          f"{m.latency_ms:.1f} ms -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
