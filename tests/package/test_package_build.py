"""Exported packages built the way their users build them, then run on the board's QEMU
stand-in bit for bit against the Python int8 reference: two models (VWW- and KWS-shaped
random networks) in one application, once with CMake (add_subdirectory + mcunet::<prefix>,
the package's toolchain file) and once as two Zephyr modules (Kconfig defaults, libraries
linked whole)."""

import json
import subprocess

import numpy as np
import pytest
import yaml

from graph_factory import random_input, random_mobilenet
from mcunet_core.device.elf import Elf
from mcunet_core.device.runners.qemu import QemuRunner
from mcunet_core.device.toolchain import find_toolchain
from mcunet_core.engine import Target
from mcunet_core.ir.reference import run
from mcunet_core.package import export_package
from mcunet_core.spec import load_board
from package_apps import cmake_app, cmake_build, kconfig_values, outputs_by_model, zephyr_app

MODELS = {"vww": 21, "kws": 5}  # prefix -> seed of its random graph


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    root = tmp_path_factory.mktemp("packages")
    board = load_board("h743")
    graphs = {p: random_mobilenet(np.random.default_rng(seed), f"{p}-net") for p, seed in MODELS.items()}
    folders = {}
    for prefix, graph in graphs.items():
        folders[prefix] = root / prefix
        export_package(graph, Target.from_board(board), board, folders[prefix], prefix)
    return root, board, graphs, folders


def _run_bit_exact(board, elf, graphs):
    rng = np.random.default_rng(4)
    inputs = {p: random_input(g, rng)[0] for p, g in graphs.items()}
    result = QemuRunner(board).run(elf, b"".join(np.ascontiguousarray(x).tobytes() for x in inputs.values()))
    got = outputs_by_model(result.raise_for_status().output, graphs)
    for prefix, graph in graphs.items():
        np.testing.assert_array_equal(got[prefix], run(graph, [inputs[prefix]])[graph.outputs[0]], err_msg=prefix)


def _undefined(elf) -> list[str]:
    out = subprocess.run([find_toolchain().tool("nm"), "--undefined-only", str(elf)], capture_output=True,
                         text=True, check=True).stdout
    return [line.split()[-1] for line in out.splitlines() if line.strip() and not line.split()[-1].startswith("_")]


def test_two_packages_link_into_a_cmake_application_and_run_bit_exactly(packages):
    root, board, graphs, folders = packages
    app = cmake_app(root / "cmake-app", board, folders, graphs)
    elf = cmake_build(app, root / "cmake-build", folders["vww"] / "cmake" / "arm-none-eabi.cmake")
    assert not _undefined(elf)
    _run_bit_exact(board, elf, graphs)
    # the library was compiled with the board's flags and the measured optimisation, PRIVATE to it
    compiled = json.loads((root / "cmake-build" / "compile_commands.json").read_text())
    commands = {c["file"]: c["command"] for c in compiled}
    model_c = next(c for f, c in commands.items() if f.endswith("vww/src/model.c"))
    app_c = next(c for f, c in commands.items() if f.endswith("cmake-app/app.c"))
    assert "-mfpu=fpv5-d16" in model_c and "-O2 -ffunction-sections -fdata-sections" in model_c
    assert "kernels/include" not in app_c and f"{folders['vww']}/include" in app_c  # only the API is public


def test_two_packages_as_zephyr_modules_link_whole_and_run_bit_exactly(packages):
    root, board, graphs, folders = packages
    modules = {}
    for prefix, folder in folders.items():
        module = yaml.safe_load((folder / "zephyr" / "module.yml").read_text())
        config = kconfig_values(folder / module["build"]["kconfig"], f"MCUNET_{prefix.upper()}")
        modules[prefix] = (folder, module["build"]["cmake"], config)
    app = zephyr_app(root / "zephyr-app", board, modules, graphs)
    elf = cmake_build(app, root / "zephyr-build", folders["vww"] / "cmake" / "arm-none-eabi.cmake")
    assert not _undefined(elf)  # and no kernel twice although both libraries are linked whole
    image, noinit = Elf(elf), Elf(elf).section(".noinit")
    for prefix in graphs:  # each arena in the section Kconfig chose, which Zephyr keeps uninitialised
        arena = image.symbol(f"{prefix}_arena")
        assert noinit.addr <= arena.addr and arena.addr + arena.size <= noinit.addr + noinit.size
    _run_bit_exact(board, elf, graphs)
    commands = json.loads((root / "zephyr-build" / "compile_commands.json").read_text())
    model_c = next(c["command"] for c in commands if c["file"].endswith("vww/src/model.c"))
    assert model_c.index("-Os") < model_c.index("-O2")  # the module's optimisation comes after Zephyr's
