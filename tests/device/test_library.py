"""device.library: a generated folder as a static library an application links itself."""

from __future__ import annotations

import json
import subprocess

import pytest

from mcunet_core import engine
from mcunet_core.device.library import build_library, object_names
from mcunet_core.device.generated import GeneratedBuild
from mcunet_core.device.toolchain import find_toolchain
from mcunet_core.importers.tflite import import_tflite
from mcunet_core.spec import load_board
from scons_project import random_model_file

#: What the library may leave to the application's link: the C library's copies and gcc's helpers.
LIBC = ("memcpy", "memset", "memmove")


def _tool(name, *args) -> str:
    return subprocess.run([find_toolchain().tool(name), *map(str, args)], capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    root = tmp_path_factory.mktemp("lib")
    board = load_board("h743")
    graph = import_tflite(random_model_file(root, "conv", 4))
    engine.generate(graph, engine.Target.from_board(board), root / "gen", plot=False, prefix="vww")
    return board, root, build_library(board, root / "gen", root / "libvww.a", prefix="vww")


def test_the_library_holds_the_model_and_only_the_kernels_it_calls(library):
    _, root, lib = library
    kernels = json.loads((root / "gen" / "build.json").read_text())["kernel_sources"]
    members = set(_tool("ar", "t", lib).split())
    assert members == {"vww_model.o", "vww_weights.o"} | {f"{k.rsplit('/', 1)[-1][:-2]}.o" for k in kernels}
    assert len(members) < 10  # not the whole kernel library


def test_the_library_is_compiled_for_the_board_and_needs_only_the_c_library(library):
    board, _, lib = library
    attributes = _tool("readelf", "-A", lib)
    assert "Tag_CPU_name: \"7E-M\"" in attributes and "Tag_ABI_VFP_args: VFP registers" in attributes
    symbols = _tool("nm", "--format=posix", lib).splitlines()
    defined = {s.split()[0] for s in symbols if len(s.split()) > 1 and s.split()[1] in "TDRB"}
    undefined = {s.split()[0] for s in symbols if len(s.split()) > 1 and s.split()[1] == "U"} - defined
    assert {"vww_invoke", "vww_run", "vww_input", "vww_output"} <= defined
    assert all(s in LIBC or s.startswith("__aeabi_") for s in undefined), undefined
    dump = _tool("objdump", "-d", lib)
    assert "bkpt" not in dump and "svc" not in dump  # no semihosting in the model's code


def test_object_names_carry_the_prefix_for_the_model_and_keep_kernel_names(library):
    _, root, _ = library
    names = dict((src.name, obj) for src, obj in object_names(GeneratedBuild.load(root / "gen"), "vww"))
    assert names["model.c"] == "vww_model.o" and names["weights.c"] == "vww_weights.o"
    assert all(obj == src[:-2] + ".o" for src, obj in names.items() if src not in ("model.c", "weights.c"))


def test_a_failed_compile_leaves_no_library(library, tmp_path):
    board, root, _ = library
    bad = tmp_path / "gen"
    bad.mkdir()
    for f in (root / "gen").iterdir():
        (bad / f.name).write_bytes(f.read_bytes())
    (bad / "model.c").write_text("this is not C\n")
    with pytest.raises(Exception, match="compiling"):
        build_library(board, bad, tmp_path / "libvww.a", prefix="vww")
    assert not (tmp_path / "libvww.a").exists() and not (tmp_path / "libvww.a.tmp").exists()
