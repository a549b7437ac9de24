"""The emulator runner on every board profile: bit-exact kernel, deterministic counts,
faults and hangs reported within seconds, the result format."""

from __future__ import annotations

import dataclasses
import json
import time

import numpy as np
import pytest

from mcunet_core.device.result import validate_result, write_run
from mcunet_core.device.runners import FaultError, HangError, ModelError
from mcunet_core.device.runners.qemu import QemuRunner
from mcunet_core.device.test_kernel import Conv1x1Case
from mcunet_core.device.toolchain import build_firmware
from mcunet_core.errors import UserError


@pytest.mark.parametrize("name", ["f746", "h743", "f412"])
def test_kernel_bit_exact_and_count_deterministic(name, boards, kernel_builds, kernel_case):
    runner = QemuRunner(boards[name], timeout_s=30)
    x = kernel_case.random_input(seed=1)
    first = runner.run(kernel_builds[name].elf, x).raise_for_status()
    second = runner.run(kernel_builds[name].elf, x).raise_for_status()
    assert first.output.dtype == np.int8 and first.output.shape == kernel_case.output_shape
    np.testing.assert_array_equal(first.output, kernel_case.expected(x))
    assert first.count_kind == "instructions"
    assert first.count == second.count
    # plain C: a handful of instructions per MAC, and the count is about invoke() only
    assert 4 * kernel_case.macs < first.count < 20 * kernel_case.macs
    assert 0 < first.stack_used < first.stack_size
    assert first.latency_ms == pytest.approx(first.count / boards[name].clock_hz * 1e3)


def test_machine_per_board_and_icount(boards):
    assert QemuRunner(boards["f746"]).machine == "mps2-an500"
    assert QemuRunner(boards["h743"]).machine == "mps2-an500"
    cmd = QemuRunner(boards["f412"]).command("fw.elf")
    assert cmd[cmd.index("-machine") + 1] == "mps2-an386"
    assert cmd[cmd.index("-icount") + 1] == "shift=3,sleep=off"


def test_other_inputs_and_count_scales(boards, tmp_path):
    """Different data -> different (correct) outputs; twice the pixels -> ~twice the instructions."""
    board = boards["f412"]
    small, big = Conv1x1Case.random(seed=5, height=8, width=8), Conv1x1Case.random(seed=5, height=16, width=8)
    counts = []
    for i, case in enumerate((small, big)):
        model = case.write_model(tmp_path / f"m{i}", io_in_arena=bool(i))
        fw = build_firmware(board, model.sources, tmp_path / f"b{i}", include_dirs=model.include_dirs, opt="O3")
        for seed in (2, 3):
            x = case.random_input(seed)
            run = QemuRunner(board).run(fw.elf, x.tobytes()).raise_for_status()  # raw bytes work too
            np.testing.assert_array_equal(run.output, case.expected(x))
        counts.append(run.count)
    assert 1.9 < counts[1] / counts[0] < 2.1


def test_startup_copies_data_and_zeroes_bss(boards, tiny_model):
    srcs, inc = tiny_model(
        """
        static int8_t table[4] = {11, -22, 33, -44};   /* .data */
        static int8_t zeros[8];                         /* .bss  */
        static volatile float f = 1.5f;                 /* FPU enabled before use */
        for (int i = 0; i < 4; ++i) output[i] = table[i];
        for (int i = 0; i < 8; ++i) output[4 + i] = zeros[i] + 1;
        output[12] = (int8_t)(f * 4.0f);
        output[13] = input[0];
        return 0;
        """
    )
    for name in ("f746", "f412"):
        fw = build_firmware(boards[name], srcs, srcs[0].parent / name, include_dirs=inc)
        x = np.arange(16, dtype=np.int8) + 7
        run = QemuRunner(boards[name]).run(fw.elf, x).raise_for_status()
        assert run.output[:14].tolist() == [11, -22, 33, -44] + [1] * 8 + [6, 7]


@pytest.mark.parametrize(
    "body, flag",
    [
        ("output[0] = *(volatile int8_t *)0x30000000; return 0;", "PRECISERR"),  # nothing mapped there
        ('__asm volatile("udf #0"); return 0;', "UNDEFINSTR"),
        ("volatile int8_t pad[64]; pad[input[0] & 63] = 1; return mcunet_invoke(input, output) + pad[1];", "STACK_OVERFLOW"),
    ],
    ids=["bus-fault", "undefined-instruction", "stack-overflow"],
)
def test_fault_is_reported_with_registers(body, flag, boards, tiny_model):
    srcs, inc = tiny_model(body)
    for name in ("h743", "f412"):
        fw = build_firmware(boards[name], srcs, srcs[0].parent / name, include_dirs=inc)
        start = time.monotonic()
        run = QemuRunner(boards[name], timeout_s=20).run(fw.elf)
        assert time.monotonic() - start < 10
        assert run.status == "fault" and run.exit_code == 12
        assert flag in run.fault["flags"] and "FORCED" in run.fault["flags"]
        assert "MCUNET HARDFAULT cfsr=" in run.console  # printed by the firmware
        if flag != "STACK_OVERFLOW":
            assert run.fault["where"].startswith("mcunet_invoke+")
        with pytest.raises(FaultError, match=r"CFSR=0x[0-9a-f]{8} HFSR=0x40000000"):
            run.raise_for_status()


def test_hang_is_killed_at_the_timeout(boards, tiny_model):
    srcs, inc = tiny_model('for (;;) __asm volatile(""); return 0;')
    fw = build_firmware(boards["f746"], srcs, srcs[0].parent / "b", include_dirs=inc)
    start = time.monotonic()
    run = QemuRunner(boards["f746"], timeout_s=2).run(fw.elf)
    assert time.monotonic() - start < 6
    assert run.status == "hang" and "2 s" in run.message
    with pytest.raises(HangError):
        run.raise_for_status()


def test_model_error_and_wrong_input(boards, tiny_model):
    srcs, inc = tiny_model("return 3;")
    fw = build_firmware(boards["f412"], srcs, srcs[0].parent / "b", include_dirs=inc)
    run = QemuRunner(boards["f412"]).run(fw.elf)
    assert run.status == "model_error" and run.exit_code == 10 and "returned 3" in run.message
    assert run.count is not None  # invoke() was measured even though it failed
    with pytest.raises(ModelError):
        run.raise_for_status()
    with pytest.raises(UserError, match="expects 16"):
        QemuRunner(boards["f412"]).run(fw.elf, np.zeros(17, np.int8))
    with pytest.raises(UserError, match="must be int8"):
        QemuRunner(boards["f412"]).run(fw.elf, np.zeros(16, np.float32))


def test_hardware_image_is_refused_by_the_emulator(boards, tiny_model):
    srcs, inc = tiny_model("return 0;")
    fw = build_firmware(boards["f412"], srcs, srcs[0].parent / "b", variant="hardware", include_dirs=inc)
    with pytest.raises(UserError, match="hardware build"):
        QemuRunner(boards["f412"]).run(fw.elf)


def test_result_json_follows_the_schema(boards, kernel_builds, kernel_case, tmp_path):
    fw = kernel_builds["h743"]
    x = kernel_case.random_input(seed=1)
    run = QemuRunner(boards["h743"]).run(fw.elf, x)
    doc = write_run(tmp_path / "out", run, fw.memory, opt="O2")
    on_disk = json.loads((tmp_path / "out" / "result.json").read_text())
    assert on_disk == json.loads(json.dumps(doc))
    for key in ("board", "runner", "instructions", "latency_ms", "arena_bytes", "stack_bytes", "peak_sram_bytes", "flash_bytes", "output"):
        assert key in on_disk, key
    assert "cycles" not in on_disk
    assert on_disk["board"] == "h743" and on_disk["runner"] == "qemu"
    assert on_disk["instructions"] == run.count
    out = np.load(tmp_path / "out" / on_disk["output"])
    np.testing.assert_array_equal(out, kernel_case.expected(x))
    mem = fw.memory
    assert on_disk["peak_sram_bytes"] == mem["static_ram_bytes"] - mem["stack_reserved_bytes"] + run.stack_used
    assert on_disk["arena_bytes"] == mem["sections"][".arena"]["bytes"]
    assert on_disk["tools"]["arm-none-eabi-gcc"] and on_disk["tools"]["qemu-system-arm"]
    assert not list((tmp_path / "out").glob(".*.tmp"))  # atomic writes leave nothing behind
    # the schema rejects what scripts must not see
    bad = dict(on_disk, cycles=5)
    with pytest.raises(UserError, match="result: "):
        validate_result(bad)
    with pytest.raises(UserError, match="latency_ms"):
        validate_result({k: v for k, v in on_disk.items() if k != "latency_ms"})


def test_failed_run_result_is_valid_too(boards, tiny_model, tmp_path):
    srcs, inc = tiny_model('__asm volatile("udf #0"); return 0;')
    fw = build_firmware(boards["f412"], srcs, tmp_path / "b", include_dirs=inc)
    run = QemuRunner(boards["f412"]).run(fw.elf)
    doc = write_run(tmp_path / "out", run, fw.memory)
    assert doc["status"] == "fault" and doc["output"] is None and doc["peak_sram_bytes"] is None
    assert doc["fault"]["cfsr"] == run.fault["cfsr"]
    assert not (tmp_path / "out" / "output.npy").exists()


def test_heap_is_the_specs_reserve_and_no_more(boards, tiny_model):
    srcs, inc = tiny_model(
        """
        extern void *malloc(size_t);
        output[0] = malloc(64) != 0;
        output[1] = malloc(4096) != 0;
        return 0;
        """
    )
    got = {}
    for heap in (0, 1024):
        board = dataclasses.replace(boards["f412"], heap_reserve=heap)
        fw = build_firmware(board, srcs, srcs[0].parent / f"h{heap}", include_dirs=inc)
        assert fw.memory["sections"].get(".heap", {}).get("bytes", 0) == heap
        got[heap] = QemuRunner(board).run(fw.elf).raise_for_status().output[:2].tolist()
    assert got == {0: [0, 0], 1024: [1, 0]}


def test_fault_inside_fault_handling_is_a_lockup_fault(boards, tiny_model):
    # VTOR pointed at nothing: the HardFault vector itself cannot be fetched
    srcs, inc = tiny_model(r'*(volatile uint32_t *)0xE000ED08u = 0x00300000u; __asm volatile("dsb\n\tisb\n\tudf #0"); return 0;')
    fw = build_firmware(boards["f412"], srcs, srcs[0].parent / "b", include_dirs=inc)
    run = QemuRunner(boards["f412"], timeout_s=10).run(fw.elf)
    assert run.status == "fault" and run.fault == {"lockup": True} and "lockup" in run.message
    with pytest.raises(FaultError, match="lockup"):
        run.raise_for_status()
