"""The SCons tool for a user's own SConstruct (mcunet_core.scons): what it wires, what SCons
rebuilds after a spec change (SCons' own up-to-date logic: ``--question``, ``--debug=explain``),
and the one-line errors of a wrong call. The example application (examples/firmware-app) is
tests/test_firmware_app.py."""

from __future__ import annotations

import re
import subprocess
import textwrap
from pathlib import Path

import pytest
from setuptools import find_packages

from mcunet_core.device.toolchain import find_toolchain
from mcunet_core.scons import TOOL_DIR, mcunet_toolpath
from scons_project import REPO, errors, random_model_file, scons

SCONSTRUCT = textwrap.dedent("""\
    from mcunet_core.scons import mcunet_toolpath
    env = Environment(tools=["default", "mcunet"], toolpath=[mcunet_toolpath()])
    env.McunetToolchain(ARGUMENTS.get("board", "boards/mine.yaml"))
    section = ARGUMENTS.get("section")
    lib, header = env.McunetModel(ARGUMENTS.get("name", "net"), ARGUMENTS.get("model", "net.tflite"),
                                  defines={"NET_ARENA_SECTION": f'"{section}"'} if section else None)
    env.Append(CPPPATH=[header.dir.up()])
    Default(env.Object("app.c"), lib)
""")
APP = '#include "net/model.h"\nint app(int8_t *in, int8_t *out) { return net_invoke(in, out); }\n'
BOARD = "extends: h743\nname: mine\ndescription: {text}\n"


@pytest.fixture
def user_project(tmp_path) -> Path:
    """A firmware repository of the user's: its SConstruct, one C file, its own board spec."""
    (tmp_path / "SConstruct").write_text(SCONSTRUCT)
    (tmp_path / "app.c").write_text(APP)
    (tmp_path / "boards").mkdir()
    (tmp_path / "boards/mine.yaml").write_text(BOARD.format(text="an H743 of ours"))
    random_model_file(tmp_path, "conv", 4).rename(tmp_path / "net.tflite")
    return tmp_path


def _rebuilt(result) -> list[str]:
    """The targets ``--debug=explain`` says it rebuilds."""
    return sorted(re.findall(r"^scons: (?:re)?building `([^']+)'", result.stdout, flags=re.M))


def test_the_tool_ships_in_the_package():
    assert Path(mcunet_toolpath(), "mcunet.py").is_file() and TOOL_DIR.is_relative_to(REPO / "mcunet_core")
    packages = find_packages(str(REPO), include=["mcunet_core*"])  # pyproject.toml's packages.find
    assert {"mcunet_core.scons", "mcunet_core.scons.site_tools"} <= set(packages)


def test_a_spec_change_regenerates_the_model_and_nothing_else(user_project):
    first = scons(user_project)
    assert first.returncode == 0, first.stdout + first.stderr
    out = user_project / "build/mcunet/mine/net"
    assert (out / "libnet.a").is_file() and (out / "include/net/model.h").is_file()
    assert "int net_invoke(" in (out / "include/net/model.h").read_text()
    assert scons(user_project, "--question").returncode == 0  # a second run has nothing to do
    (user_project / "boards/mine.yaml").write_text(BOARD.format(text="renamed"))
    assert scons(user_project, "--question").returncode == 1
    again = scons(user_project, "--debug=explain")
    assert again.returncode == 0 and "Generating C" in again.stdout
    # same C out of the engine: the library, the header and the application stay as they are
    assert _rebuilt(again) == ["build/mcunet/mine/net/gen/model.c"]  # the engine's one action
    assert scons(user_project, "--question").returncode == 0


def test_defines_place_the_arena_and_rebuild_only_the_library(user_project):
    """The application's arena placement (README "Where the arena lives"): a define for the
    library's C, part of the library's signature, not the model's."""
    first = scons(user_project)
    assert first.returncode == 0, first.stderr
    placed = scons(user_project, "section=.my_sram", "--debug=explain")
    assert placed.returncode == 0, placed.stderr
    assert _rebuilt(placed) == ["build/mcunet/mine/net/libnet.a"]
    lib = user_project / "build/mcunet/mine/net/libnet.a"
    sections = subprocess.run([find_toolchain().tool("objdump"), "-h", str(lib)], capture_output=True, text=True,
                              check=True).stdout
    assert ".my_sram" in sections and " .arena " not in sections


def test_a_model_spec_is_trained_by_the_pipelines_own_stage(user_project):
    dry = scons(user_project, "-n", f"model={REPO / 'specs/models/mbv2-vww-96.yaml'}", "name=vww")
    assert dry.returncode == 0, dry.stderr
    lines = [line.split(" ")[0] for line in dry.stdout.splitlines()]
    assert lines.index("Training") < lines.index("Generating") < lines.index("Archiving")


@pytest.mark.parametrize("args, message", [
    (["board=h7433"], "SConstruct:3: McunetToolchain('h7433'): no board spec 'h7433' (boards: "),
    (["model=missing.tflite"], "SConstruct:5: McunetModel('net'): model={dir}/missing.tflite: no such .tflite file"),
    (["model=junk.tflite"], "SConstruct:5: McunetModel('net'): junk.tflite: not a TFLite flatbuffer"),
    (["model=bad.yaml"], "SConstruct:5: McunetModel('net'): bad.yaml:3: $.resolutoin: unknown key 'resolutoin'; did you mean 'resolution'?"),
    (["name=Net"], "SConstruct:5: McunetModel('Net'): C prefix 'Net' is not a lower-case C identifier"),
    (["board=boards/broken.yaml"], "SConstruct:3: McunetToolchain('boards/broken.yaml'): boards/broken.yaml:3: $.clock.hz: "),
])
def test_a_wrong_call_is_one_line_naming_the_file(user_project, args, message):
    (user_project / "junk.tflite").write_bytes(b"not a model at all")
    (user_project / "bad.yaml").write_text("extends: mbv2-vww-96\nname: bad\nresolutoin: 96\n")
    (user_project / "boards/broken.yaml").write_text("extends: h743\nname: broken\nclock: {hz: fast}\n")
    result = scons(user_project, *args)
    lines = errors(result)
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith(message.format(dir=user_project)), lines[0]


def test_the_board_spec_keeps_the_input_outside_the_arena(user_project):
    """A user's board spec says where the frame is (``input_placement: external``): the model
    reads its input through the pointer the application passes, the arena does not hold it."""
    (user_project / "boards/mine.yaml").write_text(BOARD.format(text="camera frames in SDRAM")
                                                   + "input_placement: external\n")
    built = scons(user_project)
    assert built.returncode == 0, built.stdout + built.stderr
    out = user_project / "build/mcunet/mine/net"
    header = (out / "include/net/model.h").read_text()
    assert "#define NET_INPUTS_EXTERNAL 1" in header and "void net_set_input(int index, const void *data);" in header
    assert '"external"' in (out / "gen/plan.json").read_text()
