"""The NAS with ``constraints.patch: auto``: each candidate measured with the engine's own patch
search (the reduced candidate set ``NAS_PATCHES``), the same ``peak_memory()`` the engine
compiles with; the schedule in the measurement, search.json and the winner's model spec; off
(the default) measures and records exactly what it always did."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from mcunet_core import engine
from mcunet_core.engine import PatchPolicy, PatchSchedule
from mcunet_core.nas.constraints import (
    NAS_PATCHES, Constraints, Limits, deployment_target, estimate_graph, search_patch_policy,
)
from mcunet_core.nas.space import SearchSpace
from mcunet_core.spec import load_board, load_search, load_task


@pytest.fixture(scope="module")
def setup():
    board, search = load_board("h743"), load_search("mcunet")
    space = SearchSpace.from_specs(search, load_task("vww"), 0.3, 64)
    return board, search, space.sample(np.random.default_rng(0))


def test_the_default_search_measures_whole_tensors(setup):
    board, search, arch = setup
    assert search.patch == "off" and search_patch_policy(search) == PatchPolicy("off")
    assert search_patch_policy(dataclasses.replace(search, constraints={**search.constraints, "patch": "auto"})) \
        == NAS_PATCHES
    c = Constraints.for_board(board, Limits.resolve(search, board))
    m = c.measure(arch)
    assert m.patch is None and "patch" not in m.to_json() and "patch" not in c.to_json()
    assert c.schedule_of(arch) == "off"


def test_auto_measures_the_schedule_the_engine_compiles(setup):
    board, search, arch = setup
    limits = Limits.resolve(search, board)
    off = Constraints.for_board(board, limits).measure(arch)
    c = Constraints.for_board(board, limits, patch=NAS_PATCHES)
    m = c.measure(arch)
    assert m.patch is not None and m.arena < off.arena
    assert m.instructions <= (1 + NAS_PATCHES.cap) * off.instructions
    # exactly what the engine stage compiles: the recorded schedule, fixed
    schedule = PatchSchedule(m.patch[0], m.patch[1:])
    target = deployment_target(board, limits, PatchPolicy("fixed", schedule))
    assert engine.peak_memory(estimate_graph(arch), target) == m.arena
    assert c.schedule_of(arch) == m.to_json()["patch"] == {"split": schedule.split, "patches": list(schedule.grid)}
    assert c.to_json()["patch"]["policy"] == "auto"
    # a network whose whole tensors break the SRAM limit is not screened out before it is measured
    tight = Constraints.for_board(board, dataclasses.replace(limits, sram=m.peak_sram), patch=NAS_PATCHES)
    assert tight.check(arch) is not None
    assert Constraints.for_board(board, dataclasses.replace(limits, sram=m.peak_sram)).check(arch) is None
