"""Emulator runner: each board profile on its QEMU mps2 stand-in, counting instructions.

``-icount shift=3,sleep=off`` makes virtual time exactly 8 ns per instruction, so the
firmware's FPGAIO counter gives a deterministic instruction count (resolution 5). The
firmware reports through semihosting files in a fresh working directory per run;
exit codes come from SYS_EXIT_EXTENDED. A run that does not finish within the timeout is
killed and reported as a hang.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from ...errors import UserError
from ..elf import Elf
from ..results import EXIT_CODES, FirmwareInfo, ResultsBlock
from .base import RunResult
from .semihost import judge_exit

MIN_QEMU_MAJOR = 7
INSTALL_COMMAND = "sudo apt-get install qemu-system-arm"
DEFAULT_TIMEOUT_S = 60.0
_EXIT_STATUS = {code: status for status, code in EXIT_CODES.items()}


@functools.lru_cache(maxsize=None)
def find_qemu(binary: str = "qemu-system-arm") -> tuple[str, str]:
    """(path, version) of qemu-system-arm; UserError with the install command if missing/old."""
    path = shutil.which(binary)
    if not path:
        raise UserError(f"{binary} not found on PATH: install it with: {INSTALL_COMMAND} (or run scripts/setup.sh)")
    out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
    m = re.search(r"version (\d+)\.(\d+)(?:\.(\d+))?", out)
    if not m:
        raise UserError(f"{path} --version printed no version; reinstall with: {INSTALL_COMMAND}")
    version = ".".join(g for g in m.groups() if g is not None)
    if int(m.group(1)) < MIN_QEMU_MAJOR:
        raise UserError(f"{path} is version {version}; mcunet needs {MIN_QEMU_MAJOR} or newer: {INSTALL_COMMAND}")
    return path, version


def machine_for(board) -> str:
    """The board's QEMU machine: the one its core spec (specs/cores/<core>.yaml) names, which
    the spec loader puts in ``board.emulator`` unless the board restates it."""
    emulator = getattr(board, "emulator", None)
    machine = getattr(emulator, "machine", None) or getattr(getattr(board, "core_spec", None), "machine", None)
    if not machine:
        raise UserError(f"board {board.name}: no emulator machine for core {getattr(board, 'core', '?')}")
    return machine


class QemuRunner:
    name = "qemu"

    def __init__(self, board, *, timeout_s: float = DEFAULT_TIMEOUT_S, qemu: str = "qemu-system-arm", icount_shift: int = 3):
        self.board = board
        self.timeout_s = float(timeout_s)
        self.qemu = qemu
        self.icount_shift = icount_shift
        self.machine = machine_for(board)

    def command(self, elf) -> list[str]:
        path, _ = find_qemu(self.qemu)
        return [
            path,
            "-machine", self.machine,
            "-display", "none",
            "-monitor", "none",
            "-chardev", "stdio,mux=on,id=con",
            "-serial", "chardev:con",
            "-semihosting-config", "enable=on,target=native,chardev=con",
            "-icount", f"shift={self.icount_shift},sleep=off",
            "-kernel", str(Path(elf).resolve()),
        ]  # fmt: skip

    def run(self, elf, input=None, *, workdir=None) -> RunResult:
        """Run ``elf`` once on ``input`` (int8 array or bytes; zeros if None).

        Never raises for what the firmware does (fault, hang, model error): those are
        statuses in the result (``raise_for_status()`` turns them into errors)."""
        elf = Path(elf)
        image = Elf(elf)
        info = FirmwareInfo.from_elf(image, variant="emulator")
        data = info.input_bytes_from(bytes(info.input_bytes) if input is None else input)
        own_dir = workdir is None
        wd = Path(tempfile.mkdtemp(prefix="mcunet-qemu-")) if own_dir else Path(workdir)
        wd.mkdir(parents=True, exist_ok=True)
        for stale in ("output.bin", "results.bin"):
            (wd / stale).unlink(missing_ok=True)
        (wd / "input.bin").write_bytes(data)
        result = RunResult(board=self.board.name, runner=self.name, status="device_error", elf=elf,
                           clock_hz=int(self.board.clock_hz), info=info,
                           extra={"machine": self.machine, "icount_shift": self.icount_shift})  # fmt: skip
        try:
            self._execute(self.command(elf), wd, result)
            if result.status != "hang":
                self._collect(wd, image, info, result)
        finally:
            if own_dir:
                shutil.rmtree(wd, ignore_errors=True)
        return result

    def run_app(self, elf, *, expect=()) -> RunResult:
        """Run an application's own image (its startup, not mcunet's harness) once: its
        semihosting console and exit status are the result (``semihost.judge_exit``: exit 0
        and every ``expect`` text in the console is ok)."""
        elf = Path(elf)
        result = RunResult(board=self.board.name, runner=self.name, status="device_error", elf=elf,
                           clock_hz=int(self.board.clock_hz), extra={"machine": self.machine})  # fmt: skip
        wd = Path(tempfile.mkdtemp(prefix="mcunet-qemu-app-"))
        try:
            self._execute(self.command(elf), wd, result)
        finally:
            shutil.rmtree(wd, ignore_errors=True)
        if result.status == "hang" or self._lockup(Elf(elf), result):
            return result
        if result.exit_code == 1 and f"{Path(self.qemu).name}:" in result.console:  # QEMU's own error
            result.message = f"{self.qemu} failed: {result.console.strip().splitlines()[-1]}"
            return result
        judge_exit(result, expect)
        return result

    def _execute(self, cmd, wd: Path, result: RunResult) -> None:
        start = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=wd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        try:
            out, _ = proc.communicate(timeout=self.timeout_s)
            result.exit_code = proc.returncode
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            result.status = "hang"
            result.message = (f"no result within {self.timeout_s:g} s: stopped "
                              f"(the firmware loops, waits, or locked up)")  # fmt: skip
        result.wall_s = time.monotonic() - start
        result.console = out.decode("utf-8", "replace")

    @staticmethod
    def _lockup(image: Elf, result: RunResult) -> bool:
        """A fault while handling a fault: QEMU stops instead of locking up; say where."""
        lockup = re.search(r"qemu: fatal: Lockup[^\n]*", result.console)
        if not lockup:
            return False
        result.status = "fault"
        result.fault = {"lockup": True}
        pc = re.search(r"R15=([0-9a-f]{8})", result.console)
        where = image.symbolize(int(pc.group(1), 16)) if pc else ""
        result.message = f"core lockup ({lockup.group(0)[len('qemu: fatal: '):]})" + (f" at {where}" if where else "")
        return True

    def _collect(self, wd: Path, image: Elf, info: FirmwareInfo, result: RunResult) -> None:
        status = _EXIT_STATUS.get(result.exit_code)
        block_path = wd / "results.bin"
        if self._lockup(image, result):
            return
        if status is None or not block_path.is_file():
            tail = " | ".join(result.console.strip().splitlines()[-5:])
            result.status = "device_error"
            result.message = f"{self.qemu} exited with {result.exit_code} without a result ({tail or 'no output'})"
            return
        block = ResultsBlock.decode(block_path.read_bytes())
        result.block = block
        result.status = block.status_name if block.complete else status
        if block.status_name != status:
            result.message = f"exit code {result.exit_code} ({status}) but the results block says {block.status_name}"
        result.stack_used = block.stack_used
        result.stack_size = block.stack_size
        if block.status_name in ("ok", "model_error"):
            result.count = block.count
            result.count_kind = block.count_kind_name
            result.postprocess_count = block.post_count
        if block.status_name == "ok":
            out_path = wd / "output.bin"
            raw = out_path.read_bytes() if out_path.is_file() else b""
            if len(raw) != info.output_bytes:
                result.status = "device_error"
                result.message = f"output.bin has {len(raw)} bytes, expected {info.output_bytes}"
                return
            result.output = info.output_array(raw)
        elif block.status_name == "fault":
            result.fault = block.fault(image)
        elif block.status_name == "model_error":
            result.message = f"mcunet_invoke() returned {block.invoke_ret}"
        elif block.status_name == "input_error":
            result.message = "the firmware rejected its input: " + " | ".join(
                line for line in result.console.splitlines() if line.startswith("MCUNET")
            )
