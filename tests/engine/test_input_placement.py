"""The input outside the arena (``input_placement: external``): the planner leaves it (and views
of it) out, the live bytes and the patch search see the arena without it, the generated model
reads it through the application's pointer, bit-exact with the reference interpreter on the
host (ASan/UBSan) and on QEMU (a random graph; MLPerf VWW against TFLite's reference output),
and the reports say where it is and how big."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from engine_runs import run_host
from graph_factory import GraphBuilder, random_input
from mcunet_core import engine
from mcunet_core.engine.inputs import IN_ARENA, OUTSIDE, InputPlacement
from mcunet_core.engine.patch.schedule import PatchPolicy, PatchSchedule
from mcunet_core.engine.patch.stage import valid_splits
from mcunet_core.errors import UserError
from mcunet_core.ir import Activation
from mcunet_core.ir.reference import run
from test_patch import conv_stack, fixed, schedules


def outside(target):
    return dataclasses.replace(target, input_placement=OUTSIDE)


def early_peak_net():
    """A network whose arena peak is at its first op, input included: the input outside
    lowers the arena by up to its bytes."""
    b = GraphBuilder("early", np.random.default_rng(11))
    x = b.conv(b.input((1, 32, 32, 3)), 4, kernel=(3, 3), stride=(2, 2), activation=Activation.RELU6)
    x = b.depthwise(x, kernel=(3, 3), stride=(2, 2), activation=Activation.RELU6)
    x = b.reshape(b.pool(x, filter=(8, 8), stride=(8, 8)), (1, 4))
    return b.finish(b.fully_connected(x, 2))


def test_the_planner_leaves_the_input_out_of_the_arena():
    g = early_peak_net()
    name = g.inputs[0]
    inside, ext = engine.lower(g, engine.HOST).plan, engine.lower(g, outside(engine.HOST)).plan
    assert name in inside.tensor_offsets and name not in ext.tensor_offsets
    assert name not in {b.name for b in ext.buffers} and ext.external == {name: (name, 0, g.tensors[name].nbytes)}
    assert ext.arena_bytes < inside.arena_bytes and inside.arena_bytes - ext.arena_bytes <= g.tensors[name].nbytes
    assert engine.peak_memory(g, outside(engine.HOST)) == ext.arena_bytes
    live_in, live_out = engine.decide(g, engine.HOST).live_bytes, engine.decide(g, outside(engine.HOST)).live_bytes
    assert live_out[0] == g.tensors[g.ops[0].outputs[0]].nbytes < live_in[0]  # op 0's output alone
    doc = json.loads(ext.to_json())
    assert doc["external"] == [{"name": name, "input": name, "offset": 0, "bytes": g.tensors[name].nbytes}]
    assert "external" not in json.loads(inside.to_json())  # the arena's plan.json as before


def test_a_view_of_the_input_stays_outside_too(tmp_path):
    b = GraphBuilder("view", np.random.default_rng(4))
    x = b.reshape(b.input((1, 64)), (1, 8, 8, 1))
    g = b.finish(b.fully_connected(b.reshape(b.conv(x, 2, kernel=(3, 3)), (1, 128)), 3))
    plan = engine.lower(g, outside(engine.HOST)).plan
    view = g.ops[0].outputs[0]
    assert plan.external[view] == (g.inputs[0], 0, 64) and view not in plan.tensor_offsets
    x = random_input(g, np.random.default_rng(5))
    assert np.array_equal(run_host(g, x, tmp_path, target=outside(engine.HOST))[0], run(g, x)[g.outputs[0]])


def test_an_in_place_first_op_gets_its_own_output_beside_the_frame(tmp_path):
    """A depthwise layer may run in place over a dying input in the arena; over the
    application's frame it may not (the model never writes the frame): its output gets arena
    bytes of its own, and the result is the same."""
    b = GraphBuilder("inplace", np.random.default_rng(6))
    x = b.depthwise(b.input((1, 12, 12, 8)), kernel=(3, 3), activation=Activation.RELU6)
    x = b.reshape(b.pool(b.conv(x, 4, kernel=(1, 1)), filter=(12, 12), stride=(12, 12)), (1, 4))
    g = b.finish(b.fully_connected(x, 2))
    inside, ext = engine.lower(g, engine.HOST).plan, engine.lower(g, outside(engine.HOST)).plan
    dw_out = g.ops[0].outputs[0]
    assert inside.tensor_offsets[dw_out] == inside.tensor_offsets[g.inputs[0]]  # in place in the arena
    assert dw_out in ext.tensor_offsets and g.inputs[0] in ext.external
    x = random_input(g, np.random.default_rng(7))
    assert np.array_equal(run_host(g, x, tmp_path, target=outside(engine.HOST))[0], run(g, x)[g.outputs[0]])


def test_patch_slices_read_the_input_outside_the_arena_and_the_search_sees_it():
    """With the input outside, the patch stage's SLICEs read their blocks from it and no
    schedule pays for holding the whole input; auto's choice is planned exactly."""
    g = conv_stack(np.random.default_rng(7), "ext")
    schedule = PatchSchedule(valid_splits(g)[-1], (2, 2))
    ext = engine.lower(g, outside(fixed(engine.HOST, schedule)))
    slices = [i for i, op in enumerate(ext.graph.ops) if op.OPCODE == "SLICE" and op.inputs[0] == g.inputs[0]]
    assert len(slices) == 4 and g.inputs[0] not in ext.plan.tensor_offsets
    inside = engine.lower(g, fixed(engine.HOST, schedule))
    assert ext.plan.arena_bytes <= inside.plan.arena_bytes
    auto = outside(dataclasses.replace(engine.HOST, patch=PatchPolicy("auto")))
    choice = engine.decide(g, auto).patch_choice
    assert engine.peak_memory(g, auto) == (choice.chosen.arena if choice.chosen else choice.whole.arena)


@pytest.mark.parametrize("seed", range(3))
def test_external_input_is_bit_exact_on_the_host(tmp_path, seed):
    rng = np.random.default_rng(100 + seed)
    g = conv_stack(rng, f"ext{seed}")
    x = random_input(g, rng)
    want = run(g, x)[g.outputs[0]]
    schedule = next(iter(schedules(g, rng, 1)))
    for name, target in (("whole", outside(engine.HOST)), ("patched", outside(fixed(engine.HOST, schedule)))):
        got = run_host(g, x, tmp_path / name, target=target)
        assert np.array_equal(got[0], want), (name, schedule)
    api = (tmp_path / "patched" / "model.h").read_text()
    assert "#define MCUNET_INPUTS_EXTERNAL 1" in api and "void mcunet_set_input(int index, const void *data);" in api
    code = (tmp_path / "patched" / "model.c").read_text()
    assert "mcunet_external_input[0] = input + 0;" in code and "memcpy(mcunet_input(" not in code


def test_the_arena_placement_generates_what_it_always_did(tmp_path):
    g = conv_stack(np.random.default_rng(5), "same")
    a = engine.compile_graph(g, engine.HOST)
    b = engine.compile_graph(g, dataclasses.replace(engine.HOST, input_placement=IN_ARENA))
    assert a.files == b.files and "external" not in a.files["model.c"] and "set_input" not in a.files["model.h"]


def test_a_prefixed_model_names_its_input_pointer(tmp_path):
    g = early_peak_net()
    model = engine.compile_graph(g, outside(engine.HOST), prefix="cam")
    assert "void cam_set_input(int index, const void *data);" in model.files["model.h"]
    assert "#define CAM_INPUTS_EXTERNAL 1" in model.files["model.h"]
    assert "static const int8_t *cam_external_input[1];" in model.files["model.c"]
    assert "MCUNET_INPUT_EXTERNAL 1" in model.files["mcunet_model_config.h"]
    assert "MCUNET_INPUT_BUFFER" not in model.files["mcunet_model_config.h"]


def test_placement_parse():
    assert InputPlacement.parse(None) == InputPlacement.parse("arena") == IN_ARENA and not IN_ARENA.external
    assert InputPlacement.parse("external") == OUTSIDE and OUTSIDE.external and str(OUTSIDE) == "external"
    with pytest.raises(UserError, match=r"^m.yaml: input_placement: expected arena or external, got 'sdram'$"):
        InputPlacement.parse("sdram", "m.yaml: input_placement")


def test_report_says_the_input_is_outside(tmp_path):
    g = early_peak_net()
    engine.generate(g, outside(engine.HOST), tmp_path, plot=False)
    plan = json.loads((tmp_path / "plan.json").read_text())
    result = {"board": "host", "runner": "host", "status": "ok", "instructions": 1, "latency_ms": None,
              "arena_bytes": plan["arena_bytes"], "flash_bytes": 1, "output": "output.npy"}
    text = engine.render_report(g, result, plan)
    n = g.tensors[g.inputs[0]].nbytes
    assert (f"- input `{g.inputs[0]}`: outside the arena (input_placement: external), {n:,} B in the application's "
            f"buffer, read in place; not in peak SRAM") in text
    inside = engine.render_report(g, result, json.loads(engine.plan_memory(g, engine.HOST).to_json()))
    assert "outside the arena" not in inside


def _qemu(graph, board, target, x, workdir):
    from mcunet_core.device.runners.qemu import QemuRunner
    from mcunet_core.pipeline.model_firmware import build_model_firmware

    built = build_model_firmware(graph, board, workdir, "O2", target=target)
    out = graph.tensors[graph.outputs[0]]
    runs = [QemuRunner(board).run(built.firmware.elf, np.ascontiguousarray(row).tobytes()).raise_for_status()
            for row in x]
    return built, [np.asarray(r.output).view(out.dtype.numpy).reshape(out.shape) for r in runs], runs


def test_external_input_is_bit_exact_on_qemu_and_counted_apart(tmp_path):
    from mcunet_core.spec import load_board

    rng = np.random.default_rng(7)
    g = conv_stack(rng, "qemu")
    x = random_input(g, rng)
    board = load_board("h743")
    schedule = PatchSchedule(valid_splits(g)[-1], (2, 2))
    target = outside(fixed(engine.Target.from_board(board), schedule))
    built, (got,), (result,) = _qemu(g, board, target, [x[0]], tmp_path)
    assert np.array_equal(got, run(g, x)[g.outputs[0]])
    memory, n = built.firmware.memory, g.tensors[g.inputs[0]].nbytes
    assert memory["external_input_bytes"] == n and memory["sections"][".mcunet_frame"]["bytes"] == n
    assert memory["static_ram_excl_stack_bytes"] == memory["static_ram_bytes"] - memory["stack_reserved_bytes"] - n
    assert memory["arena_bytes"] == built.model.plan.arena_bytes


def test_mlperf_vww_with_its_input_outside_the_arena_on_qemu(tmp_path, shared_dir):
    """MLPerf Tiny VWW at split 8, 2x2 patches (what auto chooses with the input outside),
    bit-exact with TFLite's reference kernels on the person / no-person images, under 20 KB
    of peak SRAM (arena + static RAM + stack high-water) with the 27,648 B frame outside."""
    from mcunet_core.importers.tflite import import_tflite
    from mcunet_core.spec import load_board
    from mcunet_core.sram import peak_sram_bytes

    g = import_tflite(shared_dir / "models" / "vww_96_int8.tflite")
    golden = np.load(shared_dir / "models" / "vww_96_int8_golden.npz")
    board = load_board("h743")
    target = outside(fixed(engine.Target.from_board(board), PatchSchedule(8, (2, 2))))
    built, got, runs = _qemu(g, board, target, golden["input"][:2], tmp_path)
    for row, out in enumerate(got):
        assert np.array_equal(out, golden["output_ref"][row].reshape(out.shape)), row
    memory = built.firmware.memory
    assert memory["external_input_bytes"] == 96 * 96 * 3
    assert max(peak_sram_bytes(memory["static_ram_excl_stack_bytes"], r.stack_used) for r in runs) <= 20 * 1024


@pytest.mark.slow
def test_auto_on_mlperf_vww_with_its_input_outside(shared_dir):
    """The exact search with the input outside the arena goes below 20 KB within the cap
    (about a minute): whole tensors keep 38,160 B."""
    from mcunet_core.importers.tflite import import_tflite
    from mcunet_core.spec import load_board

    g = import_tflite(shared_dir / "models" / "vww_96_int8.tflite")
    target = outside(dataclasses.replace(engine.Target.from_board(load_board("h743")), patch=PatchPolicy("auto")))
    choice = engine.decide(g, target).patch_choice
    assert choice.schedule is not None and choice.chosen.arena < 20 * 1024 - 1024 < choice.whole.arena
    assert choice.chosen.instructions <= 1.15 * choice.whole.instructions and not choice.relaxed
