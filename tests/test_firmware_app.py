"""examples/firmware-app, a firmware repository using mcunet's SCons tool: it builds for the
H743 and its QEMU stand-in, its output is bit-exact with mcunet's int8 reference, editing its C
never regenerates the model and a new model rebuilds only what depends on it (SCons' own
``--question`` and ``--debug=explain``), and the probe's path runs it over a GDB stub."""

from __future__ import annotations

import contextlib
import importlib.util
import re
import shlex
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
import yaml

from mcunet_core.device.__main__ import build_parser
from mcunet_core.device.elf import Elf
from mcunet_core.device.linker import MPS2_FLASH_ORIGIN, MPS2_RAM_ORIGIN
from mcunet_core.device.runners import make_runner
from mcunet_core.device.runners.gdbremote import GdbRemoteTransport
from mcunet_core.device.runners.pyocd import ProbeInfo, PyocdRunner, load_hardware_map
from mcunet_core.device.runners.semihost import BKPT_SEMIHOSTING
from mcunet_core.spec import load_board
from scons_project import REPO, random_model_file, scons

EXAMPLE = REPO / "examples" / "firmware-app"
APP = "build/qemu/app.elf"
MODEL = "build/mcunet/h743/vww"


def _expected():
    """The example's expected.py (mcunet's reference on main.c's test frame), as a module."""
    spec = importlib.util.spec_from_file_location("firmware_app_expected", EXAMPLE / "expected.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _checkout(tmp_path: Path, seed: int = 4) -> Path:
    """A clone of the example with a small random model as its models/vww.tflite."""
    repo = tmp_path / "firmware-app"
    shutil.copytree(EXAMPLE, repo, ignore=shutil.ignore_patterns("build", ".sconsign*"))
    random_model_file(tmp_path, "conv", seed).replace(repo / "models" / "vww.tflite")
    return repo


def _built(repo: Path, *args: str) -> subprocess.CompletedProcess:
    result = scons(repo, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _rebuilt(result) -> set[str]:
    return set(re.findall(r"^scons: (?:re)?building `([^']+)'", result.stdout, flags=re.M))


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Path:
    repo = _checkout(tmp_path_factory.mktemp("app"))
    _built(repo)
    return repo


def test_the_example_runs_on_qemu_bit_exact_with_the_reference(app):
    line = _expected().expected_line(app / "models/vww.tflite")
    run = make_runner("qemu", load_board("h743")).run_app(app / APP, expect=[line, " bytes, ok"])
    assert run.ok, run.describe() + "\n" + run.console
    assert run.console.splitlines()[0] == line


def test_the_example_runs_mlperf_tinys_vww_model_bit_exact(tmp_path, shared_dir):
    repo = _checkout(tmp_path)
    shutil.copyfile(shared_dir / "models/vww_96_int8.tflite", repo / "models/vww.tflite")
    _built(repo)
    line = _expected().expected_line(repo / "models/vww.tflite")
    run = make_runner("qemu", load_board("h743")).run_app(repo / APP, expect=[line, " bytes, ok"])
    assert run.ok, run.describe() + "\n" + run.console


def test_the_probe_path_runs_the_example_over_a_gdb_stub(app):
    """PyocdRunner.run_app on QEMU's GDB stub: flash, reset, run, each semihosting call served
    over the transport. QEMU turns a bkpt into a HardFault where a board under a debugger halts,
    so GDB breakpoints on the image's semihosting bkpts stand in for that halt."""
    elf = app / APP
    line = _expected().expected_line(app / "models/vww.tflite")
    with _gdb_stub(elf) as port:
        runner = PyocdRunner(load_board("h743"), list_probes=lambda: [ProbeInfo("QEMU-GDB")], poll_s=0.005,
                             transport_factory=lambda **_: _StopAtSemihosting(port, _semihosting_sites(elf)))
        run = runner.run_app(elf, expect=[line])
    assert run.ok and run.exit_code == 0, run.describe() + "\n" + run.console


def test_the_board_build_reuses_the_model_and_links_at_the_h743_addresses(app):
    board = load_board("h743")
    result = _built(app, "target=board", "--debug=explain")
    assert not [t for t in _rebuilt(result) if t.startswith("build/mcunet")]  # one model for both targets
    image = Elf(app / "build/board/app.elf")
    flash = board.flash_region
    arena = next(r for r in board.regions if r.name == board.arena_region.name)
    assert image.symbol("vectors").addr == flash.base
    assert arena.base <= image.symbol("vww_arena").addr < arena.base + arena.size


def test_editing_the_application_never_regenerates_the_model_and_a_new_model_only_the_model(tmp_path):
    repo = _checkout(tmp_path)
    _built(repo)
    assert scons(repo, "--question").returncode == 0
    model_files = {p: p.stat().st_mtime_ns for p in (repo / MODEL).rglob("*") if p.is_file()}
    main_c = repo / "src/main.c"
    main_c.write_text(main_c.read_text().replace('" bytes, ok\\n"', '" bytes, all good\\n"'))
    assert scons(repo, "--question").returncode == 1
    edited = _built(repo, "--debug=explain")
    assert _rebuilt(edited) == {"build/qemu/main.o", APP}
    assert model_files == {p: p.stat().st_mtime_ns for p in model_files}

    header = (repo / MODEL / "include/vww/model.h").read_bytes()
    random_model_file(tmp_path, "conv", 5).replace(repo / "models/vww.tflite")
    assert scons(repo, "--question").returncode == 1
    new_model = _built(repo, "--debug=explain")
    app_side = {t for t in _rebuilt(new_model) if not t.startswith(MODEL)}
    same_api = header == (repo / MODEL / "include/vww/model.h").read_bytes()
    assert app_side == ({APP} if same_api else {"build/qemu/main.o", APP})  # startup and report untouched
    assert "Importing" in new_model.stdout and "Archiving" in new_model.stdout
    line = _expected().expected_line(repo / "models/vww.tflite")
    assert make_runner("qemu", load_board("h743")).run_app(repo / APP, expect=[line, "all good"]).ok


def test_the_example_memory_maps_are_the_board_specs():
    board = load_board("h743")
    arena = next(r for r in board.regions if r.name == board.arena_region.name)
    for target, flash_origin, ram_origin in (("qemu", MPS2_FLASH_ORIGIN, MPS2_RAM_ORIGIN),
                                             ("board", board.flash_region.base, arena.base)):
        regions = _memory(EXAMPLE / "linker" / target / "memory.ld")
        assert regions["FLASH"] == (flash_origin, board.flash_region.size), target
        assert regions["RAM"] == (ram_origin, arena.size), target


def test_the_readme_ci_job_runs_what_these_tests_run(tmp_path):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = readme[readme.index("### CI: QEMU on every push"):]
    job, hwmap = re.findall(r"```yaml\n(.*?)```", ci, flags=re.S)[:2]
    steps = [step for j in yaml.safe_load(job)["jobs"].values() for step in j["steps"]]
    runs = [step["run"] for step in steps if "run" in step]
    assert {"scons target=qemu", "scons target=board"} <= set(runs)
    apps = [shlex.split(r.replace('"$(python expected.py models/vww.tflite)"', "LINE")) for r in runs if " app " in r]
    parsed = [build_parser().parse_args(argv[3:]) for argv in apps]
    assert [(a.runner, a.elf, a.expect) for a in parsed] == [("qemu", APP, ["LINE"]),
                                                             ("pyocd", "build/board/app.elf", ["LINE"])]
    assert all(a.junit for a in parsed) and parsed[1].hardware_map == "hwmap.yaml"
    assert (EXAMPLE / "expected.py").is_file()
    (tmp_path / "hwmap.yaml").write_text(hwmap)
    assert [(e.platform, e.runner) for e in load_hardware_map(tmp_path / "hwmap.yaml")] == [("h743", "pyocd")]


def _memory(path: Path) -> dict[str, tuple[int, int]]:
    units = {"": 1, "K": 1024, "M": 1024 * 1024}
    found = re.findall(r"(\w+)\s*\([rwx]+\)\s*:\s*ORIGIN\s*=\s*(0x[0-9A-Fa-f]+),\s*LENGTH\s*=\s*(\d+)([KM]?)",
                       path.read_text())
    return {name: (int(origin, 16), int(length) * units[unit]) for name, origin, length, unit in found}


def _semihosting_sites(elf: Path) -> list[int]:
    from elftools.elf.elffile import ELFFile

    with open(elf, "rb") as fh:
        text = ELFFile(fh).get_section_by_name(".text")
        data, base = text.data(), text["sh_addr"]
    bkpt = BKPT_SEMIHOSTING.to_bytes(2, "little")
    return [base + i for i in range(0, len(data) - 1, 2) if data[i:i + 2] == bkpt]


class _StopAtSemihosting(GdbRemoteTransport):
    def __init__(self, port, sites):
        super().__init__("127.0.0.1", port)
        self.sites, self.armed = sites, False

    def resume(self):
        if not self.armed:
            for addr in self.sites:
                self.insert_breakpoint(addr)
            self.armed = True
        super().resume()


@contextlib.contextmanager
def _gdb_stub(elf: Path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(["qemu-system-arm", "-machine", "mps2-an500", "-display", "none", "-monitor", "none",
                             "-S", "-gdb", f"tcp:127.0.0.1:{port}", "-kernel", str(elf)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield port
    finally:
        proc.kill()
        proc.wait()
