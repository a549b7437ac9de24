"""The patch stage generated as a loop over its patches (``codegen.patch_loop``): one loop body
of the stage's calls, the arguments that differ per patch from const tables, bit-exact with the
reference interpreter on the host (ASan/UBSan) and on QEMU, smaller than the unrolled calls;
a patch whose calls differ stays unrolled, and a model without patches renders as before."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from engine_runs import run_host
from graph_factory import GraphBuilder, random_input
from mcunet_core import engine
from mcunet_core.engine.codegen.patch_loop import Loop, Plain
from mcunet_core.engine.patch.schedule import PatchPolicy, PatchSchedule
from mcunet_core.engine.patch.stage import stage_output, valid_splits
from mcunet_core.ir import Activation
from mcunet_core.ir.reference import run
from test_patch import conv_stack, wide_early_net

OUTSIDE = engine.InputPlacement("external")


def fixed(target, split, grid):
    return dataclasses.replace(target, patch=PatchPolicy("fixed", PatchSchedule(split, grid)))


def _run_body(model_c: str) -> str:
    return model_c[model_c.index("_run(void)\n{"):model_c.index("_invoke(const int8_t *input")]


def test_the_stage_is_one_loop_with_tables_and_unrolled_on_request():
    g = wide_early_net()
    target = fixed(engine.HOST, 4, (3, 3))
    looped = engine.compile_graph(g, target).files["model.c"]
    unrolled = engine.compile_graph(g, target, unroll_patches=True).files["model.c"]
    stage_ops = 6  # SLICE, 4 stage ops, PASTE
    body = _run_body(looped)
    assert body.count("for (int k = 0; k < 9; ++k)") == 1 and "static const" not in body
    assert body.count("mcunet_copy_block_s8(") == 2 and _run_body(unrolled).count("mcunet_copy_block_s8(") == 18
    assert len(re.findall(r"^\s+mcunet_\w+\(", body, re.M)) == stage_ops + 4  # the stage once, then DW, 1x1, pool, FC (RESHAPE: a view)
    # the patches' input origins (the SLICEs' source offsets) and output origins are tables
    assert "static const uint16_t mcunet_patch_loop0_t0[9] = { 0, 48, 96, 2304, 2352, 2400, 4608, 4656, 4704 };" \
        in looped
    assert "for (int k" not in unrolled
    # deterministic bytes
    assert engine.compile_graph(g, target).files == engine.compile_graph(g, target).files


def test_without_patches_the_calls_are_what_they_always_were():
    g = conv_stack(np.random.default_rng(5), "same")
    for target in (engine.HOST, dataclasses.replace(engine.HOST, input_placement=OUTSIDE)):
        a = engine.compile_graph(g, target)
        assert a.files == engine.compile_graph(g, target, unroll_patches=True).files
        assert "patch_loop" not in a.files["model.c"]


def test_patches_whose_calls_differ_stay_unrolled():
    from mcunet_core.engine.codegen.patch_loop import Renderer, steps

    lowered = engine.lower(wide_early_net(), fixed(engine.HOST, 4, (3, 3)))
    calls, patch_of = lowered.calls, list(lowered.decisions.patched.patch)
    r = Renderer({n: "mcunet_arena" for n in lowered.plan.tensor_offsets}, lowered.plan.tensor_offsets,
                 {i: "mcunet_arena" for i in lowered.plan.scratch_offsets}, lowered.plan.scratch_offsets, str,
                 {s.name: s.ctype for c in calls for s in c.structs})
    assert [type(s) for s in steps(calls, patch_of, r, "mcunet")] == [Loop] + [Plain] * 5
    # patch 4 (the middle one) with a call another kernel makes: patches 0-3 loop, 4 is plain, 5-8 loop
    middle = [i for i, c in enumerate(calls) if patch_of[c.op_index] == 4]
    changed = list(calls)
    changed[middle[1]] = dataclasses.replace(calls[middle[1]], plan=dataclasses.replace(calls[middle[1]].plan,
                                                                                        function="other_kernel"))
    out = steps(changed, patch_of, r, "mcunet")
    loops = [s for s in out if isinstance(s, Loop)]
    assert [(s.first, s.count) for s in loops] == [(0, 4), (5, 4)]
    assert sum(isinstance(s, Plain) for s in out) == len(middle) + 5


def _grids(graph, split):
    h, w = graph.tensors[stage_output(graph, split)].shape[1:3]
    return sorted({(2, 2), (min(h, 3), 1), (min(h, 4), min(w, 3)), (h, w)} - {(1, 1)})


@pytest.mark.parametrize("seed", range(3))
def test_looped_patches_are_bit_exact_on_the_host(tmp_path, seed):
    """Random stacks (strides, kernels 1-7, dilation, residuals), border patches included,
    the input in the arena and outside it: ASan/UBSan, bit for bit the reference."""
    rng = np.random.default_rng(300 + seed)
    g = conv_stack(rng, f"loop{seed}")
    x = random_input(g, rng)
    want = run(g, x)[g.outputs[0]]
    split = int(rng.choice(valid_splits(g)))
    grid = _grids(g, split)[int(rng.integers(len(_grids(g, split))))]
    placement = (engine.InputPlacement("arena"), OUTSIDE)[seed % 2]
    target = fixed(dataclasses.replace(engine.HOST, input_placement=placement), split, grid)
    text = engine.compile_graph(g, target).files["model.c"]
    assert "for (int k = 0;" in text, (split, grid)
    got = run_host(g, x, tmp_path, target=target)
    assert np.array_equal(got[0], want), (split, grid, placement)


def test_looped_patches_on_qemu_bit_exact_smaller_and_profiled(tmp_path):
    from mcunet_core.device.runners.qemu import QemuRunner
    from mcunet_core.device.generated import build_generated
    from mcunet_core.spec import load_board

    b = GraphBuilder("loopq", np.random.default_rng(9))
    x = b.conv(b.input((1, 48, 48, 3)), 8, kernel=(3, 3), stride=(2, 2), activation=Activation.RELU6)
    h = b.depthwise(b.conv(x, 24, kernel=(1, 1), activation=Activation.RELU6), kernel=(3, 3),
                    activation=Activation.RELU6)
    x = b.add(x, b.conv(h, 8, kernel=(1, 1)))
    x = b.depthwise(x, kernel=(3, 3), stride=(2, 2), activation=Activation.RELU6)
    g = b.finish(b.fully_connected(b.reshape(b.mean(x), (1, 8)), 3))
    board = load_board("h743")
    target = fixed(engine.Target.from_board(board), len(g.ops) - 3, (4, 4))
    xin = random_input(g, np.random.default_rng(1))[0]
    want = run(g, [xin])[g.outputs[0]]
    seen = {}
    for name, unroll, defines in (("loop", False, None), ("unrolled", True, None),
                                  ("profile", False, {"MCUNET_PROFILE_LAYERS": "1"})):
        gen = tmp_path / name / "gen"
        engine.generate(g, target, gen, plot=False, unroll_patches=unroll)
        fw = build_generated(board, gen, tmp_path / name / "fw", opt="O2", defines=defines)
        r = QemuRunner(board).run(fw.elf, np.ascontiguousarray(xin).tobytes()).raise_for_status()
        np.testing.assert_array_equal(np.asarray(r.output).view(np.int8).reshape(want.shape), want)
        seen[name] = (fw.memory["flash_bytes"], r.count, re.findall(r"MCUNET layer (\d+) \d+", r.console))
    lowered = engine.lower(g, target)
    assert "for (int k = 0; k < 16; ++k)" in (tmp_path / "loop" / "gen" / "model.c").read_text()
    assert seen["loop"][0] < seen["unrolled"][0]  # one body and tables, not 16 copies of the calls
    assert abs(seen["loop"][1] - seen["unrolled"][1]) <= 0.02 * seen["unrolled"][1]
    # a profile build still marks every op of the unrolled graph, in order
    assert [int(i) for i in seen["profile"][2]] == list(range(len(lowered.graph.ops)))


@pytest.mark.parametrize("placement", ["arena", "external"])
def test_row_patches_read_their_input_block_in_place(tmp_path, placement):
    """Row patches: each patch's input block (halo included) is whole rows, contiguous in the
    input, so its SLICE is a view there (no copy, no arena bytes of its own), bit-exact on the
    host (ASan/UBSan); 2-D patches still copy their block."""
    g = wide_early_net()
    x = random_input(g, np.random.default_rng(2))
    target = fixed(dataclasses.replace(engine.HOST, input_placement=engine.InputPlacement(placement)), 4, (4, 1))
    lowered = engine.lower(g, target)
    slices = [c for c, op in zip(lowered.calls, lowered.graph.ops) if op.OPCODE == "SLICE"]
    assert len(slices) == 4 and all(c.plan.function is None for c in slices)
    copied = engine.lower(g, engine.restricted(target, disable=["SliceRowsView"]))
    assert lowered.plan.arena_bytes <= copied.plan.arena_bytes and lowered.instructions() < copied.instructions()
    grid = engine.lower(g, fixed(target, 4, (2, 2)))
    assert all(c.plan.function == "mcunet_copy_block_s8" for c, op in zip(grid.calls, grid.graph.ops)
               if op.OPCODE == "SLICE")
    assert np.array_equal(run_host(g, x, tmp_path, target=target)[0], run(g, x)[g.outputs[0]])
