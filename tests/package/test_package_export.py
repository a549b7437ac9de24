"""The exported package's contents: the model under its own prefix, only the kernels it calls
and the headers they include, build files that name exactly those files, a manifest that
notices a changed file, and the checks a folder passes before an export may replace it."""

import json
import os
import re

import numpy as np
import pytest
import yaml

from graph_factory import random_mobilenet
from mcunet_core import engine
from mcunet_core.engine import Target
from mcunet_core.errors import UserError
from mcunet_core.package import MANIFEST, export_dir_problems, export_package, is_intact, package_prefix
from mcunet_core.package.includes import include_closure
from mcunet_core.paths import KERNEL_DIR
from mcunet_core.spec import load_board
from package_apps import kconfig_values


@pytest.mark.parametrize("name, prefix", [("vww", "vww"), ("dscnn-kws", "dscnn_kws"), ("KWS.v2", "kws_v2"),
                                          ("3x", "m_3x"), ("mcunet", "mcunet_model")])
def test_the_prefix_is_the_name_as_a_c_identifier(name, prefix):
    assert package_prefix(name) == prefix and re.fullmatch(r"[a-z_][a-z0-9_]*", prefix)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    board = load_board("h743")
    graph = random_mobilenet(np.random.default_rng(21), "vww-net")
    pkg = export_package(graph, Target.from_board(board), board, root / "pkg", "vww")
    engine.generate(graph, Target.from_board(board), root / "gen", plot=False)  # the pipeline's folder
    return root, pkg


def _files(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_only_the_kernels_the_model_calls_and_the_headers_they_include(exported):
    root, pkg = exported
    build = json.loads((root / "gen" / "build.json").read_text())
    kernels = [f[len("kernels/"):] for f in _files(root / "pkg") if f.startswith("kernels/")]
    assert [k for k in kernels if k.endswith(".c")] == sorted(build["kernel_sources"])
    roots = build["kernel_sources"] + ["include/mcunet_kernels.h"]  # what model.c includes
    assert kernels == include_closure(roots, KERNEL_DIR)
    assert len([p for p in KERNEL_DIR.rglob("*.c")]) > len(build["kernel_sources"])  # some stayed out
    for k in kernels:
        assert (root / "pkg" / "kernels" / k).read_bytes() == (KERNEL_DIR / k).read_bytes()


def test_the_model_is_generated_under_its_prefix_and_the_harness_config_stays_out(exported):
    root, pkg = exported
    folder = root / "pkg"
    assert pkg.prefix == "vww"
    header = (folder / "include" / "vww" / "model.h").read_text()
    assert "int vww_invoke(const int8_t *input, int8_t *output);" in header and "#define VWW_ARENA_BYTES" in header
    assert sorted(p.name for p in (folder / "src").iterdir()) == ["model.c", "model_weights.h", "weights.c"]
    assert not list(folder.rglob("mcunet_model_config.h")) and not list(folder.rglob("build.json"))


def test_the_manifest_lists_every_file_and_notices_a_changed_or_missing_one(exported, tmp_path):
    root, pkg = exported
    folder = root / "pkg"
    manifest = json.loads((folder / MANIFEST).read_text())
    assert sorted(manifest["files"]) == [f for f in _files(folder) if f != MANIFEST]
    assert manifest["prefix"] == "vww" and manifest["board"] == "h743" and manifest["target"] == "mcunet_vww"
    assert is_intact(folder)
    copy = tmp_path / "copy"
    export_package(random_mobilenet(np.random.default_rng(21), "vww-net"), Target.from_board(pkg.board),
                   pkg.board, copy, "vww")
    assert _files(copy) == _files(folder)
    assert all((copy / f).read_bytes() == (folder / f).read_bytes() for f in _files(folder))  # deterministic
    (copy / "notes.txt").write_text("mine")
    assert is_intact(copy)  # a file beside the package's is not the package's
    (copy / "src" / "model.c").write_text("edited")
    assert not is_intact(copy)
    (copy / "src" / "model.c").unlink()
    assert not is_intact(copy) and not is_intact(tmp_path / "nothing")


def test_the_build_files_name_exactly_the_package_files(exported):
    root, pkg = exported
    folder = root / "pkg"
    listed = (folder / "cmake" / "mcunet_vww_sources.cmake").read_text()
    model = re.search(r"set\(MCUNET_VWW_MODEL_SOURCES ([^)]*)\)", listed).group(1).split()
    kernels = re.search(r"set\(MCUNET_VWW_KERNEL_SOURCES([^)]*)\)", listed).group(1).split()
    c_files = [f for f in _files(folder) if f.endswith(".c")]
    assert sorted(model + [f"kernels/{k}" for k in kernels]) == c_files
    assert "-mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard" in listed  # h743's core flags
    cmake = (folder / "CMakeLists.txt").read_text()
    assert "add_library(mcunet_vww STATIC" in cmake and "add_library(mcunet::vww ALIAS mcunet_vww)" in cmake
    assert "PUBLIC ${CMAKE_CURRENT_LIST_DIR}/include" in cmake


def test_the_zephyr_module_its_kconfig_and_cmake_agree(exported):
    root, pkg = exported
    folder = root / "pkg"
    module = yaml.safe_load((folder / "zephyr" / "module.yml").read_text())
    assert module["name"] == "mcunet_vww"
    assert (folder / module["build"]["cmake"] / "CMakeLists.txt").is_file()
    config = kconfig_values(folder / module["build"]["kconfig"], "MCUNET_VWW")
    assert config == {"CONFIG_MCUNET_VWW": "y", "CONFIG_MCUNET_VWW_COMPILE_OPTIONS": "-O2",
                      "CONFIG_MCUNET_VWW_ARENA_SECTION": ".noinit.vww_arena"}
    used = set(re.findall(r"CONFIG_\w+", (folder / "zephyr" / "CMakeLists.txt").read_text()))
    assert used <= set(config) and "CONFIG_MCUNET_VWW" in used


def test_the_readme_gives_the_api_the_memory_macros_and_the_arena(exported):
    root, pkg = exported
    readme = (root / "pkg" / "README.md").read_text()
    header = (root / "pkg" / "include" / "vww" / "model.h").read_text()
    for name in ("vww_invoke", "vww_input", "vww_output", "vww_run", "mcunet::vww", "CONFIG_MCUNET_VWW=y",
                 "MCUNET_VWW_ARENA_SECTION", "`.arena`", "ZEPHYR_EXTRA_MODULES", "cmake/arm-none-eabi.cmake"):
        assert name in readme, name
    macros = re.findall(r"^#define (VWW_\w+) (\S+)", header, re.M)
    assert len(macros) >= 6
    for name, value in macros:
        if not name.endswith("_H"):
            assert f"| `{name}` | {value} |" in readme


def test_an_export_folder_must_be_new_empty_or_an_earlier_export(exported, tmp_path):
    root, _ = exported
    (tmp_path / "empty").mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.c").write_text("int main(void) { return 0; }\n")
    (tmp_path / "a-file").write_text("x")
    assert export_dir_problems(str(root / "pkg")) == []
    assert export_dir_problems(str(tmp_path / "empty")) == []
    assert export_dir_problems(str(tmp_path / "new" / "deeper")) == []
    assert export_dir_problems(str(tmp_path / "a-file")) == [f"export={tmp_path / 'a-file'}: a file, not a folder"]
    assert export_dir_problems(str(tmp_path / "a-file" / "pkg")) == [
        f"export={tmp_path / 'a-file' / 'pkg'}: {tmp_path / 'a-file'} is a file, not a folder"]
    (problem,) = export_dir_problems(str(tmp_path / "src"))
    assert problem.startswith(f"export={tmp_path / 'src'}: a folder with other files in it and no {MANIFEST}")
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        assert export_dir_problems(str(locked / "pkg")) == [f"export={locked / 'pkg'}: cannot write in {locked}"]


def test_constants_over_the_boards_flash_fail_in_the_linkers_words(tmp_path):
    graph = random_mobilenet(np.random.default_rng(21), "vww-net")
    small = tmp_path / "small-flash.yaml"
    small.write_text((KERNEL_DIR.parents[1] / "specs" / "boards" / "h743.yaml").read_text()
                     .replace("name: h743", "name: small-flash").replace("size: 2097152", "size: 4096"))
    board = load_board(small)
    with pytest.raises(UserError, match=r"^board small-flash: region FLASH overflowed by \d+ bytes \(the model's "
                                        r"weights and the code do not fit"):
        export_package(graph, Target.from_board(board), board, tmp_path / "pkg", "vww")
    assert not (tmp_path / "pkg").exists()
