"""The SCons front end, run as a real `scons` subprocess in a private copy of the project
(so parallel tests never share build/ or .sconsign)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from scons_project import errors, scons


def test_check_passes_then_is_up_to_date(project):
    first = scons(project, "check")
    assert first.returncode == 0, first.stderr
    assert "spec file(s) checked: no problems" in first.stdout
    assert (project / "build" / "check.stamp").is_file()
    second = scons(project, "check")
    assert second.returncode == 0
    assert second.stdout.strip() == "scons: `check' is up to date."
    # an edited spec makes it run again
    spec = project / "specs" / "tasks" / "vww.yaml"
    spec.write_text(spec.read_text() + "\n# edited\n")
    assert "no problems" in scons(project, "check").stdout


def test_check_reports_a_typo_with_file_and_line(project):
    spec = project / "specs" / "boards" / "f412.yaml"
    text = spec.read_text()
    spec.write_text(text.replace("fpu: fpv4-sp-d16", "fpu: fpv4-sp-d61").replace("dsp: true", "dps: true"))
    lines = text.splitlines()
    fpu_line = lines.index("fpu: fpv4-sp-d16") + 1
    dsp_line = lines.index("dsp: true") + 1
    root_line = next(i for i, line in enumerate(lines, 1) if line and not line.startswith("#"))
    result = scons(project, "check")
    assert result.returncode == 2
    err = errors(result)
    assert f"specs/boards/f412.yaml:{fpu_line}: $.fpu: 'fpv4-sp-d61' is not one of 'fpv4-sp-d16', " \
           f"'fpv5-sp-d16', 'fpv5-d16'; did you mean 'fpv4-sp-d16'?" in err
    assert f"specs/boards/f412.yaml:{dsp_line}: $.dps: unknown key 'dps'; did you mean 'dsp'?" in err
    assert f"specs/boards/f412.yaml:{root_line}: $: missing required key 'dsp'" in err
    assert not (project / "build" / "check.stamp").exists()
    # the same spec used by a build fails before anything is built
    result = scons(project, "board=f412", "task=vww")
    assert result.returncode == 2
    assert errors(result) == [e for e in err if e.startswith("specs/")]


def test_unknown_values_list_the_valid_ones(project):
    result = scons(project, "board=nope", "task=vwv", "opt=O1", "runner=jlink")
    assert result.returncode == 2
    assert errors(result) == [
        "board=nope: no such board (valid values: f412, f746, h743, h743-rev-y, qemu-m4, qemu-m7)",
        "task=vwv: no such task (valid values: imagenet, kws, person-det, voc, vww); did you mean 'vww'?",
        "runner=jlink: not valid (valid values: qemu, pyocd)",
        "opt=O1: not valid (valid values: O2, O3, Os)",
    ]


def test_unknown_variable(project):
    result = scons(project, "bord=h743", "task=vww")
    assert result.returncode == 2
    assert errors(result) == [
        "unknown variable 'bord=h743' (valid variables: board, task, model, search, quant, runner, probe, "
        "input, opt, export, device, amp, cache, patch, procs, torchrun); did you mean 'board'?"]


def test_bad_model_input_probe(project):
    result = scons(project, "board=h743", "model=nowhere.tflite", "input=x.npy", "probe=0669FF")
    assert result.returncode == 2
    assert errors(result) == [
        "model=nowhere.tflite: no such .tflite file",
        "input=x.npy: needs an existing .npy file (.npz: one array per model input)",
        "probe=0669FF: a probe is only used with runner=pyocd",
    ]
    (project / "Models.TFLITE").mkdir()
    result = scons(project, "board=h743", "model=Models.TFLITE")
    assert result.returncode == 2 and errors(result) == ["model=Models.TFLITE: a directory, not a .tflite file"]


def test_help_documents_the_variables(project):
    result = scons(project, "-h")
    assert result.returncode == 0
    for text in ("board: target board: f412|f746|h743|h743-rev-y|qemu-m4|qemu-m7", "task: ", "imagenet|kws|person-det|voc|vww",
                 "model: ", ".tflite", "runner: where the firmware runs: qemu|pyocd", "probe: ", "input: ",
                 "opt: compiler optimisation: O2|O3|Os", "patch: patch-based inference for model=: "
                 "off|auto|<split>:<n>|<split>:<rows>x<cols>", "scons check"):
        assert text in result.stdout


def test_nothing_to_build(project):
    result = scons(project)
    assert result.returncode == 2
    assert errors(result) == ["nothing to build: give board=<board> and task=<task> or model=<model> "
                              "(`scons -h` lists the values), or run `scons check`"]


def test_main_job_stops_at_the_first_stage_not_built(project):
    for tool in ("mcunet_nas", "mcunet_train"):
        (project / "rules" / f"{tool}.py").unlink(missing_ok=True)
    result = scons(project, "board=h743", "task=vww")
    assert result.returncode == 2
    assert errors(result) == [
        "stage 'nas' (search an architecture for the task within the board's memory) is not built yet "
        "(TinyNAS): rules/mcunet_nas.py does not exist; board=h743 task=vww needs "
        "nas -> train -> engine -> firmware -> run -> report"]
    assert not (project / "build" / "h743").exists()


def test_training_data_is_found_before_any_work(project, monkeypatch):
    monkeypatch.delenv("MCUNET_IMAGENET_DIR", raising=False)
    result = scons(project, "board=h743", "task=imagenet")
    assert result.returncode == 2
    assert errors(result) == [
        f"task=imagenet ({project}/specs/tasks/imagenet.yaml): the imagefolder data set has no embedded default: "
        "set $MCUNET_IMAGENET_DIR or dataset.path in a task spec extending this one"]
    monkeypatch.setenv("MCUNET_VWW_DIR", str(project / "no-such-folder"))
    result = scons(project, "board=h743", "task=vww")
    assert result.returncode == 2
    assert errors(result) == [f"task=vww ({project}/specs/tasks/vww.yaml): dataset path {project}/no-such-folder "
                              "(from $MCUNET_VWW_DIR) does not exist"]
    assert not (project / "build" / "h743").exists()


def test_pyocd_needs_a_real_board(project):
    result = scons(project, "board=qemu-m7", "task=vww", "runner=pyocd")
    assert result.returncode == 2
    assert errors(result) == ["runner=pyocd: board qemu-m7 has no pyOCD target (it is emulator-only); "
                              "pick a real board"]


FAKE_STAGE = '''
"""Test stand-in for a pipeline stage: copies its input into one file of build/<board>/<name>/."""

def _copy(target, source, env):
    with open(str(target[0]), "w") as out:
        out.write("{name}:" + "+".join(open(str(s)).read() if str(s).endswith(".txt") else s.name
                                       for s in source) + "\\n")

def _stage(env, ctx, sources):
    return env.Command(ctx.build_dir.File("{output}"), sources, _copy)

def generate(env):
    env.AddMethod(_stage, "{method}")

def exists(env):
    return True
'''


def _fake_stages(project: Path):
    for tool, method, output in (("mcunet_import", "McunetImport", "graph.txt"),
                                 ("mcunet_engine", "McunetEngine", "model.txt"),
                                 ("arm_gcc", "McunetFirmware", "firmware.txt"),
                                 ("mcunet_run", "McunetRun", "result.txt"),
                                 ("mcunet_report", "McunetReport", "report.txt")):
        (project / "rules" / f"{tool}.py").write_text(
            textwrap.dedent(FAKE_STAGE.format(name=tool, method=method, output=output)))


def test_stages_chain_under_build_board_name(project, tmp_path):
    _fake_stages(project)
    model = tmp_path / "tiny.tflite"
    model.write_bytes(b"\x1c\x00\x00\x00TFL3" + bytes(24))
    first = scons(project, "board=h743", f"model={model}")
    assert first.returncode == 0, first.stderr
    result = project / "build" / "h743" / "tiny" / "report.txt"
    assert result.read_text() == "mcunet_report:mcunet_run:arm_gcc:mcunet_engine:mcunet_import:tiny.tflite\n\n\n\n\n"
    again = scons(project, "board=h743", f"model={model}")
    assert again.returncode == 0 and "up to date" in again.stdout
    stamp = result.stat().st_mtime_ns
    other = scons(project, "board=f412", f"model={model}")
    assert other.returncode == 0
    assert (project / "build" / "f412" / "tiny" / "report.txt").is_file()
    assert result.stat().st_mtime_ns == stamp  # another board never touches h743's outputs
    assert "up to date" in scons(project, "board=h743", f"model={model}").stdout


def test_stage_module_without_its_method(project, tmp_path):
    _fake_stages(project)
    (project / "rules" / "mcunet_engine.py").write_text("def generate(env):\n    pass\n\n"
                                                        "def exists(env):\n    return True\n")
    model = tmp_path / "tiny.tflite"
    model.write_bytes(b"\x1c\x00\x00\x00TFL3" + bytes(24))
    result = scons(project, "board=h743", f"model={model}")
    assert result.returncode == 2
    assert errors(result) == ["stage 'engine' is not built yet (issue 5): rules/mcunet_engine.py does not add "
                              "env.McunetEngine(ctx, sources)"]


def test_device_is_checked_before_any_work(project):
    import torch

    result = scons(project, "board=h743", "task=vww", "device=gpu", "amp=yes")
    assert result.returncode == 2
    assert errors(result) == ["device=gpu: not valid (valid values: auto, cpu, cuda); did you mean 'cpu'?",
                              "amp=yes: not valid (valid values: off, on)"]
    if not torch.cuda.is_available():
        result = scons(project, "board=h743", "task=vww", "device=cuda")
        assert result.returncode == 2
        [line] = errors(result)
        assert line.startswith("device=cuda: torch sees no CUDA GPU here (torch.cuda.is_available() is False")
        result = scons(project, "board=h743", "task=vww", "amp=on")
        assert errors(result) == ["amp=on: mixed precision runs on cuda only, and device=auto trains on cpu here"]
    result = scons(project, "board=h743", "task=vww", "procs=0")
    assert errors(result) == ["procs=0: needs a whole number of processes, at least 1"]
    assert not (project / "build" / "h743").exists()


def test_help_documents_the_scale_out_variables(project):
    result = scons(project, "-h")
    for text in ("device: where search and training run: auto|cpu|cuda", "amp: mixed precision",
                 "cache: a shared build cache folder", "procs: processes that train", "torchrun: options for torchrun"):
        assert text in result.stdout
