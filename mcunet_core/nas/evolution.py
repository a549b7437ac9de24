"""TinyNAS stage 2: evolutionary search of the space's subnetworks under the constraints.

As Once-for-All's evolution finder: a population of feasible networks; each generation keeps
the best ``parents_ratio`` as parents, adds ``mutation_ratio`` of the population as mutants of
random parents (each gene redrawn with ``mutation_prob``) and fills the rest with crossovers
of two random parents. A candidate enters only if it fits (``constraints.check``), so the
result is always deployable. Fitness is a callback: the supernet's validation accuracy of the
subnetwork in a real search, any deterministic score in tests. Both fitness and
feasibility are memoized per network (children often repeat a parent).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import yaml

from ..arch import Arch
from ..atomic import atomic_write_text
from ..errors import UserError
from .constraints import Measurement
from .space import SearchSpace

#: Draws allowed to find one feasible candidate before the search gives up (not in the spec).
MAX_TRIES = 500


@dataclass(frozen=True)
class EvolutionSettings:
    population: int
    generations: int
    mutation_prob: float
    parents_ratio: float
    mutation_ratio: float
    max_tries: int = MAX_TRIES

    @classmethod
    def from_spec(cls, search, **overrides) -> "EvolutionSettings":
        e = {**search.evolution, **{k: v for k, v in overrides.items() if v is not None}}
        return cls(int(e["population"]), int(e["generations"]), float(e["mutation_prob"]),
                   float(e["parents_ratio"]), float(e["mutation_ratio"]))

    @property
    def parents(self) -> int:
        return max(1, round(self.parents_ratio * self.population))

    @property
    def mutants(self) -> int:
        return min(self.population - self.parents, round(self.mutation_ratio * self.population))


@dataclass
class SearchResult:
    arch: Arch
    fitness: float
    measurement: Measurement
    history: list[dict]  # one entry per generation (0 = the initial population)
    evaluations: int  # distinct networks scored
    #: every distinct feasible network scored, best first: (arch, fitness, measurement)
    candidates: list[tuple[Arch, float, Measurement]] = dataclasses.field(default_factory=list)
    #: the initial (random feasible) population, best first: what the search is measured against
    initial: list[Arch] = dataclasses.field(default_factory=list)

    def initial_median(self) -> Arch:
        """The initial population's median network (the upper one of an even population)."""
        return self.initial[(len(self.initial) - 1) // 2]

    def to_json(self, space: SearchSpace | None = None, stderr: Callable[[float], float] | None = None) -> dict:
        """``stderr(fitness)``: the standard error of a fitness (accuracy on n samples), when known."""
        def se(f):
            return None if stderr is None else round(float(stderr(f)), 5)

        doc = {"arch": self.arch.to_spec(), "input_shape": list(self.arch.input_shape),
               "num_classes": self.arch.num_classes, "fitness": self.fitness, "fitness_stderr": se(self.fitness),
               "measurement": self.measurement.to_json(), "evaluations": self.evaluations, "history": self.history}
        if space is not None:
            doc["candidates"] = [{"genes": [int(g) for g in space.genes(a)], "fitness": f, "stderr": se(f),
                                  "macs": m.macs, "peak_sram": m.peak_sram, "flash": m.flash,
                                  "latency_ms": round(m.latency_ms, 3)} for a, f, m in self.candidates]
        return doc


class _Search:
    """One run's state: memoized fitness, feasibility and the draw counters."""

    def __init__(self, space: SearchSpace, fitness: Callable[[Arch], float], constraints, rng: np.random.Generator,
                 max_tries: int):
        self.space, self.fitness_fn, self.constraints, self.rng = space, fitness, constraints, rng
        self.max_tries = max_tries
        self.scores: dict[Arch, float] = {}
        self.measured: dict[Arch, Measurement] = {}
        self.rejected = 0

    def score(self, arch: Arch) -> float:
        key = dataclasses.replace(arch, name="nas")
        if key not in self.scores:
            self.scores[key] = float(self.fitness_fn(arch))
        return self.scores[key]

    def feasible(self, draw: Callable[[], Arch], what: str) -> tuple[Arch, Measurement]:
        for _ in range(self.max_tries):
            arch = draw()
            m = self.constraints.check(arch)
            if m is not None:
                self.measured.setdefault(dataclasses.replace(arch, name="nas"), m)
                return arch, m
            self.rejected += 1
        raise UserError(f"space {self.space.name}: no {what} within the constraints in {self.max_tries} draws "
                        f"({self.constraints.limits.describe()}); loosen them or run stage 1 to pick a smaller space")

    def pick(self, parents: list) -> Arch:
        return parents[int(self.rng.integers(len(parents)))][0]


def evolve(space: SearchSpace, fitness: Callable[[Arch], float], constraints, settings: EvolutionSettings,
           rng: np.random.Generator, prefetch: Callable[[list[Arch]], None] | None = None) -> SearchResult:
    """The fittest feasible network found; ``constraints`` has ``check(arch) -> Measurement | None``
    and ``limits`` (``constraints.Constraints``). ``prefetch(archs)``, when given, is told each
    generation's networks before they are scored (to score them at once, e.g. over several ranks)."""
    s = _Search(space, fitness, constraints, rng, settings.max_tries)
    population = [s.feasible(lambda: space.sample(rng), "random network") for _ in range(settings.population)]
    history, initial = [], []
    for generation in range(settings.generations + 1):
        if prefetch is not None:
            prefetch([a for a, _ in population])
        ranked = sorted(population, key=lambda am: -s.score(am[0]))  # stable: ties keep their order
        history.append(_record(generation, ranked, s))
        initial = initial or [a for a, _ in ranked]
        if generation == settings.generations:
            break
        parents = ranked[: settings.parents]
        children = [s.feasible(lambda: space.mutate(s.pick(parents), rng, settings.mutation_prob), "mutant")
                    for _ in range(settings.mutants)]
        while len(parents) + len(children) < settings.population:
            children.append(s.feasible(lambda: space.crossover(s.pick(parents), s.pick(parents), rng), "crossover"))
        population = parents + children
    best, measurement = ranked[0]
    candidates = sorted(((a, f, s.measured[a]) for a, f in s.scores.items()), key=lambda c: -c[1])
    return SearchResult(best, s.score(best), measurement, history, len(s.scores), candidates, initial)


def _record(generation: int, ranked: list, s: _Search) -> dict:
    scores = [s.score(a) for a, _ in ranked]
    best, m = ranked[0]
    return {"generation": generation, "best_fitness": scores[0], "mean_fitness": float(np.mean(scores)),
            "median_fitness": float(np.median(scores)),
            "best_macs": m.macs, "best_peak_sram": m.peak_sram, "best_flash": m.flash,
            "best_latency_ms": round(m.latency_ms, 3), "evaluations": len(s.scores), "rejected": s.rejected}


def task_reference(task) -> str:
    """How a model spec names its task: by name when it is the project's spec of that name,
    else by the path of the task's file (a user's task spec pointing at their data)."""
    from ..spec import list_specs, spec_file

    if task.name in list_specs("task") and spec_file("task", task.name).resolve() == Path(task.source_file).resolve():
        return task.name
    return str(Path(task.source_file).resolve())


def write_search(out_dir, result: SearchResult, space, constraints, *, board, task, search, fitness: str, seed: int,
                 settings: EvolutionSettings, stderr: Callable[[float], float] | None = None,
                 extra: dict | None = None) -> Path:
    """``search.json`` (the run, its history, every candidate scored with its standard error
    ``stderr(fitness)`` when known, and ``extra``: e.g. the supernet's own figures) and
    ``nas-<task>-<board>.yaml``, a model spec of the best network with its budget, the patch
    schedule it was measured with (``off``: whole tensors), its ``input_placement`` when
    external (the engine compiles it so) and the search spec's ``finetune`` settings (what the training stage reads); returns the search.json path."""
    out = Path(out_dir)
    name = f"nas-{task.name}-{board.name}"
    spec_file = f"{name}.yaml"
    # resolution: the input's height (MFCC tasks: their fixed frame count), as SearchSpace has it
    model = {"name": name, "task": task_reference(task), "resolution": space.resolution,
             "description": f"TinyNAS result for {task.name} on {board.name} (space {space.name}, fitness {fitness})",
             "budget": constraints.limits.to_json(), "patch": constraints.schedule_of(result.arch),
             **constraints.placement_json(),
             "architecture": result.arch.to_spec()}
    if search.raw.get("finetune"):  # how the winner is fine-tuned from its supernet weights
        model["training"] = dict(search.raw["finetune"])
    atomic_write_text(out / spec_file, yaml.safe_dump(model, sort_keys=False))
    doc = {"board": board.name, "task": task.name, "search": search.name,
           "space": {"width": space.width, "resolution": space.resolution}, "fitness": fitness, "seed": seed,
           "settings": dataclasses.asdict(settings), **constraints.to_json(), **(extra or {}),
           **result.to_json(space, stderr), "model_spec": spec_file}
    atomic_write_text(out / "search.json", json.dumps(doc, indent=1) + "\n")
    return out / "search.json"
