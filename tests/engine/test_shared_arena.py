"""Two models that never run at the same time share one arena: one array per memory pool, as
large as the largest model's there, which every model's model.c uses through
``-D<POOL>_SYMBOL`` (``device.shared_arena``). The firmware's arena is the maximum of the
models' arenas, not their sum, both still run bit-exactly, and the report says so."""

import json
import re
import shutil

import numpy as np
import pytest

from graph_factory import random_mobilenet
from mcunet_core import engine
from mcunet_core.device.elf import Elf
from mcunet_core.device.shared_arena import ARENA_ALIGN, share_arenas
from mcunet_core.engine import Target
from mcunet_core.errors import UserError
from mcunet_core.spec import load_board
from multi_model import assert_runs_bit_exactly, build_models, generate_models, spilling_board

GRAPHS = {"vww": 21, "kws": 5}  # prefix -> seed of its random graph


def _graphs():
    return {p: random_mobilenet(np.random.default_rng(seed), p) for p, seed in GRAPHS.items()}


def _board(tmp_path, graphs):
    """Small enough an arena region that both models spill into DTCM: two pools to share."""
    return spilling_board(tmp_path, min(graphs.values(), key=lambda g: engine.plan_memory(g, engine.HOST).arena_bytes))


def _declared(gen_dir) -> dict[str, int]:
    """model.h's ``<POOL>_BYTES`` macros: what each arena array of the model takes alone."""
    header = (gen_dir / "model.h").read_text()
    return {m[0].lower(): int(m[1]) for m in re.findall(r"^#define (\w+_ARENA(?:_\w+)?)_BYTES (\d+)u", header, re.M)}


def test_a_shared_arena_takes_each_pool_at_its_largest_model(tmp_path):
    graphs = _graphs()
    gen_dirs = generate_models(graphs, Target.from_board(_board(tmp_path, graphs)), tmp_path)
    arena = share_arenas(gen_dirs)
    declared = {p: _declared(tmp_path / p) for p in graphs}
    assert [p.name for p in arena.pools] == ["AXI_SRAM", "DTCM"]
    assert [p.symbol for p in arena.pools] == ["mcunet_shared_arena", "mcunet_shared_arena_dtcm"]
    for pool, suffix in zip(arena.pools, ("", "_dtcm")):
        alone = {p: declared[p][f"{p}_arena{suffix}"] for p in graphs}
        assert {p: use.bytes for p, use in pool.users.items()} == alone
        assert pool.bytes == max(alone.values())
        assert (f'int8_t {pool.symbol}[{pool.bytes}] __attribute__((section("{pool.section}"), '
                f'aligned({ARENA_ALIGN})));') in arena.c_source()
    assert arena.bytes < arena.separate_bytes == sum(sum(d.values()) for d in declared.values())
    assert arena.defines() == {"VWW_ARENA_SYMBOL": "mcunet_shared_arena", "VWW_ARENA_DTCM_SYMBOL": "mcunet_shared_arena_dtcm",
                               "KWS_ARENA_SYMBOL": "mcunet_shared_arena", "KWS_ARENA_DTCM_SYMBOL": "mcunet_shared_arena_dtcm"}
    assert f"#define VWW_ARENA_ALIGN {ARENA_ALIGN}" in (tmp_path / "vww" / "model.h").read_text()
    assert "must not run at the same time" in arena.c_source()


def test_a_shared_arena_refuses_the_default_prefix_a_repeated_prefix_and_another_board(tmp_path):
    graph = random_mobilenet(np.random.default_rng(21), "m")
    target = Target.from_board(load_board("h743"))
    engine.generate(graph, target, tmp_path / "default", plot=False)
    engine.generate(graph, target, tmp_path / "vww", plot=False, prefix="vww")
    with pytest.raises(UserError, match="default prefix 'mcunet'"):
        share_arenas([tmp_path / "vww", tmp_path / "default"])
    with pytest.raises(UserError, match="share the C prefix 'vww'"):
        share_arenas([tmp_path / "vww", tmp_path / "vww"])
    shutil.copytree(tmp_path / "vww", tmp_path / "other")
    plan = json.loads((tmp_path / "other" / "plan.json").read_text())
    plan["pools"][0].update(section=".arena_elsewhere", symbol="kws_arena")
    (tmp_path / "other" / "plan.json").write_text(json.dumps(plan))
    with pytest.raises(UserError, match="generated for different boards"):
        share_arenas([tmp_path / "vww", tmp_path / "other"])
    with pytest.raises(UserError, match="no plan.json"):
        share_arenas([tmp_path / "nothing"])


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """Both models in one firmware on one shared arena (two pools)."""
    root = tmp_path_factory.mktemp("shared")
    graphs = _graphs()
    board = _board(root, graphs)
    return board, graphs, root, build_models(board, graphs, root, shared_arena=True)


def test_two_models_on_a_shared_arena_run_bit_exactly_in_the_largest_model_s_bytes(shared):
    board, graphs, root, firmware = shared
    elf = Elf(firmware.elf)
    arena = share_arenas([root / p for p in graphs])
    for prefix in graphs:  # no model defines an arena of its own
        assert not [s for s in ("_arena", "_arena_dtcm") if elf.has_symbol(prefix + s)]
    for pool in arena.pools:
        assert elf.symbol(pool.symbol).size == pool.bytes == max(u.bytes for u in pool.users.values())
        assert firmware.layout.region_of(elf.symbol(pool.symbol).addr).name == pool.name
    axi = arena.pools[0]
    assert firmware.memory["arena_bytes"] == axi.bytes < axi.separate_bytes  # the max, not the sum
    assert_runs_bit_exactly(board, graphs, firmware.elf)


def test_the_report_says_the_arena_is_shared_its_bytes_and_that_the_models_must_not_run_together(shared):
    _, graphs, root, firmware = shared
    arena = share_arenas([root / p for p in graphs])
    report = (root / "fw" / "models.md").read_text()
    assert f"**the arena is shared** by vww, kws: {arena.bytes:,} B" in report
    assert f"separate arenas would take {arena.separate_bytes:,} B" in report
    assert "each model alone: " + ", ".join(f"{m.prefix} {m.bytes:,} B" for m in arena.models) in report
    assert "**vww, kws must not run at the same time**" in report
    for pool in arena.pools:
        alone = " | ".join(f"{pool.users[p].bytes:,}" for p in graphs)
        assert re.search(rf"\| {pool.name} \| {pool.symbol} \| {re.escape(pool.section)} \| {pool.bytes:,} \| "
                         rf"0x[0-9a-f]{{8}} \({pool.name}\) \| {alone} \|", report), report


def test_mlperf_vww_and_kws_share_one_arena_on_h743(shared_dir, tmp_path):
    """The MLPerf Tiny VWW and KWS models in one h743 firmware on one arena, bit-exactly on
    their golden inputs (the reference interpreter's outputs)."""
    from mcunet_core.importers.tflite import import_tflite

    names = {"vww": "vww_96_int8", "kws": "kws_ref_model"}
    graphs = {p: import_tflite(shared_dir / "models" / f"{n}.tflite") for p, n in names.items()}
    board = load_board("h743")
    firmware = build_models(board, graphs, tmp_path, shared_arena=True)
    arena = share_arenas([tmp_path / p for p in graphs])
    (axi,) = arena.pools
    assert firmware.memory["arena_bytes"] == axi.bytes == max(m.bytes for m in arena.models) < axi.separate_bytes
    for row in range(2):
        inputs = {p: np.load(shared_dir / "models" / f"{n}_golden.npz")["input"][row].reshape(
            graphs[p].tensors[graphs[p].inputs[0]].shape) for p, n in names.items()}
        assert_runs_bit_exactly(board, graphs, firmware.elf, inputs=inputs)
    assert "**vww, kws must not run at the same time**" in (tmp_path / "fw" / "models.md").read_text()
