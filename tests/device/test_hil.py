"""Hardware-in-the-loop: the test kernel on every real board a hardware map lists.

Run with a board attached (see README "Running on a real board"):

    MCUNET_HARDWARE_MAP=hwmap.yaml python -m pytest -m hil tests/device --junitxml=hil-junit.xml

Each connected entry of the map (probe id -> board, Zephyr twister format) gets a
hardware build of the int8 test kernel, flashed and run through pyOCD, checked bit for
bit against NumPy; result.json files and a JUnit report of the board runs land in
``$MCUNET_HIL_OUT`` (default ``build/hil``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from mcunet_core.device.result import write_junit, write_run
from mcunet_core.device.runners.pyocd import PyocdRunner, load_hardware_map
from mcunet_core.device.test_kernel import Conv1x1Case
from mcunet_core.device.toolchain import build_firmware
from mcunet_core.spec import load_board

pytestmark = pytest.mark.hil

MAP_ENV = "MCUNET_HARDWARE_MAP"


def _entries():
    path = os.environ.get(MAP_ENV)
    if not path:
        return []
    return [e for e in load_hardware_map(path) if e.connected]


@pytest.fixture(scope="module")
def hil_out():
    out = Path(os.environ.get("MCUNET_HIL_OUT", "build/hil"))
    out.mkdir(parents=True, exist_ok=True)
    runs: list = []
    yield out, runs
    if runs:
        write_junit(out / "hil-runs.xml", "mcunet.hil", runs)


def test_hardware_map_is_given():
    if not os.environ.get(MAP_ENV):
        pytest.fail(f"set {MAP_ENV}=<hardware map YAML> to run the HIL suite (pytest -m hil)")
    assert _entries(), f"{os.environ[MAP_ENV]} lists no connected probe"


@pytest.mark.parametrize("entry", _entries(), ids=lambda e: f"{e.platform}-{e.id}")
@pytest.mark.parametrize("opt", ["O2"])
def test_kernel_on_board(entry, opt, hil_out, tmp_path):
    out, runs = hil_out
    board = load_board(entry.platform)
    case = Conv1x1Case.random(seed=0)
    model = case.write_model(tmp_path / "model")
    fw = build_firmware(board, model.sources, tmp_path / "build", variant="hardware", opt=opt, include_dirs=model.include_dirs)
    x = case.random_input(seed=1)
    runner = PyocdRunner(board, probe=entry.id, hardware_map=os.environ[MAP_ENV])
    run = runner.run(fw.elf, x)
    runs.append((f"conv1x1_{board.name}_{opt}", run))
    write_run(out / f"{board.name}-{entry.id}", run, fw.memory, opt=opt)
    run.raise_for_status()
    np.testing.assert_array_equal(run.output, case.expected(x))
    assert run.count_kind == "cycles" and run.count > case.macs  # a real DWT count
