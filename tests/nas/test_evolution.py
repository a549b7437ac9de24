"""Evolution: improves a known fitness, only ever holds feasible networks, repeats itself."""

import dataclasses

import numpy as np
import pytest

from mcunet_core.errors import UserError
from mcunet_core.nas.constraints import Constraints, Limits, fits, measure
from mcunet_core.nas.evolution import EvolutionSettings, evolve
from mcunet_core.nas.space import SearchSpace
from mcunet_core.spec import load_board, load_search, load_task

SETTINGS = EvolutionSettings(population=8, generations=4, mutation_prob=0.3, parents_ratio=0.25, mutation_ratio=0.5)


@pytest.fixture(scope="module")
def board():
    return load_board("f412")


@pytest.fixture(scope="module")
def space():
    """KWS on a three-stage cut of the MCUNet space: small graphs keep the engine's planning quick."""
    search = load_search("mcunet")
    base = {**search.space["base"], "stages": [24, 40, 80], "strides": [2, 2, 2]}
    search = dataclasses.replace(search, space={**search.space, "base": base, "depths": [1, 2, 3]})
    return SearchSpace.from_specs(search, load_task("kws"), 0.5)


def _macs(arch):
    return float(arch.macs())


def _tight(board, space):
    """An SRAM limit that about half of the space's random networks meet."""
    rng = np.random.default_rng(99)
    peaks = [measure(space.sample(rng), board).peak_sram for _ in range(12)]
    return Limits(int(np.median(peaks)), 10**7, None)


def test_macs_grow_under_the_sram_limit_and_every_network_fits(board, space):
    limits = _tight(board, space)
    result = evolve(space, _macs, Constraints.for_board(board, limits), SETTINGS, np.random.default_rng(0))
    best = [h["best_fitness"] for h in result.history]
    assert len(best) == SETTINGS.generations + 1
    assert all(b <= a for b, a in zip(best, best[1:])) and best[-1] > best[0]
    assert all(h["best_peak_sram"] <= limits.sram for h in result.history)
    assert result.history[-1]["rejected"] > 0  # the limit did turn candidates away
    # the winner, measured afresh by the engine, fits
    m = measure(dataclasses.replace(result.arch, name="again"), board)
    assert m == result.measurement and fits(m, limits) and result.fitness == result.arch.macs()
    assert space.largest().macs() > result.fitness  # the limit was binding: the largest does not fit
    assert Constraints.for_board(board, limits).check(space.largest()) is None


def test_a_known_optimum_is_approached(board, space):
    """Fitness = minus the number of genes that differ from a target network's."""
    target = space.genes(space.sample(np.random.default_rng(5)))

    def closeness(arch):
        return -float(np.sum(space.genes(arch) != target))

    roomy = Constraints.for_board(board, Limits(10**6, 10**7, None))
    settings = dataclasses.replace(SETTINGS, generations=6)
    result = evolve(space, closeness, roomy, settings, np.random.default_rng(1))
    first, last = result.history[0]["best_fitness"], result.history[-1]["best_fitness"]
    assert last > first and result.fitness == last == closeness(result.arch)


def test_every_candidate_is_recorded_with_its_standard_error(board, space):
    limits = _tight(board, space)
    result = evolve(space, _macs, Constraints.for_board(board, limits), SETTINGS, np.random.default_rng(3))
    doc = result.to_json(space, stderr=lambda f: f / 1000)
    cands = doc["candidates"]
    assert len(cands) == result.evaluations and cands[0]["fitness"] == result.fitness
    assert [c["fitness"] for c in cands] == sorted((c["fitness"] for c in cands), reverse=True)
    assert all(c["peak_sram"] <= limits.sram and c["stderr"] == pytest.approx(c["fitness"] / 1000) for c in cands)
    assert space.from_genes(cands[0]["genes"]).macs() == result.fitness
    assert doc["fitness_stderr"] == pytest.approx(result.fitness / 1000)
    # the initial population, best first, and its median network: what the winner is measured against
    assert len(result.initial) == SETTINGS.population
    scores = [_macs(a) for a in result.initial]
    assert scores == sorted(scores, reverse=True) and scores[0] == result.history[0]["best_fitness"]
    assert result.initial_median() is result.initial[3]
    assert float(np.median(scores)) == result.history[0]["median_fitness"] <= _macs(result.initial_median())
    first = result.history[0]
    assert first["median_fitness"] <= first["best_fitness"]


def test_same_seed_same_search(board, space):
    limits = _tight(board, space)
    runs = [evolve(space, _macs, Constraints.for_board(board, limits), SETTINGS, np.random.default_rng(7)).to_json()
            for _ in range(2)]
    assert runs[0] == runs[1]


def test_impossible_constraints_are_a_user_error(board, space):
    settings = dataclasses.replace(SETTINGS, max_tries=5)
    with pytest.raises(UserError, match="no random network within the constraints in 5 draws .SRAM 1000 B"):
        evolve(space, _macs, Constraints.for_board(board, Limits(1000, 10**7, None)), settings,
               np.random.default_rng(0))


def test_settings_come_from_the_spec():
    search = load_search("mcunet")
    s = EvolutionSettings.from_spec(search)
    for key in ("population", "generations", "mutation_prob", "parents_ratio", "mutation_ratio"):
        assert getattr(s, key) == search.evolution[key]
    spec = dataclasses.replace(search, evolution={**search.evolution, "population": 40, "parents_ratio": 0.25,
                                                 "mutation_ratio": 0.5})
    assert (EvolutionSettings.from_spec(spec).parents, EvolutionSettings.from_spec(spec).mutants) == (10, 20)
    overridden = EvolutionSettings.from_spec(search, population=10, generations=None)
    assert overridden.population == 10 and overridden.generations == search.evolution["generations"]
