"""rules/arm_gcc.py and rules/mcunet_run.py driven by real scons, as the pipeline wires them."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from mcunet_core.device.test_kernel import Conv1x1Case

ROOT = Path(__file__).resolve().parents[2]

SCONSTRUCT = textwrap.dedent(
    """
    import sys, types
    sys.path[:0] = [{root!r}, {rules!r}]
    from mcunet_core.spec import load_board
    from mcunet_core.errors import UserError
    env = Environment(tools=[], toolpath=[{rules!r}])
    ctx = types.SimpleNamespace(board=load_board(ARGUMENTS.get("board", "f412")), build_dir=Dir("#build/x"),
                                runner="qemu", probe=None, input=ARGUMENTS.get("input"), opt=ARGUMENTS.get("opt", "O2"))
    try:
        env.Tool("arm_gcc")
        env.Tool("mcunet_run")
        srcs = [env.File(p) for p in Glob("model/*.c", strings=True)] + [{kernel!r}]
        fw = env.McunetFirmware(ctx, srcs + [env.File("model/mcunet_model_config.h")])
        Default(env.McunetRun(ctx, fw))
    except UserError as err:
        print("\\n".join(err.messages), file=sys.stderr)
        Exit(2)
    """
)


def _project(tmp_path: Path, case: Conv1x1Case) -> Path:
    model = case.write_model(tmp_path / "model")
    (tmp_path / "SConstruct").write_text(
        SCONSTRUCT.format(root=str(ROOT), rules=str(ROOT / "rules"), kernel=str(model.sources[1]))
    )
    return tmp_path


def _scons(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "SCons", "-Q", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_firmware_and_run_stages(tmp_path):
    case = Conv1x1Case.random(seed=3, height=8, width=8)
    proj = _project(tmp_path, case)
    x = case.random_input(seed=2)
    np.save(proj / "in.npy", x)
    first = _scons(proj, "board=h743", "input=in.npy")
    assert first.returncode == 0, first.stderr + first.stdout
    assert "board h743: flash" in first.stdout and "AXI_SRAM" in first.stdout  # size report per region
    (run_dir,) = (proj / "build/x/runs").glob("qemu-O2-input-in-*")  # a user's input: a run folder of its own
    result = json.loads((run_dir / "result.json").read_text())
    assert result["status"] == "ok" and result["board"] == "h743" and result["runner"] == "qemu"
    np.testing.assert_array_equal(np.load(run_dir / result["output"]), case.expected(x))
    assert (proj / "build/x/firmware/fw.map").is_file()
    assert json.loads((proj / "build/x/firmware/size.json").read_text())["flash_bytes"] == result["flash_bytes"]
    again = _scons(proj, "board=h743", "input=in.npy")
    assert again.returncode == 0 and "is up to date" in again.stdout and "Compiling" not in again.stdout
    o3 = _scons(proj, "board=h743", "input=in.npy", "opt=O3")  # flags changed: built and run apart
    assert o3.returncode == 0 and "Compiling" in o3.stdout and "Running" in o3.stdout
    assert (proj / "build/x/firmware-emulator-O3/fw.elf").is_file() and (proj / "build/x/firmware/fw.elf").is_file()
    back = _scons(proj, "board=h743", "input=in.npy")  # going back rebuilds nothing
    assert back.returncode == 0 and "Compiling" not in back.stdout and "Running" not in back.stdout


def test_overflow_fails_the_build_with_one_line(tmp_path):
    case = Conv1x1Case.random(seed=3, height=8, width=8)
    proj = _project(tmp_path, case)
    cfg = proj / "model" / "mcunet_model_config.h"
    cfg.write_text(cfg.read_text().replace("#define MCUNET_ARENA_BYTES", "#define MCUNET_ARENA_BYTES 300000 + 0 *"))
    res = _scons(proj, "board=f412")
    assert res.returncode == 2
    assert "board f412: region SRAM overflowed by" in res.stderr
    assert "Traceback" not in res.stderr + res.stdout
