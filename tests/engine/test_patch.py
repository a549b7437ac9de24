"""Patch-based inference: random convolution stacks (strides, kernels 1-7, dilation, pooling,
residual ADDs) run patch by patch are bit-exact with the whole-tensor reference run, in the
reference interpreter, in C on the host (ASan/UBSan) and on QEMU; the plan is checked; the
search picks the lowest arena under the instruction cap, or whole tensors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from engine_runs import run_host, run_qemu
from graph_factory import GraphBuilder, random_input
from mcunet_core import engine
from mcunet_core.errors import UserError
from mcunet_core.ir import Activation
from mcunet_core.ir import ops as O
from mcunet_core.ir.reference import run
from mcunet_core.engine.decisions import decide_whole
from mcunet_core.engine.patch.schedule import PatchPolicy, PatchSchedule
from mcunet_core.engine.patch.search import search
from mcunet_core.engine.patch.stage import stage_output, valid_splits
from mcunet_core.engine.patch.unroll import unroll


def conv_stack(rng: np.random.Generator, name: str = "stack"):
    """Convolutions (kernels 1-7, strides 1/2, some dilated), depthwise, pooling and residual
    ADDs on a random image, then global pooling and a classifier."""
    b = GraphBuilder(name, rng)
    res = int(rng.choice([12, 17, 24, 32]))
    x = b.input((1, res, int(res * rng.choice([1, 0.75])), int(rng.choice([1, 3]))))
    c = int(rng.choice([4, 8]))
    x = b.conv(x, c, kernel=(3, 3), stride=(2, 2), activation=Activation.RELU6)
    for _ in range(int(rng.integers(2, 5))):
        kind = rng.choice(["conv", "dw", "res", "pool"])
        k = int(rng.choice([1, 2, 3, 5, 7]))
        s = int(rng.choice([1, 2])) if b.g.tensors[x].shape[1] >= 6 else 1
        if kind == "conv":
            d = int(rng.choice([1, 2])) if s == 1 and k > 1 else 1
            c = int(rng.choice([4, 8, 12]))
            x = b.conv(x, c, kernel=(k, k), stride=(s, s), dilation=(d, d), activation=Activation.RELU)
        elif kind == "dw":
            x = b.depthwise(x, kernel=(k, k), stride=(s, s), activation=Activation.RELU6)
        elif kind == "res":
            h = b.conv(x, 2 * c, kernel=(1, 1), activation=Activation.RELU6)
            h = b.depthwise(h, kernel=(max(k, 3) | 1,) * 2, activation=Activation.RELU6)
            x = b.add(x, b.conv(h, c, kernel=(1, 1)))
        else:
            x = b.pool(x, kind=rng.choice([O.AveragePool2D, O.MaxPool2D]), filter=(3, 3), stride=(s, s),
                       padding="SAME")
    x = b.mean(x)
    x = b.reshape(x, (1, c))
    return b.finish(b.fully_connected(x, 5))


def schedules(graph, rng, n: int):
    splits = valid_splits(graph)
    for split in rng.choice(splits, size=min(n, len(splits)), replace=False):
        h, w = graph.tensors[stage_output(graph, int(split))].shape[1:3]
        for grid in {(2, 2), (min(h, 3), 1), (min(h, 4), min(w, 3)), (h, w)}:
            if grid[0] * grid[1] > 1:
                yield PatchSchedule(int(split), grid)


def fixed(target, schedule):
    return dataclasses.replace(target, patch=PatchPolicy("fixed", schedule))


@pytest.mark.parametrize("seed", range(12))
def test_patches_are_bit_exact_in_the_reference(seed):
    rng = np.random.default_rng(seed)
    g = conv_stack(rng)
    x = random_input(g, rng)
    want = run(g, x)
    for schedule in schedules(g, rng, 4):
        got = run(unroll(g, schedule).graph, x)
        assert all(np.array_equal(want[k], got[k]) for k in want), schedule


def test_halo_and_border_padding():
    """Interior patch borders have no padding (their halo is real data); the real borders
    keep the whole tensor's SAME padding."""
    b = GraphBuilder("pad", np.random.default_rng(0))
    y = b.conv(b.input((1, 8, 8, 1)), 2, kernel=(3, 3))
    g = b.finish(b.fully_connected(b.reshape(b.conv(y, 2, kernel=(1, 1)), (1, 128)), 2))
    u = unroll(g, PatchSchedule(1, (2, 1)))
    convs = [op for op in u.graph.ops if isinstance(op, O.Conv2D)][:2]
    assert [(c.padding.top, c.padding.bottom) for c in convs] == [(1, 0), (0, 1)]
    slices = [op for op in u.graph.ops if isinstance(op, O.Slice)]
    assert [u.graph.tensors[s.outputs[0]].shape for s in slices] == [(1, 5, 8, 1)] * 2  # 4 rows + 1 halo row


def test_unroll_refuses_what_cannot_run_per_patch():
    g = conv_stack(np.random.default_rng(1))
    with pytest.raises(UserError, match="cannot run per patch"):
        unroll(g, PatchSchedule(len(g.ops) - 1, (2, 2)))  # the classifier is not spatially local
    with pytest.raises(UserError, match="patches of a"):
        unroll(g, PatchSchedule(1, (99, 1)))


def test_policy_parse():
    assert PatchPolicy.parse("off").mode == "off"
    assert PatchPolicy.parse(None).mode == PatchPolicy.parse("auto").mode == "auto"
    assert PatchPolicy.parse({"split": 3, "patches": 4}).schedule == PatchSchedule(3, (4, 4))
    assert PatchPolicy.parse({"split": 3, "patches": [5, 1]}).schedule == PatchSchedule(3, (5, 1))
    for bad in ("on", {"split": 0, "patches": 2}, {"split": 2, "patches": 1}, {"split": 2}):
        with pytest.raises(UserError, match="patch"):
            PatchPolicy.parse(bad)


def test_patched_plan_shares_weights_and_pastes_in_place():
    g = conv_stack(np.random.default_rng(3))
    schedule = PatchSchedule(valid_splits(g)[-1], (2, 2))
    whole, patched = engine.lower(g, engine.HOST), engine.lower(g, fixed(engine.HOST, schedule))
    weights = sum(t.nbytes for t in g.tensors.values() if t.is_constant)
    assert patched.constant_bytes <= whole.constant_bytes + weights // 4  # weights once, not once a patch
    plan = patched.plan  # the checker ran on it
    pastes = [op for op in patched.graph.ops if isinstance(op, O.Paste)]
    offsets = {plan.tensor_offsets[p.outputs[0]] for p in pastes}
    assert len(pastes) == 4 and len(offsets) == 1  # one canvas, written in place
    assert engine.peak_memory(g, fixed(engine.HOST, schedule)) == plan.arena_bytes


@pytest.mark.parametrize("seed", range(3))
def test_patches_are_bit_exact_on_the_host(tmp_path, seed):
    rng = np.random.default_rng(100 + seed)
    g = conv_stack(rng, f"host{seed}")
    x = random_input(g, rng)
    want = run(g, x)[g.outputs[0]]
    schedule = next(iter(schedules(g, rng, 1)))
    got = run_host(g, x, tmp_path, target=fixed(engine.HOST, schedule))
    assert np.array_equal(got[0], want), schedule


def test_patches_are_bit_exact_on_qemu(tmp_path):
    from mcunet_core.spec import load_board

    rng = np.random.default_rng(7)
    g = conv_stack(rng, "qemu")
    x = random_input(g, rng)
    schedule = PatchSchedule(valid_splits(g)[-1], (2, 2))
    board = load_board("h743")
    from mcunet_core.pipeline.model_firmware import build_model_firmware
    from mcunet_core.device.runners.qemu import QemuRunner

    built = build_model_firmware(g, board, tmp_path, "O2", target=fixed(engine.Target.from_board(board), schedule))
    result = QemuRunner(board).run(built.firmware.elf, np.ascontiguousarray(x[0]).tobytes()).raise_for_status()
    out = g.tensors[g.outputs[0]]
    got = np.asarray(result.output).view(out.dtype.numpy).reshape(out.shape)
    assert np.array_equal(got, run(g, x)[g.outputs[0]])


def wide_early_net():
    """An MCUNet-like network whose peak is one wide early tensor: patches pay off."""
    b = GraphBuilder("wide", np.random.default_rng(5))
    x = b.conv(b.input((1, 48, 48, 3)), 8, kernel=(3, 3), stride=(2, 2), activation=Activation.RELU6)
    h = b.conv(x, 48, kernel=(1, 1), activation=Activation.RELU6)
    h = b.depthwise(h, kernel=(3, 3), stride=(2, 2), activation=Activation.RELU6)
    x = b.conv(h, 8, kernel=(1, 1))
    x = b.depthwise(x, kernel=(3, 3), stride=(2, 2), activation=Activation.RELU6)
    x = b.conv(x, 16, kernel=(1, 1), activation=Activation.RELU6)
    x = b.reshape(b.pool(x, filter=(6, 6), stride=(6, 6)), (1, 16))
    return b.finish(b.fully_connected(x, 2))


def test_auto_picks_the_lowest_arena_under_the_cap():
    g = wide_early_net()
    target = dataclasses.replace(engine.HOST, patch=PatchPolicy("auto"))
    best, seen = search(g, target, decide_whole(g, target))
    base = seen[0]
    assert base.schedule is None and best.schedule is not None
    assert best.arena < base.arena and best.instructions <= 1.2 * base.instructions
    within = [c for c in seen if c.instructions is not None and c.instructions <= 1.2 * base.instructions]
    assert best.arena == min(c.arena for c in within)
    assert engine.lower(g, target).decisions.schedule == best.schedule
    off = engine.peak_memory(g, engine.HOST)
    assert engine.peak_memory(g, target) == best.arena < off


def test_auto_keeps_whole_tensors_when_they_are_lower():
    g = conv_stack(np.random.default_rng(2))
    target = dataclasses.replace(engine.HOST, patch=PatchPolicy("auto", cap=0.0))
    assert engine.lower(g, target).decisions.schedule is None  # no patch schedule is free
    assert engine.peak_memory(g, target) == engine.peak_memory(g, engine.HOST)


def test_policy_from_the_command_line():
    assert PatchPolicy.from_argument("off") == PatchPolicy("off")
    assert PatchPolicy.from_argument("auto") == PatchPolicy("auto")
    assert PatchPolicy.from_argument("6:4").schedule == PatchSchedule(6, (4, 4))
    assert PatchPolicy.from_argument("6:5x1").schedule == PatchSchedule(6, (5, 1))
    assert str(PatchPolicy.from_argument("6:5x1")) == "6:5x1" and PatchPolicy.from_argument("6:3").to_json() == {
        "split": 6, "patches": [3, 3]}
    for bad in ("on", "6", "6:", "6:5x", "0:2", "3:1", "a:2"):
        with pytest.raises(UserError, match=f"patch={bad}"):
            PatchPolicy.from_argument(bad)


def _pooled(target, capacity):
    from mcunet_core.engine.planner.pools import Pool

    return dataclasses.replace(target, pools=(Pool("arena", capacity, "mcunet_arena", ".arena"),))


def small_early_net():
    """wide_early_net, smaller: quick to search several times."""
    b = GraphBuilder("early", np.random.default_rng(5))
    x = b.conv(b.input((1, 24, 24, 3)), 8, kernel=(3, 3), stride=(2, 2), activation=Activation.RELU6)
    h = b.conv(x, 48, kernel=(1, 1), activation=Activation.RELU6)
    h = b.depthwise(h, kernel=(3, 3), stride=(2, 2), activation=Activation.RELU6)
    x = b.conv(h, 8, kernel=(1, 1))
    x = b.reshape(b.pool(x, filter=(6, 6), stride=(6, 6)), (1, 8))
    return b.finish(b.fully_connected(x, 2))


def test_fit_or_patch():
    """Whole tensors that do not fit the RAM: auto takes the best schedule under the cap that
    fits, else the fitting one of fewest instructions at any cost (relaxed), else fails naming
    what the best schedule needed against the room."""
    g = small_early_net()
    auto = dataclasses.replace(engine.HOST, patch=PatchPolicy("auto"))
    whole = engine.peak_memory(g, engine.HOST)
    free = engine.decide(g, auto).patch_choice
    assert not free.relaxed and free.chosen.arena < whole

    tight = engine.decide(g, _pooled(auto, whole - 1)).patch_choice
    assert tight.schedule == free.schedule and not tight.whole.fits and tight.whole.arena == whole

    room = free.chosen.arena - 1  # under it, nothing within the 20 % cap fits
    relaxed = engine.decide(g, _pooled(auto, room)).patch_choice
    assert relaxed.relaxed and relaxed.chosen.fits and relaxed.chosen.arena <= room
    assert relaxed.chosen.instructions > 1.2 * relaxed.whole.instructions
    assert "over the 20% cap" in relaxed.describe()
    assert engine.lower(g, _pooled(auto, room)).plan.arena_bytes <= room

    with pytest.raises(UserError) as err:
        engine.decide(g, _pooled(auto, 1000))
    text = str(err.value)
    assert "does not fit its RAM, with or without patches" in text and f"arena of {whole:,} B" in text
    assert "the best patch schedule (split" in text and "instructions (+" in text and "arena 1,000 B" in text
    with pytest.raises(UserError, match="overflowed"):  # off: the planner's own error, no search
        engine.lower(g, _pooled(engine.HOST, 1000)).plan


def test_plan_json_and_plot_show_the_patch_stage(tmp_path):
    import json

    g = wide_early_net()
    target = dataclasses.replace(engine.HOST, patch=PatchPolicy("auto"))
    model = engine.generate(g, target, tmp_path)
    doc = json.loads((tmp_path / "plan.json").read_text())
    stage = doc["patch"]
    s = stage["schedule"]
    assert stage["policy"] == "auto" and stage["chosen"]["schedule"] == s and stage["arena_bytes"] == doc["arena_bytes"]
    assert len(stage["patches"]) == s["patches"][0] * s["patches"][1] and stage["stage_ops"] == [0, s["split"] - 1]
    assert stage["whole"]["arena_bytes"] > doc["arena_bytes"]
    assert 0 < stage["extra_instructions"] <= 0.2
    out = stage["assembled_output"]
    assert out["bytes"] == g.tensors[out["name"]].nbytes
    names = {b["name"] for b in doc["buffers"]}
    for p in stage["patches"]:
        assert p["buffers"] and all(b["name"] in names for b in p["buffers"]) and p["peak_bytes"] <= doc["arena_bytes"]
        assert all(b["name"].endswith(f"@p{p['index']}") or "@p" in b["name"] or b["name"].startswith("scratch:")
                   for b in p["buffers"])
    assert model.op_labels[0] == "0:SLICE p0" and len(model.op_labels) > len(g.ops)
    assert (tmp_path / "memory.png").stat().st_size > 0
    # patches off: plan.json as before (no patch key), labels of the graph's own ops
    engine.generate(g, engine.HOST, tmp_path / "off")
    assert "patch" not in json.loads((tmp_path / "off" / "plan.json").read_text())


def test_fixed_schedule_reports_whole_tensors():
    g = wide_early_net()
    schedule = PatchSchedule(valid_splits(g)[-1], (2, 2))
    choice = engine.decide(g, fixed(engine.HOST, schedule)).patch_choice
    assert choice.schedule == schedule and choice.chosen is None
    assert choice.whole.arena == engine.peak_memory(g, engine.HOST) and "fixed" in choice.describe()


def test_report_shows_the_patch_stage(tmp_path):
    import json

    g = wide_early_net()
    engine.generate(g, dataclasses.replace(engine.HOST, patch=PatchPolicy("auto")), tmp_path, plot=False)
    plan = json.loads((tmp_path / "plan.json").read_text())
    result = {"board": "host", "runner": "host", "status": "ok", "instructions": 1, "latency_ms": None,
              "arena_bytes": plan["arena_bytes"], "flash_bytes": 1, "output": "output.npy"}
    text = engine.render_report(g, result, plan)
    s = plan["patch"]["schedule"]
    assert f"- patches: patch auto (cap 20%): split {s['split']}, {s['patches'][0]}x{s['patches'][1]} patches" in text
    assert "## Patch stage" in text and text.count("| 0 | 0-") == 1
    assert "per patch" in text  # the stage's own tensors live per patch
    rows = [line for line in text.splitlines() if line.startswith("| ") and "rows " in line]
    assert len(rows) == len(plan["patch"]["patches"])
    off = engine.render_report(g, result, json.loads(engine.plan_memory(g, engine.HOST).to_json()))
    assert "patch" not in off.lower()


def test_a_narrow_policy_searches_fewer_splits_and_grids():
    from mcunet_core.engine.patch.search import candidates, narrow_splits

    g = wide_early_net()
    narrow = PatchPolicy("auto", sides=(2, 3), max_splits=2)
    splits = narrow_splits(g, 2)
    assert set(splits) <= set(valid_splits(g)) and len(splits) <= 2
    shapes = [g.tensors[stage_output(g, s)].shape[1:3] for s in splits]
    assert len(set(shapes)) == len(shapes)  # one split per resolution, the highest ones
    few = candidates(g, narrow)
    assert {c.split for c in few} == set(splits) and {c.grid for c in few} <= {(2, 2), (3, 3), (2, 1), (3, 1)}
    assert len(few) < len(candidates(g))
