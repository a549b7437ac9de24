"""TinyNAS stage 1: pick the (width multiplier, resolution) pair whose networks make the best
use of the board.

For every pair of the search spec's grid, draw ``stage1.samples_per_space`` random networks,
keep those that fit the constraints (exact engine memory, see ``constraints.py``) and look at
their MACs: a space whose fitting networks have more MACs is more likely to hold an accurate
one (MCUNet, section 3.1). The chosen pair has the highest ``stage1.quantile`` of MACs among
its fitting samples; pairs where fewer than ``min_fit_ratio`` of the samples fit are out
(their quantile says little, and evolution would rarely draw a feasible network there).
Each pair is sampled from its own seed, so the result does not depend on the number of
processes or the order of the grid.
"""

from __future__ import annotations

import io
import json
from collections import Counter
import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic import atomic_write_bytes, atomic_write_text
from ..errors import UserError
from .constraints import Constraints
from .heads import searched_input_shape
from .space import SearchSpace

#: Default share of a pair's samples that must fit for the pair to compete (the search
#: spec has no key for it).
MIN_FIT_RATIO = 0.1
#: Quantiles recorded per pair (beside the spec's).
RECORDED_QUANTILES = tuple(i / 10 for i in range(11))


@dataclass(frozen=True)
class PairResult:
    width: float
    resolution: int
    samples: int
    fitting_macs: tuple[int, ...]  # ascending
    rejected: tuple[tuple[str, int], ...] = ()  # (limit, samples whose first broken limit it is)

    @property
    def fit_ratio(self) -> float:
        return len(self.fitting_macs) / self.samples

    def macs_quantile(self, q: float) -> float | None:
        return float(np.quantile(self.fitting_macs, q)) if self.fitting_macs else None

    def eligible(self, min_fit_ratio: float) -> bool:
        return len(self.fitting_macs) >= max(2, math.ceil(min_fit_ratio * self.samples))

    def to_json(self, quantile: float, min_fit_ratio: float) -> dict:
        return {
            "width": self.width, "resolution": self.resolution, "samples": self.samples,
            "fitting": len(self.fitting_macs), "fit_ratio": round(self.fit_ratio, 4),
            "rejected": dict(self.rejected),
            "eligible": self.eligible(min_fit_ratio),
            "score_macs": self.macs_quantile(quantile),
            "macs_quantiles": {f"{q:g}": self.macs_quantile(q) for q in RECORDED_QUANTILES},
            "mean_macs": float(np.mean(self.fitting_macs)) if self.fitting_macs else None,
        }


@dataclass(frozen=True)
class Stage1Result:
    pairs: tuple[PairResult, ...]
    chosen: PairResult
    quantile: float
    min_fit_ratio: float
    seed: int
    context: dict  # board, task, search, constraints

    def to_json(self) -> dict:
        return {
            **self.context, "quantile": self.quantile, "min_fit_ratio": self.min_fit_ratio, "seed": self.seed,
            "chosen": {"width": self.chosen.width, "resolution": self.chosen.resolution},
            "pairs": [p.to_json(self.quantile, self.min_fit_ratio) for p in self.pairs],
        }


def pair_grid(search, task) -> list[tuple[float, int]]:
    """(width, resolution) pairs: the spec's widths x resolutions both the search spec and the
    task allow (MFCC inputs have one fixed shape, so only widths vary)."""
    space = search.space_for(task.input_kind)
    widths = [float(w) for w in space["width_multipliers"]]
    if task.input_kind != "image":
        return [(w, task.input_shape[0]) for w in widths]
    resolutions = [r for r in space["resolutions"] if not task.resolutions or r in task.resolutions]
    if not resolutions:
        raise UserError(f"search {search.name}: none of its resolutions {space['resolutions']} is one of "
                        f"task {task.name}'s {task.resolutions}")
    return [(w, r) for w in widths for r in resolutions]


def pair_seed(seed: int, width: float, resolution: int) -> np.random.SeedSequence:
    return np.random.SeedSequence([seed, round(width * 1000), resolution])


def sample_pair(search, task, width: float, resolution: int, samples: int, seed: int,
                constraints: Constraints) -> PairResult:
    """Draw ``samples`` networks of one pair and keep the MACs of those that fit."""
    space = SearchSpace.from_specs(search, task, width, resolution,
                                   input_shape=searched_input_shape(constraints, task, resolution))
    rng = np.random.default_rng(pair_seed(seed, width, resolution))
    macs, rejected = [], Counter()
    for _ in range(samples):
        arch = space.sample(rng)
        m, broken = constraints.verdict(arch)
        if m is not None:
            macs.append(m.macs)
        else:
            rejected[broken] += 1
    return PairResult(float(width), int(space.resolution), samples, tuple(sorted(macs)),
                      tuple(sorted(rejected.items())))


def choose(pairs, quantile: float, min_fit_ratio: float) -> PairResult:
    """The eligible pair with the highest MACs quantile (ties: more fitting, then smaller)."""
    eligible = [p for p in pairs if p.eligible(min_fit_ratio)]
    if not eligible:
        best = max(pairs, key=lambda p: p.fit_ratio)
        broken = sum((Counter(dict(p.rejected)) for p in pairs), Counter())
        limits = ", ".join(f"{name} {n}" for name, n in broken.most_common())
        raise UserError(f"no (width, resolution) pair has {min_fit_ratio:.0%} of its samples within the constraints "
                        f"(best: width {best.width:g}, resolution {best.resolution}, {best.fit_ratio:.0%}; samples "
                        f"rejected by {limits or 'nothing'}); loosen the constraints or add smaller widths/resolutions "
                        f"to the search spec")
    return min(eligible, key=lambda p: (-p.macs_quantile(quantile), -p.fit_ratio, p.width, p.resolution))


def run_stage1(search, task, constraints: Constraints, *, samples: int | None = None, quantile: float | None = None,
               min_fit_ratio: float = MIN_FIT_RATIO, seed: int | None = None, jobs: int = 2,
               context: dict | None = None) -> Stage1Result:
    """Sample every pair of the grid (``jobs`` processes) and choose one; spec settings unless overridden."""
    samples = samples or search.stage1["samples_per_space"]
    quantile = search.stage1["quantile"] if quantile is None else quantile
    seed = search.evolution["seed"] if seed is None else seed
    grid = pair_grid(search, task)
    args = [(search, task, w, r, samples, seed, constraints) for w, r in grid]
    if jobs > 1 and len(grid) > 1:
        with ProcessPoolExecutor(min(jobs, len(grid)), mp_context=multiprocessing.get_context("spawn")) as pool:
            pairs = list(pool.map(_sample_pair_star, args))
    else:
        pairs = [sample_pair(*a) for a in args]
    chosen = choose(pairs, quantile, min_fit_ratio)
    ctx = {"task": task.name, "search": search.name, "constraints": constraints.to_json(), **(context or {})}
    return Stage1Result(tuple(pairs), chosen, quantile, min_fit_ratio, seed, ctx)


def _sample_pair_star(args) -> PairResult:
    return sample_pair(*args)


def write_stage1(result: Stage1Result, out_dir: str | Path) -> list[Path]:
    """``stage1.json`` and ``stage1_cdf.png`` (MACs CDF of each eligible pair's fitting samples)."""
    out_dir = Path(out_dir)
    json_path, png_path = out_dir / "stage1.json", out_dir / "stage1_cdf.png"
    atomic_write_text(json_path, json.dumps(result.to_json(), indent=1) + "\n")
    atomic_write_bytes(png_path, _cdf_png(result))
    return [json_path, png_path]


def _cdf_png(result: Stage1Result) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    eligible = [p for p in result.pairs if p.eligible(result.min_fit_ratio)]
    ranked = sorted(eligible, key=lambda p: -p.macs_quantile(result.quantile))
    labelled = set(id(p) for p in ranked[:6])
    for p in eligible:
        macs = np.asarray(p.fitting_macs) / 1e6
        cdf = np.arange(1, len(macs) + 1) / len(macs)
        best = p is result.chosen
        ax.step(macs, cdf, where="post", linewidth=2.2 if best else 0.9, alpha=1.0 if best else 0.6,
                color="black" if best else None,
                label=f"w{p.width:g}-r{p.resolution} ({p.fit_ratio:.0%} fit)" if id(p) in labelled else None)
    ax.axhline(result.quantile, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("MACs of the fitting samples (M)")
    ax.set_ylabel("cumulative probability")
    c = result.chosen
    ax.set_title(f"stage 1: w{c.width:g}-r{c.resolution} chosen ({result.quantile:g} quantile "
                 f"{c.macs_quantile(result.quantile) / 1e6:.1f} M MACs)", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()
