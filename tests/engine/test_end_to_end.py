"""Generated C end to end: the MLPerf Tiny models and random networks, on every emulated
board and on the host under ASan/UBSan, bit-exact with TFLite's reference outputs and with
the reference interpreter."""

from pathlib import Path

import numpy as np
import pytest

from engine_runs import run_qemu
from graph_factory import random_input, random_mobilenet
from mcunet_core.device.runners.qemu import QemuRunner
from mcunet_core.engine.compile import generate
from mcunet_core.pipeline.model_firmware import build_model_firmware
from mcunet_core.device.host import build_host
from mcunet_core.engine.target import HOST
from mcunet_core.importers.tflite import import_tflite
from mcunet_core.ir.reference import run
from mcunet_core.spec import load_board

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "models"
MODELS = ("vww_96_int8", "kws_ref_model")


def _model(name):
    if not (SHARED / f"{name}.tflite").is_file():
        pytest.skip(f"{SHARED} not present")
    return import_tflite(SHARED / f"{name}.tflite"), np.load(SHARED / f"{name}_golden.npz")


@pytest.mark.parametrize("board_name", ["f746", "h743", "f412"])
@pytest.mark.parametrize("model", MODELS)
def test_reference_model_on_emulated_board(model, board_name, tmp_path):
    graph, golden = _model(model)
    board = load_board(board_name)
    built = build_model_firmware(graph, board, tmp_path)
    runner = QemuRunner(board)
    counts = []
    for i, (x, expected) in enumerate(zip(golden["input"], golden["output_ref"])):
        result = runner.run(built.firmware.elf, np.ascontiguousarray(x).tobytes()).raise_for_status()
        np.testing.assert_array_equal(np.asarray(result.output).reshape(expected.shape), expected, err_msg=f"row {i}")
        counts.append(result.count)
    again = runner.run(built.firmware.elf, np.ascontiguousarray(golden["input"][0]).tobytes())
    assert again.count == counts[0]  # the instruction count is deterministic
    # what the firmware reserved for the arena is what the planner computed
    assert built.firmware.memory["arena_bytes"] >= built.model.plan.arena_bytes


@pytest.mark.parametrize("model", MODELS)
def test_reference_model_on_host_with_sanitizers(model, tmp_path):
    graph, golden = _model(model)
    generate(graph, HOST, tmp_path, plot=False)
    program = build_host(tmp_path)
    for i, (x, expected) in enumerate(zip(golden["input"], golden["output_ref"])):
        (out,) = program.run([x.reshape(graph.tensors[graph.inputs[0]].shape)], tmp_path)
        np.testing.assert_array_equal(out.reshape(expected.shape), expected, err_msg=f"row {i}")


@pytest.mark.parametrize("seed", range(6))
def test_random_network_on_host_and_emulator(seed, tmp_path):
    graph = random_mobilenet(np.random.default_rng(seed), f"mbnet{seed}")
    inputs = random_input(graph, np.random.default_rng(100 + seed))
    expected = run(graph, inputs)[graph.outputs[0]]
    generate(graph, HOST, tmp_path / "host", plot=False)
    program = build_host(tmp_path / "host")
    np.testing.assert_array_equal(program.run(inputs, tmp_path / "host")[0], expected)
    board = ("h743", "f412", "f746")[seed % 3]
    (out,), _ = run_qemu(graph, inputs, board, tmp_path / board)
    np.testing.assert_array_equal(out, expected)
