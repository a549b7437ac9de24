"""`scons board=B model=X.tflite` end to end in a private copy of the project: import,
generate, compile, run on the emulated board, result.json + output.npy + report.md;
incremental rebuilds; a user's input; an unsupported model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from scons_project import errors, random_model_file, scons

sys.path.insert(0, str(Path(__file__).resolve().parent / "importers"))
from tflite_builder import ModelBuilder  # noqa: E402

from mcunet_core.device.result import validate_result  # noqa: E402
from mcunet_core.importers.tflite import import_tflite  # noqa: E402
from mcunet_core.ir.reference import run  # noqa: E402


def test_model_pipeline_runs_reports_and_rebuilds_only_what_changed(project, shared_dir, tmp_path):
    model = shared_dir / "models" / "kws_ref_model.tflite"
    out = project / "build" / "h743" / "kws_ref_model"

    first = scons(project, "board=h743", f"model={model}")
    assert first.returncode == 0, first.stderr
    result = json.loads((out / "result.json").read_text())
    validate_result(result)
    assert result["board"] == "h743" and result["status"] == "ok" and result["instructions"] > 0
    assert result["peak_sram_bytes"] >= result["arena_bytes"] > 0
    # the default input is the engine's seeded one; the output is the reference interpreter's
    graph = import_tflite(model)
    with np.load(out / "gen" / "input.npz") as z:
        x = z[graph.inputs[0]]
    expected = run(graph, [x])[graph.outputs[0]]
    got = np.load(out / "output.npy")
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
    report = (out / "report.md").read_text()
    assert f"{result['instructions']:,}" in report and "DEPTHWISE_CONV_2D" in report

    again = scons(project, "board=h743", f"model={model}")
    assert again.returncode == 0
    assert "up to date" in again.stdout and "Compiling" not in again.stdout and "Running" not in again.stdout

    # a real change to a kernel this model does not use: that object is rebuilt, nothing runs
    unused = project / "firmware" / "kernels" / "generic" / "mcunet_transpose_s8_generic.c"
    unused.write_text(unused.read_text() + "\nint mcunet_probe_unused(void) { return 7; }\n")
    edited = scons(project, "board=h743", f"model={model}")
    assert edited.returncode == 0, edited.stderr
    compiled = [ln for ln in edited.stdout.splitlines() if ln.startswith("Compiling")]
    assert compiled == [f"Compiling {unused.relative_to(project)}"]
    assert "Running" not in edited.stdout and "Generating" not in edited.stdout

    # a change to a kernel it uses: that object, the link and the run; no regeneration
    used = project / "firmware" / "kernels" / "fc" / "mcunet_fc_s8_smlad.c"
    used.write_text(used.read_text().replace("    uint32_t acc = 0;", '    uint32_t acc = 0;\n    __asm__ volatile("nop");'))
    rerun = scons(project, "board=h743", f"model={model}")
    assert rerun.returncode == 0, rerun.stderr
    assert [ln for ln in rerun.stdout.splitlines() if ln.startswith("Compiling")] == [
        f"Compiling {used.relative_to(project)}"]
    assert "Running" in rerun.stdout and "Generating" not in rerun.stdout and "Importing" not in rerun.stdout

    # a user's input: the golden MFCC sample gives TFLite's reference output
    golden = np.load(shared_dir / "models" / "kws_ref_model_golden.npz")
    inp = tmp_path / "sample.npy"
    np.save(inp, golden["input"][0])
    mine = scons(project, "board=h743", f"model={model}", f"input={inp}")
    assert mine.returncode == 0, mine.stderr
    (run_dir,) = out.glob("runs/qemu-O2-input-sample-*")  # a run of its own: the default one stays
    np.testing.assert_array_equal(np.load(run_dir / "output.npy"), golden["output_ref"][0])
    assert (out / "result.json").is_file() and (run_dir / "report.md").is_file()


def test_unsupported_model_fails_with_op_index_and_shapes(project, tmp_path):
    mb = ModelBuilder()
    x = mb.tensor([1, 4, 4, 2], "int8", scale=0.1, zero_point=1)
    y = mb.tensor([1, 4, 4, 2], "int8", scale=0.1, zero_point=1)
    mb.op("TANH", [x], [y])
    path = tmp_path / "tanh.tflite"
    path.write_bytes(mb.finish([x], [y]))
    result = scons(project, "board=h743", f"model={path}")
    assert result.returncode == 2
    lines = errors(result)
    assert any("op 0 (TANH)" in ln and "[1, 4, 4, 2]" in ln for ln in lines), lines
    assert not (project / "build" / "h743" / "tanh" / "ir" / "graph.json").exists()


def test_float_io_and_several_inputs_and_outputs_run_through_scons(project, tmp_path):
    """QUANTIZE ... DEQUANTIZE (float32 in and out) and a two-input ADD: the firmware moves the
    inputs/outputs as one blob each, io.json decodes them into the model's dtypes and shapes."""
    for family, seed in (("chain", 0), ("add", 0)):
        path = random_model_file(tmp_path, family, seed)
        graph = import_tflite(path)
        out = project / "build" / "h743" / path.stem
        result = scons(project, "board=h743", f"model={path}")
        assert result.returncode == 0, result.stderr
        with np.load(out / "gen" / "input.npz") as z:
            inputs = [z[name] for name in graph.inputs]
        expected = run(graph, inputs)
        for i, name in enumerate(graph.outputs):
            got = np.load(out / ("output.npy" if i == 0 else f"output_{i}.npy"))
            assert got.dtype == expected[name].dtype and got.shape == expected[name].shape
            np.testing.assert_array_equal(got, expected[name])
        doc = json.loads((out / "result.json").read_text())
        assert doc["output_dtype"] == str(expected[graph.outputs[0]].dtype)
        if family == "chain":
            assert graph.tensors[graph.inputs[0]].dtype.value == "float32"
            user = tmp_path / "user.npy"
            np.save(user, np.full(graph.tensors[graph.inputs[0]].shape, 0.25, np.float32))
            mine = scons(project, "board=h743", f"model={path}", f"input={user}")
            assert mine.returncode == 0, mine.stderr
            (run_dir,) = out.glob("runs/qemu-O2-input-user-*")
            np.testing.assert_array_equal(np.load(run_dir / "output.npy"),
                                          run(graph, [np.load(user)])[graph.outputs[0]])
        else:
            assert len(graph.inputs) == 2
