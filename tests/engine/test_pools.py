"""Several memory pools: what does not fit the arena region spills into the board's other
RAM regions, each pool stays within its region, and the firmware is still bit-exact."""

import dataclasses

import numpy as np
import pytest

from engine_runs import run_qemu
from graph_factory import random_input, random_mobilenet
from mcunet_core.engine.lowering import plan_memory
from mcunet_core.engine.planner.placement import check_placement
from mcunet_core.engine.planner.pools import Pool, assign_pools
from mcunet_core.engine.planner.problem import Buffer, Group, Member, Problem
from mcunet_core.engine.target import HOST, Target
from mcunet_core.errors import UserError
from mcunet_core.ir.reference import run
from mcunet_core.spec import load_board


def _problem(sizes_and_lives):
    groups = [Group([Member(Buffer(f"b{i}", s, f, l), 0)]) for i, (s, f, l) in enumerate(sizes_and_lives)]
    return Problem(groups, [], 8)


def test_groups_spill_into_later_pools_within_their_capacity():
    problem = _problem([(400, 0, 3), (300, 1, 2), (200, 2, 4), (100, 0, 4)])
    pools = (Pool("A", 600, "a", ".a"), Pool("B", 350, "b", ".b"), Pool("C", 300, "c", ".c"))
    result = assign_pools(problem, pools)
    for pool in pools:
        if pool.name in result:
            sub, placement = result[pool.name]
            assert placement.peak <= pool.capacity
            assert check_placement(sub, placement) == []
    placed = sorted(m.buffer.name for sub, _ in result.values() for g in sub.groups for m in g.members)
    assert placed == ["b0", "b1", "b2", "b3"]
    assert len(result) > 1


def test_nothing_fits_is_a_clear_error():
    with pytest.raises(UserError, match=r"^region A overflowed by \d+ bytes: the model needs \d+ bytes of activations there"):
        assign_pools(_problem([(500, 0, 1), (500, 0, 1)]), (Pool("A", 600, "a", ".a"), Pool("B", 100, "b", ".b")))


def test_a_model_over_the_boards_ram_names_the_board_region_and_bytes():
    """The form the linker's overflow takes too (README): board, region, 'overflowed by N bytes'."""
    from mcunet_core.engine import lower

    graph = random_mobilenet(np.random.default_rng(3), "big")
    board = load_board("f412")
    target = Target.from_board(board)
    tiny = dataclasses.replace(target, pools=(Pool(board.arena_region.name, 4096, "mcunet_arena", ".arena"),))
    with pytest.raises(UserError) as err:
        lower(graph, tiny).plan
    (message,) = err.value.messages
    need = plan_memory(graph, HOST).arena_bytes
    assert message.startswith(f"board f412: region {board.arena_region.name} overflowed by ")
    assert int(message.split("overflowed by ")[1].split()[0]) >= need - 4096 > 0


def test_model_over_the_arena_region_runs_from_two_pools(tmp_path):
    graph = random_mobilenet(np.random.default_rng(3), "spill")
    need = plan_memory(graph, HOST).arena_bytes
    board_yaml = tmp_path / "h743-small-arena.yaml"
    board_yaml.write_text(f"extends: h743\nname: h743-small-arena\narena_bytes: {need * 3 // 4 // 8 * 8}\n")
    board = load_board(board_yaml)
    plan = plan_memory(graph, Target.from_board(board))
    used = {pool: n for pool, n in plan.pool_bytes.items() if n}
    assert len(used) >= 2 and used["AXI_SRAM"] <= board.arena_budget
    inputs = random_input(graph, np.random.default_rng(1))
    (out,), result = run_qemu(graph, inputs, str(board_yaml), tmp_path / "fw")
    np.testing.assert_array_equal(out, run(graph, inputs)[graph.outputs[0]])
