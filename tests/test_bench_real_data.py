"""bench/real_data.py --budget dscnn: its search spec is `mcunet` under DS-CNN's own memory,
with no reserve taken, and its space reaches that budget (the bench itself is not run here)."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from mcunet_core.arch import WeightBits
from mcunet_core.nas.constraints import Constraints, Limits
from mcunet_core.nas.space import SearchSpace
from mcunet_core.spec import load_board, load_quant, load_search, load_task

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("real_data", ROOT / "bench" / "real_data.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["real_data"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def budget(bench):
    return bench.dscnn_budget(ROOT, "kws", "f412")


def test_the_budget_is_dscnn_as_deployed(bench, budget):
    board = load_board("f412")
    assert bench.board_limits(board).flash == board.flash_budget
    # DS-CNN: 22,016 B of int8 filters, pre-widened under the board's flash; 9.4 KB of activations
    assert 9_000 < budget["sram"] < 11_000 and 60_000 < budget["flash"] < 80_000


def test_search_spec_extends_mcunet_with_the_limits_in_bytes(bench, budget, tmp_path):
    path = bench.budget_search_spec(tmp_path, budget, {"supernet": {"epochs": 1}})
    search, shipped = load_search(str(path)), load_search("mcunet")
    limits = search.resolve_constraints(load_board("f412"))
    assert (limits["sram"], limits["flash"]) == (budget["sram"], budget["flash"])  # no reserve taken
    assert limits["macs"] == shipped.resolve_constraints(load_board("f412"))["macs"]
    mfcc = search.space_for("mfcc")
    assert mfcc["width_multipliers"] == bench.DSCNN_SPACE["width_multipliers"]
    assert mfcc["depths"] == bench.DSCNN_SPACE["depths"]
    assert mfcc["base"] == shipped.space_for("mfcc")["base"]
    assert search.raw["supernet"]["epochs"] == 1 and search.raw["supernet"]["lr"] == shipped.raw["supernet"]["lr"]
    assert search.evolution == shipped.evolution


@pytest.mark.parametrize("quant", ["int8", "int4"])
def test_the_space_reaches_the_budget_and_mcunets_does_not(bench, budget, tmp_path, quant):
    """Stage 1 needs networks that fit: the bench's narrowest width has them, `mcunet`'s has none."""
    board, task = load_board("f412"), load_task("kws")
    c = Constraints.for_board(board, Limits(budget["sram"], budget["flash"], 100.0),
                              bits=WeightBits.from_quant(load_quant(quant)))
    ours = load_search(str(bench.budget_search_spec(tmp_path, budget)))
    narrow = SearchSpace.from_specs(ours, task, min(bench.DSCNN_SPACE["width_multipliers"]))
    assert c.check(narrow.smallest()) is not None
    shipped = load_search("mcunet")
    assert c.check(SearchSpace.from_specs(shipped, task, min(shipped.space_for("mfcc")["width_multipliers"]))
                   .smallest()) is None


def test_split_keeps_each_speaker_on_one_side(bench):
    groups = np.repeat(np.array([f"s{i}" for i in range(50)]), 3)
    parts = bench.split(len(groups), groups, 0.2)
    for g in np.unique(groups):
        assert len(set(parts[groups == g])) == 1
    assert (parts == "val").sum() == 30
