"""Running an application's own image (``python -m mcunet_core.device app``): semihosting
served over a probe's transport, the exit status and expected console text as the verdict,
JUnit for CI. The example application end to end is tests/test_firmware_app.py."""

from __future__ import annotations

import struct
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mcunet_core.device.__main__ import main
from mcunet_core.device.runners import make_runner
from mcunet_core.device.runners.pyocd import ProbeInfo, PyocdRunner
from mcunet_core.device.runners.semihost import (ADP_STOPPED_APPLICATION_EXIT, BKPT_SEMIHOSTING, SYS_EXIT,
                                                 SYS_EXIT_EXTENDED, SYS_WRITE, SYS_WRITE0, SYS_WRITEC,
                                                 SemihostHost, judge_exit)
from mcunet_core.device.runners.base import RunResult
from mcunet_core.device.toolchain import find_toolchain
from mcunet_core.spec import load_board

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "firmware-app"
CODE, DATA = 0x100, 0x8000  # a small address space: code, then data


class FakeCore:
    """A core that makes semihosting calls: each resume runs to the next scripted call (op,
    argument bytes) and halts on its bkpt; ``then`` is what follows the script."""

    def __init__(self, calls, then="exit"):
        self.mem = bytearray(0x10000)
        self.regs = {"r0": 0, "r1": 0, "pc": CODE}
        self.calls, self.then = list(calls), then
        self.halted, self.served, self.log = True, [], []
        self.mem[CODE:CODE + 2] = BKPT_SEMIHOSTING.to_bytes(2, "little")

    def run(self):
        if self.regs["pc"] == CODE + 2:  # the previous call was stepped over: record r0
            self.served.append(self.regs["r0"])
        if self.calls:
            op, arg = self.calls.pop(0)
            self.mem[DATA:DATA + len(arg)] = arg
            self.regs.update(r0=op, r1=DATA, pc=CODE)
            self.halted = True
        elif self.then == "fault":
            self.regs["pc"], self.halted = 0x40, True  # a halt that is no semihosting call
        else:
            self.halted = False  # runs on (hang)


class FakeTransport:
    def __init__(self, core):
        self.core = core

    def open(self): self.core.log.append("open")
    def close(self): self.core.log.append("close")
    def flash(self, elf): self.core.log.append(("flash", Path(elf).name))
    def reset_halt(self): self.core.log.append("reset_halt")
    def resume(self): self.core.run()
    def halt(self): self.core.halted = True
    def state(self): return "halted" if self.core.halted else "running"
    def read_memory(self, addr, n): return bytes(self.core.mem[addr:addr + n])
    def read_pc(self): return self.core.regs["pc"]
    def read_register(self, name): return self.core.regs[name]
    def write_register(self, name, value): self.core.regs[name] = value


def _words(*values) -> bytes:
    return struct.pack(f"<{len(values)}I", *values)


def _write_call(text: bytes) -> tuple[int, bytes]:
    """SYS_WRITE(fd 1, buffer, n): the block, then the text it points at, after it."""
    return SYS_WRITE, _words(1, DATA + 12, len(text)) + text


EXIT_0 = (SYS_EXIT_EXTENDED, _words(ADP_STOPPED_APPLICATION_EXIT, 0))


@pytest.fixture
def image(tmp_path):
    """Any ELF will do for the fake core: the runner reads symbols from it, the core ignores it."""
    return _build_app(tmp_path, "int main(void) { return 0; }")


def _runner(core, **kw):
    return PyocdRunner(load_board("h743"), list_probes=lambda: [ProbeInfo("FAKE")], poll_s=0.001,
                       transport_factory=lambda **_: FakeTransport(core), **kw)


def test_the_probe_serves_console_calls_and_the_exit_status(image):
    core = FakeCore([(SYS_WRITE0, b"vww output 7f80\n\0"), (SYS_WRITEC, b"!"), _write_call(b" and more"),
                     (SYS_WRITE, _words(3, DATA, 4)), (0x01, b":tt\0"), EXIT_0])
    run = _runner(core).run_app(image, expect=["vww output 7f80"])
    assert run.status == "ok" and run.exit_code == 0, run.describe()
    assert run.console == "vww output 7f80\n! and more"
    assert core.served == [0, 0, 0, 4, 0xFFFFFFFF]  # fd 3: nothing written; SYS_OPEN: not served
    assert core.log == ["open", ("flash", image.name), "reset_halt", "close"]


@pytest.mark.parametrize("call, code", [
    ((SYS_EXIT_EXTENDED, _words(ADP_STOPPED_APPLICATION_EXIT, 7)), 7),
    ((SYS_EXIT_EXTENDED, _words(0x20023, 0)), 1),  # another reason than ApplicationExit
    ((SYS_EXIT, b""), 1),
])
def test_an_exit_status_other_than_zero_fails_the_run(image, call, code):
    run = _runner(FakeCore([call])).run_app(image)
    assert run.status == "app_error" and run.exit_code == code
    assert run.message == f"the application exited with status {code}"


def test_a_halt_that_is_no_semihosting_call_is_a_fault_and_a_silent_image_a_hang(image):
    fault = _runner(FakeCore([(SYS_WRITE0, b"hi\0")], then="fault")).run_app(image)
    assert fault.status == "fault" and "pc=0x00000040" in fault.message and fault.console == "hi"
    hang = _runner(FakeCore([], then="hang"), timeout_s=0.05).run_app(image)
    assert hang.status == "hang" and "no result within 0.05 s" in hang.message


def test_sys_exit_with_application_exit_is_status_zero():
    core = FakeCore([])
    host = SemihostHost()
    core.regs.update(r0=SYS_EXIT, r1=ADP_STOPPED_APPLICATION_EXIT)
    assert host.serve(FakeTransport(core)) and host.exit_code == 0 and core.regs["pc"] == CODE + 2


def test_judge_exit_names_what_the_console_lacks():
    run = RunResult(board="h743", runner="qemu", status="device_error", elf=Path("a.elf"), clock_hz=1,
                    exit_code=0, console="vww output 00ff\n")
    judge_exit(run, ["vww output 00ff", "vww arena"])
    assert run.status == "app_error" and run.message == "the console lacks 'vww arena'"
    judge_exit(run, ["00ff"])
    assert run.ok and run.describe() == "board h743 (qemu): ok"


# ---- QEMU: the example application's startup and report with a main of the test's --------

def _build_app(tmp_path: Path, main_c: str, target: str = "qemu") -> Path:
    """The example's startup, semihosting report and linker script around ``main_c``."""
    (tmp_path / "main.c").write_text('#include "report.h"\n' + main_c + "\n")
    board = load_board("h743")
    elf = tmp_path / "app.elf"
    cmd = [find_toolchain().gcc, *board.cflags, "-O2", "-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs",
           f"-I{EXAMPLE / 'src'}", f"-L{EXAMPLE / 'linker' / target}", f"-T{EXAMPLE / 'linker' / 'app.ld'}",
           str(tmp_path / "main.c"), str(EXAMPLE / "src/startup.c"), str(EXAMPLE / "src/report_semihosting.c"),
           "-o", str(elf)]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return elf


def test_qemu_runs_an_application_to_its_exit_status(tmp_path):
    elf = _build_app(tmp_path, 'int main(void) { report_puts("counted "); report_dec(42); report_puts("\\n"); return 5; }')
    run = make_runner("qemu", load_board("h743")).run_app(elf)
    assert run.status == "app_error" and run.exit_code == 5 and run.console == "counted 42\n"


def test_qemu_stops_an_application_that_never_exits(tmp_path):
    elf = _build_app(tmp_path, "int main(void) { for (;;) __asm volatile(\"\"); }")
    run = make_runner("qemu", load_board("h743"), timeout_s=1).run_app(elf)
    assert run.status == "hang"


def test_the_cli_writes_junit_with_the_verdict(tmp_path):
    elf = _build_app(tmp_path, 'int main(void) { report_puts("vww output 0102\\n"); return 0; }')
    passed, failed = tmp_path / "pass.xml", tmp_path / "fail.xml"
    assert main(["app", "--board", "h743", "--elf", str(elf), "--expect", "vww output 0102",
                 "--junit", str(passed), "--name", "vww_on_qemu"]) == 0
    assert main(["app", "--board", "h743", "--elf", str(elf), "--expect", "vww output ffff",
                 "--junit", str(failed)]) == 1
    case = ET.parse(passed).find(".//testcase")
    assert case.get("name") == "vww_on_qemu" and case.get("classname") == "mcunet.app.h743"
    assert "vww output 0102" in case.find("system-out").text
    failure = ET.parse(failed).find(".//testcase/failure")
    assert failure.get("type") == "app_error" and "lacks 'vww output ffff'" in failure.get("message")
