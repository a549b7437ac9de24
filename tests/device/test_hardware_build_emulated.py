"""A *hardware* build, end to end without a board: the f412 image on QEMU's netduinoplus2
(STM32F405: same F4 RCC/GPIO/USART layout, flash at 0x08000000, SRAM at 0x20000000),
driven by PyocdRunner's protocol over a GDB-remote transport. Checks what the fake
transport cannot: no semihosting, the probe-written input, the results block in RAM,
the USART3 line with the output's CRC-32. (DWT cycles read as 0 in QEMU.)"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import struct
import subprocess
import time
import zlib

import numpy as np
import pytest

from mcunet_core.device.elf import Elf
from mcunet_core.device.results import RESULTS_MAGIC, FirmwareInfo, ResultsBlock
from mcunet_core.device.runners.gdbremote import GdbRemoteTransport
from mcunet_core.device.runners.pyocd import ProbeInfo, PyocdRunner
from mcunet_core.device.toolchain import build_firmware


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def netduino(elf, tmp_path):
    """QEMU netduinoplus2 halted at reset with a GDB stub; USART3 (serial 2) to a file."""
    port = _free_port()
    uart = tmp_path / "uart.txt"
    proc = subprocess.Popen(
        ["qemu-system-arm", "-machine", "netduinoplus2", "-display", "none", "-monitor", "none",
         "-serial", "null", "-serial", "null", "-serial", f"file:{uart}",
         "-S", "-gdb", f"tcp:127.0.0.1:{port}", "-kernel", str(elf)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        yield port, uart
    finally:
        proc.kill()
        proc.wait()


def _uart_lines(path, count: int, timeout_s: float = 10.0) -> list[str]:
    """The UART file's lines once it holds ``count`` of them (QEMU may still be transmitting
    when the results block is read), or what it holds after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def _runner(board, port, **kw):
    return PyocdRunner(board, list_probes=lambda: [ProbeInfo("QEMU-GDB")], poll_s=0.01,
                       transport_factory=lambda **_: GdbRemoteTransport("127.0.0.1", port), **kw)  # fmt: skip


def test_hardware_image_runs_through_the_probe_protocol(boards, kernel_case, tmp_path):
    board = boards["f412"]
    model = kernel_case.write_model(tmp_path / "model")
    fw = build_firmware(board, model.sources, tmp_path / "b", variant="hardware", include_dirs=model.include_dirs)
    x = kernel_case.random_input(seed=9)
    expected = kernel_case.expected(x)
    with netduino(fw.elf, tmp_path) as (port, uart):
        run = _runner(board, port, timeout_s=20).run(fw.elf, x).raise_for_status()
        lines = _uart_lines(uart, 2)  # the firmware prints after the results block: wait, bounded
    np.testing.assert_array_equal(run.output, expected)
    assert run.count_kind == "cycles" and 0 < run.stack_used < run.stack_size
    assert lines[0].startswith("MCUNET status=ok cycles=")
    assert lines[1] == f"MCUNET output_bytes={expected.size} crc32=0x{zlib.crc32(expected.tobytes()):08x}"


def test_hardware_image_hang_and_input_paths(boards, tiny_model, tmp_path):
    board = boards["f412"]
    srcs, inc = tiny_model('if (input[0] == 7) for (;;) __asm volatile(""); output[0] = input[0] + 1; return 0;')
    fw = build_firmware(board, srcs, tmp_path / "b", variant="hardware", include_dirs=inc)
    with netduino(fw.elf, tmp_path) as (port, _):
        hang = _runner(board, port, timeout_s=1.0).run(fw.elf, np.full(16, 7, np.int8))
    assert hang.status == "hang" and "mcunet_invoke" in hang.message

    # No probe-written input: an embedded input is used; without one the firmware says so.
    emb = build_firmware(board, srcs, tmp_path / "e", variant="hardware", include_dirs=inc,
                         embedded_input=bytes([41] * 16))  # fmt: skip
    for elf, status, first in ((emb.elf, "ok", 42), (fw.elf, "input_error", None)):
        info = FirmwareInfo.from_elf(Elf(elf))
        with netduino(elf, tmp_path) as (port, uart):
            t = GdbRemoteTransport("127.0.0.1", port)
            t.open()
            t.write32(info.host_cmd_addr, 0)  # RAM is not cleared by reset: make "no input" explicit
            t.resume()
            deadline = time.monotonic() + 10
            while t.read32(info.results_addr) != RESULTS_MAGIC and time.monotonic() < deadline:
                time.sleep(0.01)
            block = ResultsBlock.decode(t.read_memory(info.results_addr, info.results_bytes))
            out = t.read_memory(info.output_addr, 1)
            t.close()
        assert block.status_name == status
        if first is not None:
            assert struct.unpack("b", out)[0] == first
        else:
            assert "no input" in uart.read_text()


@pytest.mark.parametrize("name", ["f746", "h743"])
def test_m7_hardware_runtime_at_mps2_origins(name, boards, kernel_case, tmp_path):
    """The Cortex-M7 hardware runtime (I/D-cache enable, D-cache clean before the probe
    reads, DWT, H7 SRAM clocks) linked at mps2 origins and run on QEMU's M7 (no UART:
    mps2 has no STM32 USART). QEMU models no cache, so this shows the code runs and the
    protocol works, not that the clean is needed. The H743 image writes RCC_AHB2ENR
    (0x580244DC) first, which mps2 does not map: a BusFault, reported through the
    results block like any fault on a board."""
    board = dataclasses.replace(boards[name], raw={**boards[name].raw, "uart": "none"})
    model = kernel_case.write_model(tmp_path / "model")
    fw = build_firmware(board, model.sources, tmp_path / "b", variant="hardware", placement="mps2",
                        include_dirs=model.include_dirs)  # fmt: skip
    x = kernel_case.random_input(seed=2)
    with mps2_an500(fw.elf) as port:
        run = _runner(board, port, timeout_s=20).run(fw.elf, x)
    if name == "f746":
        run.raise_for_status()
        np.testing.assert_array_equal(run.output, kernel_case.expected(x))
    else:
        assert run.status == "fault" and run.fault["bfar"] == 0x580244DC
        assert run.fault["where"].startswith("mcunet_early_init")


@contextlib.contextmanager
def mps2_an500(elf):
    port = _free_port()
    proc = subprocess.Popen(["qemu-system-arm", "-machine", "mps2-an500", "-display", "none", "-monitor", "none",
                             "-S", "-gdb", f"tcp:127.0.0.1:{port}", "-kernel", str(elf)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        yield port
    finally:
        proc.kill()
        proc.wait()
