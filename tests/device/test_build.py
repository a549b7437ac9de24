"""Toolchain checks, flags from the board spec, linker layout, budgets, size report."""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from mcunet_core.device import linker, toolchain
from mcunet_core.device.elf import Elf
from mcunet_core.device.toolchain import build_firmware, find_toolchain, firmware_flags
from mcunet_core.errors import UserError
from mcunet_core.spec import EMULATOR_RAM_BYTES, load_board

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


@pytest.fixture
def specs(tmp_path):
    """A private copy of the project's spec folder to edit."""
    dst = tmp_path / "specs"
    shutil.copytree(Path(__file__).resolve().parents[2] / "specs", dst)
    return dst


def test_family_defines_come_from_the_family_spec(boards):
    h7 = dict(firmware_flags(boards["h743"], variant="hardware", linker_script="x", map_file="y").cppdefines)
    # specs/families/stm32h7.yaml sram_clocks: RCC_AHB2ENR (0x58024400 + 0xDC), D2 SRAM1/2/3
    assert h7["MCUNET_SRAM_EN_REG"] == "0x580244DCu"
    assert h7["MCUNET_SRAM_EN_BITS"] == "((1u << 29) | (1u << 30) | (1u << 31))"
    for name, family in (("f412", "MCUNET_STM32F4"), ("f746", "MCUNET_STM32F7")):
        defs = dict(firmware_flags(boards[name], variant="hardware", linker_script="x", map_file="y").cppdefines)
        assert defs[family] == "1" and "MCUNET_SRAM_EN_REG" not in defs
    emulator = dict(firmware_flags(boards["h743"], variant="emulator", linker_script="x", map_file="y").cppdefines)
    assert not any(k.startswith(("MCUNET_STM32", "MCUNET_UART", "MCUNET_SRAM")) for k in emulator)


def test_core_define_and_machine_come_from_the_core_spec(boards, specs):
    from mcunet_core.device.runners.qemu import machine_for
    from mcunet_core.spec import load_board

    for name, define, machine in (("f412", "MCUNET_CORE_M4", "mps2-an386"), ("h743", "MCUNET_CORE_M7", "mps2-an500")):
        defs = dict(firmware_flags(boards[name], variant="emulator", linker_script="x", map_file="y").cppdefines)
        assert defs[define] == "1" and machine_for(boards[name]) == machine
    core = specs / "cores" / "cortex-m4.yaml"
    core.write_text(core.read_text().replace("MCUNET_CORE_M4", "MCUNET_CORE_M4_EDITED")
                    .replace("machine: mps2-an386", "machine: mps2-an385"))
    f412 = load_board("f412", specs)
    defs = dict(firmware_flags(f412, variant="hardware", linker_script="x", map_file="y").cppdefines)
    assert defs["MCUNET_CORE_M4_EDITED"] == "1" and "MCUNET_CORE_M4" not in defs
    assert machine_for(f412) == "mps2-an385" and machine_for(load_board("qemu-m4", specs)) == "mps2-an385"


def test_uart_defines_come_from_the_family_spec(tmp_path, specs):
    from mcunet_core.device.uart import uart_defines
    from mcunet_core.spec import load_board

    board = tmp_path / "f412-usart2.yaml"
    board.write_text("extends: f412\nname: f412-usart2\nuart: {instance: USART2, tx: PA2, af: 7}\n")
    # stm32f4.yaml: USART2 at 0x40004400 on apb1 (RCC 0x40023800 + 0x40) bit 17; GPIOA on ahb1 (+ 0x30)
    assert uart_defines(load_board(board)) == {
        "MCUNET_UART_BASE": "0x40004400u", "MCUNET_UART_STYLE": "1", "MCUNET_UART_BRR": str(round(16e6 / 115200)),
        "MCUNET_UART_EN_REG": "0x40023840u", "MCUNET_UART_EN_BIT": "(1u << 17)",
        "MCUNET_UART_GPIO_EN_REG": "0x40023830u", "MCUNET_UART_GPIO_EN_BIT": "(1u << 0)",
        "MCUNET_UART_GPIO_BASE": "0x40020000u", "MCUNET_UART_TX_PIN": "2", "MCUNET_UART_AF": "7",
    }
    # the same board against an edited family spec: its facts, not constants, make the defines
    family = specs / "families" / "stm32f4.yaml"
    family.write_text(family.read_text().replace("kernel_hz: 16000000", "kernel_hz: 8000000")
                      .replace("USART2: {base: 0x40004400, bus: apb1, bit: 17}", "USART2: {base: 0x40004400, bus: apb2, bit: 9}"))
    edited = uart_defines(load_board(board, specs))
    assert edited["MCUNET_UART_BRR"] == str(round(8e6 / 115200))
    assert (edited["MCUNET_UART_EN_REG"], edited["MCUNET_UART_EN_BIT"]) == ("0x40023844u", "(1u << 9)")


def test_a_board_of_a_known_family_names_its_uart(tmp_path):
    from mcunet_core.spec import load_board

    quiet = tmp_path / "quiet.yaml"  # a board of its own (no extends) on an STM32F4
    quiet.write_text((Path(__file__).resolve().parents[2] / "specs" / "boards" / "f412.yaml").read_text()
                     .replace("name: f412", "name: quiet").replace("uart: {instance: USART3, tx: PD8, af: 7}", ""))
    with pytest.raises(UserError, match=r"\$\.uart: STM32F412ZG is an stm32f4 part: say which UART"):
        load_board(quiet)
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("extends: f412\nname: wrong\nuart: {instance: USART4, tx: PC10, af: 8}\n")
    with pytest.raises(UserError, match=r"\$\.uart\.instance: stm32f4 has no USART4 \(usart\.instances of "):
        load_board(wrong)


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
    assert rams[-1].origin + rams[-1].size <= 0x20000000 + EMULATOR_RAM_BYTES


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
    h743 = load_board("h743")
    ram = linker.overflow_messages(h743, out)[0]
    assert ram.startswith("board h743: region AXI_SRAM overflowed by 4096 bytes (the arena") and "flash" not in ram
    flash = linker.overflow_messages(h743, out.replace("AXI_SRAM", h743.flash_region.name))[0]
    assert flash.startswith(f"board h743: region {h743.flash_region.name} overflowed by 4096 bytes (the model's weights")
    assert "arena" not in flash


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
