"""Lean depthwise flash (issue 16 part 2): int8 taps kept as stored (K x K bytes + the folded
bias word per channel), widened at run time into scratch blocks by the ``*_w8`` drivers, bit-exact
with the reference interpreter on the host (plain C under ASan/UBSan) and on QEMU (the SMLAD job
kernels on an M7 and an M4 stand-in); the tap format as a whole-graph decision of the flash
budget.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from graph_factory import GraphBuilder, random_mobilenet
from test_depthwise import BOARDS, dw_indices, forced_layout, host_exact, qemu_available, qemu_exact, random_depthwise_graph

from mcunet_core.engine.decisions import CODE_RESERVE_BYTES, GraphDecisions, constant_bytes, decide
from mcunet_core.engine.kernels import depthwise as dw
from mcunet_core.engine.lowering import lower
from mcunet_core.engine.target import HOST, Target
from mcunet_core.ir import Graph

TIGHT_FLASH = Target("tight-flash", flash_budget=1)
LEAN_FUNCTIONS = {"mcunet_dw_strips_w8", "mcunet_dw_transposed_w8"}


def lean(g: Graph, decisions: GraphDecisions | None = None, target: Target = HOST) -> GraphDecisions:
    """``decisions`` (default: the graph's on ``target``) with every int8 depthwise layer lean."""
    decided = decisions or decide(g, target)
    return dataclasses.replace(decided, lean_depthwise=frozenset(decided.depthwise_layouts))


def lean_layouts(**forced):
    """A ``layouts`` function for ``qemu_exact``: forced layouts, every layer lean."""
    return lambda g, t: lean(g, forced_layout(g, t, **forced) if forced else None, t)


def functions(g: Graph, target: Target, decisions: GraphDecisions | None = None) -> list[str]:
    return [c.plan.function for c in lower(g, target, decisions).calls]


def tall_layer(seed: int, channels: int = 32) -> Graph:
    """A KWS-like 25x5 layer (transposed planes from 32 channels on; fewer: forced)."""
    b = GraphBuilder(f"tall{seed}", np.random.default_rng(seed))
    return b.finish(b.depthwise(b.input((1, 25, 5, channels))))


# ---- host (ASan/UBSan) ---------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(12))
def test_lean_depthwise_matches_the_reference_on_host(seed, tmp_path):
    g = random_depthwise_graph(seed)
    decisions = lean(g)
    assert LEAN_FUNCTIONS & set(functions(g, HOST, decisions))
    host_exact(g, tmp_path, seed=seed, decisions=decisions)


@pytest.mark.parametrize("forced", [dict(transposed=True), dict(groups=2, batch_rows=1), dict(groups=1, batch_rows=2),
                                    dict(groups=4, batch_rows=3)], ids=["transposed", "g2b1", "g1b2", "g4b3"])
@pytest.mark.parametrize("seed", range(3))
def test_lean_depthwise_layouts_match_the_reference_on_host(forced, seed, tmp_path):
    """Transposed planes and sliding strips (the blocks widened once per group, kept over its batches)."""
    g = random_depthwise_graph(seed + 40)
    decisions = lean(g, forced_layout(g, **forced))
    fns = functions(g, HOST, decisions)
    assert ("mcunet_dw_transposed_w8" if forced.get("transposed") else "mcunet_dw_strips_w8") in fns, fns
    host_exact(g, tmp_path, seed=seed, decisions=decisions)


def test_tight_flash_runs_every_depthwise_layer_lean_on_host(tmp_path):
    for seed in range(2):
        g = random_mobilenet(np.random.default_rng(seed), f"net{seed}")
        fns = functions(g, TIGHT_FLASH)
        assert all(fns[i] in LEAN_FUNCTIONS for i in dw_indices(g) if fns[i].startswith("mcunet_dw_")), fns
        host_exact(g, tmp_path / str(seed), TIGHT_FLASH, seed=seed)
    g = tall_layer(1)
    assert "mcunet_dw_transposed_w8" in functions(g, TIGHT_FLASH)
    host_exact(g, tmp_path / "tall", TIGHT_FLASH)


# ---- constants and decisions -----------------------------------------------------------------

@pytest.mark.parametrize("k", dw.KERNEL_SIZES)
@pytest.mark.parametrize("s", dw.STRIDES)
def test_lean_taps_are_what_flash_holds(k, s):
    """K x K int8 taps + one bias word + a 2-word record per channel against 1 + K * WPR int16-pair
    words and a 3-word record."""
    b = GraphBuilder(f"k{k}s{s}", np.random.default_rng(k * 10 + s))
    g = b.finish(b.depthwise(b.input((1, 9, 11, 6)), kernel=(k, k), stride=(s, s)))
    by_fmt = {}
    for decisions in (decide(g, HOST), lean(g)):
        (call,) = lower(g, HOST, decisions).calls
        by_fmt[call.plan.function] = {c.name.rsplit("_", 1)[-1]: c.data.nbytes for c in call.constants}
    fast, slim = by_fmt["mcunet_dw_strips"], by_fmt["mcunet_dw_strips_w8"]
    assert fast["wblock"] == 6 * 4 * (1 + k * dw.words_per_row(k, s))
    assert slim == {"wblock": 6 * 4, "w8": 6 * k * k, "requant": fast["requant"] * 2 // 3}


def test_flash_budget_decides_the_tap_format():
    """No budget: int16 blocks everywhere (today's figures). Tight: every layer lean. In between:
    int16 blocks only where the measured extra bytes fit, the constants within the budget."""
    g = random_mobilenet(np.random.default_rng(5), "net5")
    dws = dw_indices(g)
    assert decide(g, HOST).lean_depthwise == frozenset()
    assert decide(g, TIGHT_FLASH).lean_depthwise == frozenset(dws)
    slim = lower(g, TIGHT_FLASH).constant_bytes
    fast = lower(g, HOST).constant_bytes
    assert slim < fast
    # a budget between: some room, not enough for everything widened
    mid = dataclasses.replace(HOST, flash_budget=CODE_RESERVE_BYTES + slim + (fast - slim) // 3)
    decided = decide(g, mid)
    got = lower(g, mid).constant_bytes
    assert got <= mid.flash_budget - CODE_RESERVE_BYTES
    assert slim < got < fast
    assert decided.w16_layers != decide(g, HOST).w16_layers or decided.lean_depthwise


def test_lean_layers_are_the_cheapest_per_byte():
    """Under a budget that fits only part of the widened bytes, a depthwise layer keeps int16
    blocks only if every core layer with more instructions saved per byte got int16 weights."""
    g = random_mobilenet(np.random.default_rng(7), "net7")
    slim = lower(g, TIGHT_FLASH).constant_bytes
    fast = lower(g, HOST).constant_bytes
    mid = dataclasses.replace(HOST, flash_budget=CODE_RESERVE_BYTES + slim + (fast - slim) // 2)
    decided = decide(g, mid)
    base = dataclasses.replace(decided, w16_layers=frozenset(), lean_depthwise=frozenset(decided.depthwise_layouts))
    low = constant_bytes(g, mid, base)
    assert sum(low.values()) == slim
    assert sum(constant_bytes(g, mid, decided).values()) <= mid.flash_budget - CODE_RESERVE_BYTES


# ---- QEMU (SMLAD job kernels) ----------------------------------------------------------------

@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("seed", range(3))
def test_lean_depthwise_matches_the_reference_on_emulated_boards(board, seed, tmp_path):
    qemu_available()
    g = random_depthwise_graph(seed + 20 + 10 * BOARDS.index(board))
    qemu_exact(g, board, tmp_path, seed=seed, layouts=lean_layouts())


@pytest.mark.parametrize("board", BOARDS)
def test_lean_transposed_and_sliding_on_emulated_boards(board, tmp_path):
    qemu_available()
    g = tall_layer(3, channels=11)  # channels not a multiple of 4
    qemu_exact(g, board, tmp_path / "t", layouts=lean_layouts(transposed=True))
    assert "mcunet_dw_transposed_w8" in functions(g, HOST, lean(g, forced_layout(g, transposed=True)))
    g = random_depthwise_graph(61)
    qemu_exact(g, board, tmp_path / "s", layouts=lean_layouts(groups=2, batch_rows=1))
    qemu_exact(g, board, tmp_path / "s4", layouts=lean_layouts(groups=4, batch_rows=2))


@pytest.mark.parametrize("board", BOARDS)
def test_tight_flash_mobilenet_on_emulated_boards(board, tmp_path):
    qemu_available()
    g = random_mobilenet(np.random.default_rng(12), "net12")
    qemu_exact(g, board, tmp_path, layouts=lambda gg, t: lean(gg, None, t))
