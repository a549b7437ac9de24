"""``env.McunetSharedArena`` (issue 12 part 3 through the SCons tool): an application's own
SConstruct links two McunetModel libraries that never run at the same time on one arena. Both
run on QEMU bit-exactly against the int8 reference, the ELF's arena is the larger model's, not
the sum, models.md says so, and an up-to-date re-run builds nothing."""

from __future__ import annotations

import importlib.util
import re
import shutil
import textwrap

import numpy as np
import pytest

from mcunet_core.device.elf import Elf
from mcunet_core.device.runners import make_runner
from mcunet_core.importers.tflite import import_tflite
from mcunet_core.ir.reference import run
from mcunet_core.spec import load_board
from scons_project import REPO, errors, random_model_file, scons

EXAMPLE = REPO / "examples" / "firmware-app"
MODELS = {"vww": ("conv", 4), "kws": ("depthwise", 5)}  # prefix -> random model (family, seed)
SCONSTRUCT = textwrap.dedent("""\
    from mcunet_core.scons import mcunet_toolpath
    env = Environment(tools=["default", "mcunet"], toolpath=[mcunet_toolpath()])
    env.McunetToolchain("h743")
    vww = env.McunetModel("vww", "vww.tflite", defines={"VWW_ARENA_SYMBOL": "mine"} if "own" in ARGUMENTS else None)
    kws = env.McunetModel("kws", "kws.tflite")
    arena, report, _ = env.McunetSharedArena([vww, kws] if "twice" not in ARGUMENTS else [vww, vww],
                                             symbol=ARGUMENTS.get("symbol", "app_arena"))
    env.Append(CCFLAGS=["-O2"], CPPPATH=["src", vww.header.dir.up(), kws.header.dir.up()],
               LINKFLAGS=["-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs", "-Wl,--gc-sections",
                          "-Llinker/qemu", "-Tlinker/app.ld"])
    app = env.Program("build/app.elf", ["src/main.c", "src/startup.c", "src/report_semihosting.c", arena],
                      LIBS=[vww.lib, kws.lib])
    Default(app, report)
""")
MAIN = textwrap.dedent("""\
    /* Two models, one after the other, on one arena: each output is printed before the next run. */
    #include <stdint.h>
    #include "report.h"
    #include "vww/model.h"
    #include "kws/model.h"

    static int8_t vww_in[VWW_INPUT0_BYTES], vww_out[VWW_OUTPUT0_BYTES];
    static int8_t kws_in[KWS_INPUT0_BYTES], kws_out[KWS_OUTPUT0_BYTES];

    int main(void)
    {
        for (uint32_t i = 0; i < VWW_INPUT0_BYTES; ++i) vww_in[i] = (int8_t)(uint8_t)(i * 7u + 3u);
        for (uint32_t i = 0; i < KWS_INPUT0_BYTES; ++i) kws_in[i] = (int8_t)(uint8_t)(i * 7u + 3u);
        int status = vww_invoke(vww_in, vww_out);
        report_puts("vww output "); report_hex(vww_out, VWW_OUTPUT0_BYTES);
        status |= kws_invoke(kws_in, kws_out);
        report_puts("\\nkws output "); report_hex(kws_out, KWS_OUTPUT0_BYTES);
        report_puts(status == 0 ? "\\nok\\n" : "\\nfailed\\n");
        return status;
    }
""")


def _frame_pattern():
    spec = importlib.util.spec_from_file_location("firmware_app_expected", EXAMPLE / "expected.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.frame_pattern


def _expected_line(prefix, path) -> str:
    graph = import_tflite(str(path))
    x = graph.tensors[graph.inputs[0]]
    out = run(graph, [_frame_pattern()(x.nbytes).reshape(x.shape)])[graph.outputs[0]]
    return f"{prefix} output " + np.ascontiguousarray(out).tobytes().hex()


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """The application: the example's startup, reporting and linker script, our two-model main.c."""
    root = tmp_path_factory.mktemp("shared-arena-app")
    for part in ("src", "linker"):
        shutil.copytree(EXAMPLE / part, root / part)
    (root / "src/main.c").write_text(MAIN)
    (root / "SConstruct").write_text(SCONSTRUCT)
    for prefix, (family, seed) in MODELS.items():
        random_model_file(root, family, seed).rename(root / f"{prefix}.tflite")
    result = scons(root)
    assert result.returncode == 0, result.stdout + result.stderr
    return root


def _alone(root, prefix) -> int:
    header = (root / f"build/mcunet/h743/{prefix}/include/{prefix}/model.h").read_text()
    return int(re.search(rf"^#define {prefix.upper()}_ARENA_BYTES (\d+)u", header, re.M)[1])


def test_two_models_run_bit_exactly_on_one_arena_of_the_larger_model_s_bytes(project):
    lines = [_expected_line(p, project / f"{p}.tflite") for p in MODELS]
    result = make_runner("qemu", load_board("h743")).run_app(project / "build/app.elf", expect=[*lines, "ok"])
    assert result.ok, result.describe() + "\n" + result.console
    assert result.console.splitlines()[:2] == lines
    elf = Elf(project / "build/app.elf")
    alone = {p: _alone(project, p) for p in MODELS}
    assert elf.symbol("app_arena").size == max(alone.values()) < sum(alone.values())  # the max, not the sum
    assert not [p for p in MODELS if elf.has_symbol(f"{p}_arena")]  # no model defines an arena of its own


def test_the_report_says_the_arena_is_shared_and_a_re_run_builds_nothing(project):
    alone = {p: _alone(project, p) for p in MODELS}
    report = (project / "build/mcunet/h743/shared-vww-kws/models.md").read_text()
    assert f"**the arena is shared** by vww, kws: {max(alone.values()):,} B" in report
    assert f"separate arenas would take {sum(alone.values()):,} B" in report
    assert "each model alone: " + ", ".join(f"{p} {b:,} B" for p, b in alone.items()) in report
    assert "**vww, kws must not run at the same time**" in report
    assert f"| AXI_SRAM | app_arena | .arena | {max(alone.values()):,} | " in report
    assert scons(project, "--question").returncode == 0


def test_a_wrong_shared_arena_is_one_line(project):
    for args, message in ((["symbol=2arena"], "symbol='2arena': not a C identifier"), (["twice=1"], "listed twice"),
                          (["own=1"], "McunetModel('vww') has defines={'VWW_ARENA_SYMBOL': ...}: the shared arena sets them")):
        result = scons(project, "-n", *args)  # stops while reading the SConstruct: nothing is built
        lines = errors(result)
        assert result.returncode == 2 and len(lines) == 1, result.stderr
        assert lines[0].startswith("SConstruct:6: McunetSharedArena([") and message in lines[0], lines[0]
