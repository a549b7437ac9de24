"""Exported packages built the way their users build them, then run on the board's QEMU
stand-in bit for bit against the Python int8 reference: two models (VWW- and KWS-shaped
random networks) in one application, once with CMake (add_subdirectory + mcunet::<prefix>,
the package's toolchain file) and once as two Zephyr modules (Kconfig defaults, libraries
linked whole)."""

import json

import numpy as np
import pytest
import yaml

from graph_factory import random_mobilenet
from mcunet_core.device.elf import Elf
from mcunet_core.device.toolchain import compile_flags
from mcunet_core.engine import Target
from mcunet_core.package import export_package
from mcunet_core.spec import load_board
from multi_model import assert_runs_bit_exactly, nm
from package_apps import cmake_app, cmake_build, kconfig_values, zephyr_app

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


def test_two_packages_link_into_a_cmake_application_and_run_bit_exactly(packages):
    root, board, graphs, folders = packages
    app = cmake_app(root / "cmake-app", board, folders, graphs)
    elf = cmake_build(app, root / "cmake-build", folders["vww"] / "cmake" / "arm-none-eabi.cmake")
    assert not nm([elf], "--undefined-only")
    assert_runs_bit_exactly(board, graphs, elf)
    # the library was compiled with the board's flags and the measured optimisation, PRIVATE to it
    compiled = json.loads((root / "cmake-build" / "compile_commands.json").read_text())
    commands = {c["file"]: c["command"] for c in compiled}
    model_c = next(c for f, c in commands.items() if f.endswith("vww/src/model.c"))
    app_c = next(c for f, c in commands.items() if f.endswith("cmake-app/app.c"))
    assert " ".join(compile_flags(board)) in model_c  # as mcunet's own firmware compiles it
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
    assert not nm([elf], "--undefined-only")  # and no kernel twice although both libraries are linked whole
    image, noinit = Elf(elf), Elf(elf).section(".noinit")
    for prefix in graphs:  # each arena in the section Kconfig chose, which Zephyr keeps uninitialised
        arena = image.symbol(f"{prefix}_arena")
        assert noinit.addr <= arena.addr and arena.addr + arena.size <= noinit.addr + noinit.size
    assert_runs_bit_exactly(board, graphs, elf)
    commands = json.loads((root / "zephyr-build" / "compile_commands.json").read_text())
    model_c = next(c["command"] for c in commands if c["file"].endswith("vww/src/model.c"))
    assert model_c.index("-Os") < model_c.index("-O2")  # the module's optimisation comes after Zephyr's


@pytest.mark.slow
def test_mlperf_vww_and_kws_exported_by_scons_run_bit_exactly_from_cmake(project, shared_dir, tmp_path):
    """`scons board=h743 model=<MLPerf Tiny model> export=DIR` for VWW and KWS, both packages in
    one CMake application, bit-exact on their golden inputs."""
    from mcunet_core.importers.tflite import import_tflite
    from scons_project import scons

    board = load_board("h743")
    names = {"vww_96_int8": "vww_96_int8", "kws_ref_model": "kws_ref_model"}  # prefix: the file's name
    folders = {p: tmp_path / "third_party" / p for p in names}
    for prefix, name in names.items():
        done = scons(project, "board=h743", f"model={shared_dir / 'models' / f'{name}.tflite'}",
                     f"export={folders[prefix]}")
        assert done.returncode == 0, done.stderr
    graphs = {p: import_tflite(shared_dir / "models" / f"{n}.tflite") for p, n in names.items()}
    app = cmake_app(tmp_path / "app", board, folders, graphs)
    elf = cmake_build(app, tmp_path / "build", folders["vww_96_int8"] / "cmake" / "arm-none-eabi.cmake")
    for row in range(2):
        inputs = {p: np.load(shared_dir / "models" / f"{n}_golden.npz")["input"][row].reshape(
            graphs[p].tensors[graphs[p].inputs[0]].shape) for p, n in names.items()}
        assert_runs_bit_exactly(board, graphs, elf, inputs=inputs)
