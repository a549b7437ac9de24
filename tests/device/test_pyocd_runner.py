"""pyOCD path without a board: target names, options, probe discovery, the hardware map,
ELF symbol lookup, result decoding, and the run protocol against a fake transport."""

from __future__ import annotations

import struct
import time

import numpy as np
import pytest

from mcunet_core.device.elf import Elf
from mcunet_core.device.result import write_junit, write_run
from mcunet_core.device.results import HOST_INPUT_MAGIC, RESULTS_FIELDS, RESULTS_MAGIC, FirmwareInfo, ResultsBlock
from mcunet_core.device.runners import DeviceError, FaultError, NoProbeError, make_runner
from mcunet_core.device.runners.pyocd import (
    FlashError,
    ProbeInfo,
    PyocdRunner,
    PyocdTransport,
    TransferFault,
    check_target,
    list_probes,
    load_hardware_map,
)
from mcunet_core.device.toolchain import build_firmware
from mcunet_core.errors import UserError


@pytest.fixture(scope="module")
def hw_image(tmp_path_factory, boards, kernel_case):
    """The test kernel as a *hardware* build for the F412."""
    root = tmp_path_factory.mktemp("hw")
    model = kernel_case.write_model(root / "model")
    return build_firmware(boards["f412"], model.sources, root / "b", variant="hardware", include_dirs=model.include_dirs)


# ---- targets, discovery, hardware map --------------------------------------------------


def test_targets_of_the_board_specs(boards):
    assert check_target(boards["h743"], None) == "stm32h743xx"
    assert check_target(boards["f412"], None) == "stm32f412xg"
    try:  # F746 is not built into pyOCD: it needs the STM32F7 pack
        check_target(boards["f746"], None)
    except DeviceError as err:
        assert "pyocd pack install stm32f746" in str(err)
    from mcunet_core.spec import load_board

    with pytest.raises(UserError, match="runner=qemu"):
        check_target(load_board("qemu-m7"), None)


def test_discovery_never_blocks():
    start = time.monotonic()
    probes = list_probes()
    assert time.monotonic() - start < 10
    assert isinstance(probes, list)


def test_no_probe_points_at_pyocd_list(boards, hw_image):
    runner = PyocdRunner(boards["f412"], list_probes=lambda: [])
    with pytest.raises(NoProbeError, match="`pyocd list`"):
        runner.run(hw_image.elf)


def test_pyocd_transport_with_absent_probe_fails_fast():
    start = time.monotonic()
    with pytest.raises(Exception) as err:
        PyocdTransport(uid="no-such-probe-0000", target="stm32f412xg", frequency=1_000_000).open()
    assert time.monotonic() - start < 10
    assert "pyocd list" in str(err.value)


def test_probe_selection(boards):
    two = [ProbeInfo("0670FF11", "ST-Link A"), ProbeInfo("0671AA22", "ST-Link B")]
    with pytest.raises(UserError, match="probe=<uid>"):
        PyocdRunner(boards["f412"], list_probes=lambda: two).select_probe()
    assert PyocdRunner(boards["f412"], probe="AA22", list_probes=lambda: two).select_probe()[0] == "0671AA22"
    with pytest.raises(UserError, match="several"):
        PyocdRunner(boards["f412"], probe="067", list_probes=lambda: two).select_probe()
    with pytest.raises(NoProbeError, match="no such probe attached"):
        PyocdRunner(boards["f412"], probe="FFFF", list_probes=lambda: two).select_probe()
    assert PyocdRunner(boards["f412"], list_probes=lambda: two[:1]).select_probe()[0] == "0670FF11"


def test_hardware_map(boards, tmp_path):
    hw = tmp_path / "map.yaml"
    hw.write_text(
        "- connected: true\n  id: 0670FF11\n  platform: f412\n  product: STM32 STLink\n  runner: pyocd\n"
        "  serial: /dev/ttyACM0\n- id: 0671AA22\n  platform: h743\n  frequency: 1000000\n"
    )
    entries = load_hardware_map(hw)
    assert [(e.id, e.platform) for e in entries] == [("0670FF11", "f412"), ("0671AA22", "h743")]
    assert entries[1].frequency == 1_000_000 and entries[0].serial == "/dev/ttyACM0"
    two = lambda: [ProbeInfo("0670FF11"), ProbeInfo("0671AA22")]  # noqa: E731
    uid, entry = PyocdRunner(boards["h743"], hardware_map=hw, list_probes=two).select_probe()
    assert uid == "0671AA22" and entry.platform == "h743"
    with pytest.raises(UserError, match="connected to board h743"):
        PyocdRunner(boards["f412"], probe="0671AA22", hardware_map=hw, list_probes=two).select_probe()
    with pytest.raises(NoProbeError, match="not attached"):
        PyocdRunner(boards["f412"], hardware_map=hw, list_probes=lambda: [ProbeInfo("0671AA22")]).select_probe()
    with pytest.raises(NoProbeError, match="no connected probe for board f746"):
        PyocdRunner(boards["f746"], hardware_map=hw, list_probes=two).select_probe()
    bad = tmp_path / "bad.yaml"
    bad.write_text("- id: 1\n  platform: f412\n  runner: jlink\n- platform: h743\n- id: 2\n  platfrom: f412\n")
    with pytest.raises(UserError) as err:
        load_hardware_map(bad)
    msgs = err.value.messages
    assert len(msgs) == 4 and "jlink" in msgs[0] and "needs 'id'" in msgs[1] and "platfrom" in msgs[2]


def test_make_runner_options(boards):
    r = make_runner("pyocd", boards["h743"], probe="0670", timeout_s=5)
    assert isinstance(r, PyocdRunner) and r.probe == "0670" and r.timeout_s == 5
    with pytest.raises(UserError, match="qemu, pyocd"):
        make_runner("jlink", boards["h743"])


# ---- ELF facts the protocol uses ---------------------------------------------------------


def test_elf_symbols_and_info(hw_image, kernel_case):
    elf = Elf(hw_image.elf)
    info = FirmwareInfo.from_elf(elf, variant="hardware")
    res = elf.symbol("mcunet_results")
    assert info.results_addr == res.addr and info.results_bytes == res.size == ResultsBlock.SIZE
    assert info.host_cmd_addr == elf.symbol("mcunet_host_cmd").addr
    arena = elf.symbol("mcunet_arena")
    assert info.input_addr == arena.addr  # the test kernel keeps its input in the arena
    assert info.input_shape == kernel_case.input_shape and info.output_shape == kernel_case.output_shape
    assert 0x20000000 <= info.results_addr < 0x20000000 + 256 * 1024  # real F412 SRAM
    assert elf.symbol("Reset_Handler").addr >= 0x08000000  # real flash
    assert elf.symbolize(elf.symbol("conv1x1_s8").addr + 6) == "conv1x1_s8+0x6"
    with pytest.raises(UserError, match="emulator build"):
        FirmwareInfo.from_elf(elf, variant="emulator")
    with pytest.raises(UserError, match="no symbol"):
        elf.symbol("not_there")


# ---- the protocol against a fake transport -------------------------------------------------


class FakeBoard:
    """Target memory and a 'firmware' that runs a few polls after resume (like the real one:
    it reads the probe-written input, computes, fills the results block, sets the magic)."""

    def __init__(self, elf, info, case, *, behaviour="ok", delay_polls=3, stale_magic=True):
        self.elf, self.info, self.case = elf, info, case
        self.mem: dict[int, int] = {}
        self.behaviour, self.delay_polls = behaviour, delay_polls
        self.log: list = []
        self.running = False
        self.polls = 0
        self.flashed = None
        if stale_magic:  # a previous run's results survive reset
            self.write(info.results_addr, struct.pack("<I", RESULTS_MAGIC))

    def read(self, addr, n):
        return bytes(self.mem.get(addr + i, 0) for i in range(n))

    def write(self, addr, data):
        for i, b in enumerate(data):
            self.mem[addr + i] = b

    def step(self):
        if not self.running:
            return
        self.polls += 1
        if self.polls < self.delay_polls or self.behaviour == "hang":
            return
        info = self.info
        magic, n = struct.unpack("<II", self.read(info.host_cmd_addr, 8))
        vals = dict.fromkeys(RESULTS_FIELDS, 0)
        vals.update(magic=RESULTS_MAGIC, version=1, count_kind=2, stack_used=96, stack_size=8160, input_bytes=n)
        if self.behaviour == "fault":
            vals.update(status=5, cfsr=1 << 16, hfsr=1 << 30, fault_pc=self.elf.symbol("conv1x1_s8").addr + 4)
        elif magic != HOST_INPUT_MAGIC or n != info.input_bytes:
            vals.update(status=4)
        else:
            x = np.frombuffer(self.read(info.input_addr, n), np.int8).reshape(self.case.input_shape)
            out = self.case.expected(x).tobytes()
            self.write(info.output_addr, out)
            vals.update(status=2, count_lo=1_234_567, output_addr=info.output_addr, output_bytes=len(out))
        self.write(info.results_addr, ResultsBlock(**vals).encode())
        self.running = False  # firmware ends with BKPT (debugger attached)


class FakeTransport:
    def __init__(self, board: FakeBoard, *, uid, target, frequency, pack, fail_open_above=None, flash_error=False):
        self.b, self.frequency = board, frequency
        self.fail_open_above, self.flash_error = fail_open_above, flash_error
        board.log.append(("new", uid, target, frequency))

    def open(self):
        if self.fail_open_above and self.frequency > self.fail_open_above:
            raise TransferFault("SWD ACK FAULT")
        self.b.log.append(("open",))

    def close(self):
        self.b.log.append(("close",))

    def flash(self, elf):
        if self.flash_error:
            raise FlashError("erase failed at 0x08000000")
        self.b.flashed = elf

    def reset_halt(self):
        self.b.running = False
        self.b.polls = 0
        self.b.log.append(("reset_halt",))

    def resume(self):
        assert self.b.flashed is not None
        magic = struct.unpack("<I", self.b.read(self.b.info.results_addr, 4))[0]
        self.b.log.append(("resume", magic))
        self.b.running = True

    def halt(self):
        self.b.running = False
        self.b.log.append(("halt",))

    def state(self):
        self.b.step()
        return "running" if self.b.running else "halted"

    def read32(self, addr):
        self.b.step()
        return int.from_bytes(self.b.read(addr, 4), "little")

    def write32(self, addr, value):
        self.b.write(addr, value.to_bytes(4, "little"))

    def read_memory(self, addr, size):
        return self.b.read(addr, size)

    def write_memory(self, addr, data):
        self.b.write(addr, data)

    def read_pc(self):
        return self.b.elf.symbol("conv1x1_s8").addr + 0x10


def _runner(boards, fake, **kw):
    opts = {k: kw.pop(k) for k in ("fail_open_above", "flash_error") if k in kw}
    return PyocdRunner(
        boards["f412"], list_probes=lambda: [ProbeInfo("0670FF11", "ST-Link")], poll_s=0.001,
        transport_factory=lambda **a: FakeTransport(fake, **a, **opts), **kw,
    )  # fmt: skip


def _fake(hw_image, case, **kw):
    elf = Elf(hw_image.elf)
    return FakeBoard(elf, FirmwareInfo.from_elf(elf), case, **kw)


def test_protocol_ok_reads_results_and_converts_cycles(boards, hw_image, kernel_case, tmp_path):
    fake = _fake(hw_image, kernel_case)
    x = kernel_case.random_input(seed=4)
    run = _runner(boards, fake).run(hw_image.elf, x).raise_for_status()
    np.testing.assert_array_equal(run.output, kernel_case.expected(x))
    assert run.count == 1_234_567 and run.count_kind == "cycles"
    assert run.latency_ms == pytest.approx(1_234_567 / 100e6 * 1e3)  # F412 at 100 MHz
    assert fake.flashed == hw_image.elf
    resume = next(e for e in fake.log if e[0] == "resume")
    assert resume[1] == 0, "stale results magic must be cleared before resume"
    assert fake.log[0] == ("new", "0670FF11", "stm32f412xg", 4_000_000)
    assert run.extra == {"probe": "0670FF11", "target": "stm32f412xg", "swd_hz": 4_000_000}
    doc = write_run(tmp_path, run, hw_image.memory, opt="O2")
    assert doc["cycles"] == 1_234_567 and "instructions" not in doc and doc["runner"] == "pyocd"
    assert doc["build"]["variant"] == "hardware"


def test_transfer_fault_retries_at_a_lower_clock(boards, hw_image, kernel_case):
    fake = _fake(hw_image, kernel_case)
    run = _runner(boards, fake, fail_open_above=1_000_000).run(hw_image.elf, kernel_case.random_input())
    assert run.ok and run.extra["swd_hz"] == 1_000_000 and run.extra["transfer_faults"] == 1
    assert [e[3] for e in fake.log if e[0] == "new"] == [4_000_000, 1_000_000]


def test_transfer_faults_at_every_clock_are_a_device_error(boards, hw_image, kernel_case):
    fake = _fake(hw_image, kernel_case)
    run = _runner(boards, fake, fail_open_above=1).run(hw_image.elf)
    assert run.status == "device_error" and "every clock" in run.message
    with pytest.raises(DeviceError):
        run.raise_for_status()


def test_flash_error_is_a_device_error_not_a_test_failure(boards, hw_image, kernel_case, tmp_path):
    fake = _fake(hw_image, kernel_case)
    run = _runner(boards, fake, flash_error=True).run(hw_image.elf)
    assert run.status == "device_error" and "flashing" in run.message
    junit = write_junit(tmp_path / "hil.xml", "hil", [("flash", run)]).read_text()
    assert '<error type="device_error"' in junit and "<failure" not in junit


def test_hang_and_fault(boards, hw_image, kernel_case, tmp_path):
    hang = _runner(boards, _fake(hw_image, kernel_case, behaviour="hang"), timeout_s=0.2).run(hw_image.elf)
    assert hang.status == "hang" and "conv1x1_s8+0x10" in hang.message
    fault = _runner(boards, _fake(hw_image, kernel_case, behaviour="fault")).run(hw_image.elf)
    assert fault.status == "fault" and fault.fault["flags"] == ["UNDEFINSTR", "FORCED"]
    assert fault.fault["where"] == "conv1x1_s8+0x4"
    with pytest.raises(FaultError):
        fault.raise_for_status()
    ok = _runner(boards, _fake(hw_image, kernel_case)).run(hw_image.elf)
    xml = write_junit(tmp_path / "j.xml", "hil", [("a", hang), ("b", fault), ("c", ok)]).read_text()
    assert 'tests="3" failures="2" errors="0"' in xml and '<failure type="hang"' in xml
