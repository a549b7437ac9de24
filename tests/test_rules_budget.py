"""rules/mcunet_stages.budget_for: the budget the engine stage compiles for and report.md measures
against, from a searched model spec, a task's search, or the whole board."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from mcunet_core.engine import Target
from mcunet_core.nas.constraints import Limits, deployment_target
from mcunet_core.spec import load_board, load_model, load_search

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "rules"))
from mcunet_stages import budget_for  # noqa: E402


def test_a_searched_model_spec_is_compiled_for_the_budget_it_records():
    board = load_board("h743")
    searched = Limits(200_000, 500_000, 50.0, macs=6_000_000)
    spec = dataclasses.replace(load_model("mcunet-vww-80"), raw={"budget": searched.to_json()})
    budget = budget_for(board, spec, load_search("mcunet"), ["train", "engine"])
    assert budget.limits == searched and budget.source == "model spec mcunet-vww-80"
    assert deployment_target(board, budget.limits).flash_budget == 500_000


def test_a_task_pipeline_takes_the_search_limits_less_the_application_reserve():
    board, search = load_board("f412"), load_search("mcunet")
    budget = budget_for(board, None, search, ["nas", "train", "engine"])
    assert budget.limits == Limits.resolve(search, board)
    assert budget.source == "search mcunet on f412, less the application reserve (16,384 B SRAM, 131,072 B flash)"


def test_without_a_recorded_budget_the_whole_board_compiles_as_the_board_target():
    board = load_board("h743")
    for model in (load_model("mcunet-vww-80"), None):
        budget = budget_for(board, model, None, ["train", "engine"] if model else ["import", "engine"])
        assert budget.limits == Limits(board.arena_budget, board.flash_budget, board.latency_budget_ms)
        assert budget.source == "board h743" and budget.to_json()["source"] == "board h743"
        assert deployment_target(board, budget.limits) == Target.from_board(board)
