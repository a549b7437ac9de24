"""Toolchain checks, flags from the board spec, linker layout, budgets, size report."""

from __future__ import annotations

import re
import stat
import subprocess
from dataclasses import replace

import pytest

from mcunet_core.device import linker, toolchain
from mcunet_core.device.elf import Elf
from mcunet_core.device.toolchain import build_firmware, find_toolchain, firmware_flags
from mcunet_core.errors import UserError

KIB = 1024


# ---- toolchain presence and version ---------------------------------------------------


def test_toolchain_found_and_recent():
    tc = find_toolchain()
    assert tc.major >= toolchain.MIN_GCC_MAJOR
    assert tc.gcc.endswith("arm-none-eabi-gcc")


def test_missing_compiler_names_the_apt_command(tmp_path):
    with pytest.raises(UserError) as err:
        find_toolchain(str(tmp_path / "nowhere-arm-none-eabi-"))
    assert "sudo apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi" in str(err.value)


def test_old_compiler_is_refused(tmp_path):
    fake = tmp_path / "old-gcc"
    fake.write_text("#!/bin/sh\necho 9.2.1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    with pytest.raises(UserError) as err:
        find_toolchain(str(tmp_path / "old-"))
    assert "9.2.1" in str(err.value) and "12 or newer" in str(err.value)


# ---- flags ----------------------------------------------------------------------------


def test_flags_come_from_the_board(boards, tmp_path):
    for board in boards.values():
        f = firmware_flags(board, variant="emulator", opt="O3", linker_script=tmp_path / "x.ld", map_file=tmp_path / "x.map")
        assert list(f.ccflags[: len(board.cflags)]) == board.cflags
        assert {"-O3", "-ffunction-sections", "-fdata-sections"} <= set(f.ccflags)
        assert {"-Wl,--gc-sections", f"-Wl,-Map={tmp_path / 'x.map'}", f"-T{tmp_path / 'x.ld'}"} <= set(f.linkflags)
        assert ("MCUNET_EMULATOR", "1") in f.cppdefines
    h = firmware_flags(boards["h743"], variant="hardware", linker_script="x.ld", map_file="x.map")
    defs = dict(h.cppdefines)
    assert defs["MCUNET_HARDWARE"] == "1" and defs["MCUNET_STM32H7"] == "1" and "MCUNET_EMULATOR" not in defs
    assert defs["MCUNET_UART_BASE"] == "0x40004800u"  # Nucleo-144 VCP: USART3
    assert defs["MCUNET_UART_BRR"] == str(round(64e6 / 115200))  # H7 reset kernel clock 64 MHz
    f746 = dict(firmware_flags(boards["f746"], variant="hardware", linker_script="x", map_file="y").cppdefines)
    assert f746["MCUNET_UART_BASE"] == "0x40011000u" and f746["MCUNET_UART_TX_PIN"] == "9"  # F746G-DISCO: USART1 PA9


def test_unknown_opt_level_is_refused(boards):
    with pytest.raises(UserError, match="O2, O3, Os"):
        firmware_flags(boards["f412"], variant="emulator", opt="O1", linker_script="x", map_file="y")


# ---- linker layout ----------------------------------------------------------------------


def test_emulator_layout_keeps_sizes_at_mps2_origins(boards):
    lay = linker.layout(boards["h743"], "emulator")
    assert lay.flash.origin == 0 and lay.flash.size == 2 * 1024 * KIB
    assert lay.data.name == "AXI_SRAM" and lay.data.origin == 0x20000000  # stack region first
    rams = [r for r in lay.regions if r.kind == "ram"]
    assert [r.size for r in rams] == [512 * KIB, 128 * KIB, 128 * KIB, 128 * KIB, 32 * KIB, 64 * KIB]
    for a, b in zip(rams, rams[1:]):
        assert b.origin == a.origin + a.size  # packed, no overlap
    assert rams[-1].origin + rams[-1].size <= 0x20000000 + linker.MPS2_WINDOW


def test_hardware_layout_uses_real_origins(boards):
    lay = linker.layout(boards["h743"], "hardware")
    assert {r.name: r.origin for r in lay.regions} == {r.name: r.base for r in boards["h743"].regions}
    text = linker.render_linker_script(boards["h743"], "hardware")
    assert re.search(r"AXI_SRAM\s+\(rwx\) : ORIGIN = 0x24000000, LENGTH = 524288", text)
    assert re.search(r"FLASH\s+\(rx\) : ORIGIN = 0x08000000, LENGTH = 2097152", text)
    f746 = linker.render_linker_script(boards["f746"], "emulator")
    assert re.search(r"SRAM\s+\(rwx\) : ORIGIN = 0x20000000, LENGTH = 327680", f746)
    assert ".stack (NOLOAD)" in f746


def test_board_too_big_for_the_emulator(boards):
    big = replace(boards["f412"], regions=[boards["f412"].flash_region, replace(boards["f412"].arena_region, size=8 << 20)])
    big = replace(big, arena_region=big.regions[1], reserve_region=big.regions[1])
    with pytest.raises(UserError, match="RAM window"):
        linker.layout(big, "emulator")


def test_overflow_message_parsing():
    out = "ld: fw.elf section `.arena' will not fit in region `AXI_SRAM'\nld: region `AXI_SRAM' overflowed by 4096 bytes\n"
    assert linker.overflow_messages("h743", out)[0].startswith("board h743: region AXI_SRAM overflowed by 4096 bytes")


# ---- budgets enforced at link time --------------------------------------------------------


def _ld_region_used(link_output: str, region: str) -> int:
    m = re.search(rf"^\s*{region}:\s+(\d+) B", link_output, re.M)
    assert m, link_output
    return int(m.group(1))


@pytest.mark.parametrize("name", ["f746", "h743", "f412"])
def test_program_over_ram_fails_link_naming_board_region_and_bytes(name, boards, tiny_model, tmp_path):
    board = boards[name]
    region = board.arena_region
    small = 64 * KIB
    srcs, inc = tiny_model("return 0;", name="fits", arena_bytes=small)
    fits = build_firmware(board, srcs, tmp_path / "fits", include_dirs=inc)
    used = _ld_region_used(fits.link_output, region.name)  # ld's own figure
    grow = region.size - used + 12_345 * 16  # arena grows in 16-byte steps: alignment stays the same
    srcs, inc = tiny_model("return 0;", name="over", arena_bytes=small + grow)
    with pytest.raises(UserError) as err:
        build_firmware(board, srcs, tmp_path / "over", include_dirs=inc)
    expected = used + grow - region.size
    assert err.value.messages[0].startswith(f"board {name}: region {region.name} overflowed by {expected} bytes")


def test_program_over_flash_fails_link(boards, tiny_model, tmp_path):
    board = boards["f412"]
    body = "return big[input[0] & 0xFFFF];"
    cfg = f"static const int8_t big[{board.flash_region.size}] = {{1}};"
    d = tmp_path / "m"
    srcs, inc = tiny_model(body, name="m")
    src = srcs[0]
    src.write_text(src.read_text().replace('#include "mcunet_model.h"\n', '#include "mcunet_model.h"\n' + cfg + "\n"))
    with pytest.raises(UserError, match=r"^board f412: region FLASH overflowed by \d+ bytes"):
        build_firmware(board, srcs, d, include_dirs=inc)


def test_compile_error_is_a_user_error(boards, tiny_model, tmp_path):
    srcs, inc = tiny_model("return not_declared;")
    with pytest.raises(UserError) as err:
        build_firmware(boards["f412"], srcs, tmp_path / "b", include_dirs=inc)
    assert "not_declared" in str(err.value)


# ---- size report, map file, stack usage, variants -------------------------------------------


def test_size_report_agrees_with_arm_none_eabi_size(kernel_builds):
    fw = kernel_builds["h743"]
    out = subprocess.run([find_toolchain().tool("size"), "-A", str(fw.elf)], capture_output=True, text=True, check=True).stdout
    size_a = {m[0]: int(m[1]) for m in re.findall(r"^(\.\S+)\s+(\d+)\s+\d+", out, re.M)}
    secs = fw.memory["sections"]
    for name, entry in secs.items():
        assert size_a[name] == entry["bytes"], name
    loaded = {n for n, s in secs.items() if n not in (".stack", ".bss", ".noinit", ".heap", ".arena") and not n.startswith(".ram_")}
    assert fw.memory["flash_bytes"] == sum(secs[n]["bytes"] for n in loaded)
    assert fw.memory["arena_bytes"] == secs[".arena"]["bytes"] >= 16 * 16 * 16 + 16 * 16 * 32
    assert fw.memory["regions"]["AXI_SRAM"]["used"] == sum(s["bytes"] for s in secs.values() if s["region"] == "AXI_SRAM")
    assert fw.map_file.is_file() and "Memory Configuration" in fw.map_file.read_text()
    assert list((fw.elf.parent / "obj").glob("*.su")), "-fstack-usage output"


def test_semihosting_only_in_emulator_builds(boards, kernel_case, tmp_path):
    model = kernel_case.write_model(tmp_path / "model")
    objdump = find_toolchain().tool("objdump")
    for variant in ("emulator", "hardware"):
        fw = build_firmware(boards["f746"], model.sources, tmp_path / variant, variant=variant, include_dirs=model.include_dirs)
        dis = subprocess.run([objdump, "-d", str(fw.elf)], capture_output=True, text=True, check=True).stdout
        has_semihosting = bool(re.search(r"\bbkpt\s+0x00ab\b", dis))
        assert has_semihosting == (variant == "emulator"), variant
        assert Elf(fw.elf).has_symbol("mcunet_results")


def test_embedded_input_is_reported_apart_from_flash(boards, kernel_case, tmp_path):
    model = kernel_case.write_model(tmp_path / "model")
    x = kernel_case.random_input().tobytes()
    plain = build_firmware(boards["f412"], model.sources, tmp_path / "a", variant="hardware", include_dirs=model.include_dirs)
    emb = build_firmware(boards["f412"], model.sources, tmp_path / "b", variant="hardware", include_dirs=model.include_dirs, embedded_input=x)
    assert emb.memory["input_flash_bytes"] == len(x)
    assert abs(emb.memory["flash_bytes"] - plain.memory["flash_bytes"]) < 256  # only the copy code differs
    with pytest.raises(UserError, match="hardware builds"):
        build_firmware(boards["f412"], model.sources, tmp_path / "c", include_dirs=model.include_dirs, embedded_input=x)


def test_board_spec_rewires_or_disables_the_uart(tmp_path):
    from mcunet_core.device.uart import uart_defines
    from mcunet_core.spec import load_board

    boards = tmp_path / "boards"
    boards.mkdir()
    (boards / "h743-usart1.yaml").write_text("extends: h743\nname: h743-usart1\n"
                                             "uart: {instance: USART1, tx: PB6, af: 7, baud: 9600}\n")
    (boards / "h743-quiet.yaml").write_text("extends: h743\nname: h743-quiet\nuart: none\n")
    wired = uart_defines(load_board(boards / "h743-usart1.yaml"))
    assert wired["MCUNET_UART_BASE"] == "0x40011000u" and wired["MCUNET_UART_TX_PIN"] == "6"
    assert wired["MCUNET_UART_BRR"] == str(round(64_000_000 / 9600))
    assert uart_defines(load_board(boards / "h743-quiet.yaml")) == {}
    assert uart_defines(load_board("h743"))["MCUNET_UART_BASE"] == "0x40004800u"  # Nucleo-144 VCP
