"""Core and family specs (specs/cores/, specs/families/): the one home of the core tables, the
MCU families' register facts and the known parts, as typed specs and as what boards resolve."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mcunet_core.errors import UserError
from mcunet_core.spec import check_paths, load_board, load_core, load_family, spec_catalog

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def specs(tmp_path):
    """A private copy of the project's spec folder to edit."""
    dst = tmp_path / "specs"
    shutil.copytree(REPO / "specs", dst)
    return dst


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def test_core_specs():
    m4, m7 = load_core("cortex-m4"), load_core("cortex-m7")
    assert (m4.fpus, m4.dsp, m4.define, m4.machine) == (("fpv4-sp-d16",), True, "MCUNET_CORE_M4", "mps2-an386")
    assert (m7.fpus, m7.dsp, m7.define, m7.machine) == (("fpv5-sp-d16", "fpv5-d16"), True, "MCUNET_CORE_M7", "mps2-an500")


def test_family_specs():
    h7 = load_family("stm32h7")
    assert (h7.mcu_prefix, h7.define, h7.usart_style, h7.usart_kernel_hz) == ("STM32H7", "MCUNET_STM32H7", 2, 64_000_000)
    assert h7.enable_register("ahb2") == 0x58024400 + 0xDC and h7.sram_clocks.bits == (29, 30, 31)
    assert h7.enable_register(h7.gpio_bus) == 0x580244E0 and h7.gpio_port(3) == 0x58020C00
    assert h7.usarts["USART3"].base == 0x40004800 and h7.enable_register(h7.usarts["USART3"].bus) == 0x580244E8
    f4 = load_family("stm32f4")
    assert (f4.usart_style, f4.usart_kernel_hz, f4.sram_clocks) == (1, 16_000_000, None)
    assert f4.enable_register(f4.usarts["USART1"].bus) == 0x40023844
    f7 = load_family("stm32f7")
    assert f7.usart_style == 2 and f7.find_part("STM32F746NG").max_hz == {None: 216_000_000}


def test_boards_resolve_core_family_and_part():
    h743 = load_board("h743")
    assert h743.core_spec.name == "cortex-m7" and h743.family.name == "stm32h7"
    assert h743.part.max_hz == {"Y": 400_000_000, "V": 480_000_000} and "ES0392" in h743.part.source
    assert load_board("f412").family.name == "stm32f4" and load_board("f746").family.name == "stm32f7"
    emulated = load_board("qemu-m4")
    assert (emulated.family, emulated.part, emulated.core_spec.name) == (None, None, "cortex-m4")
    # the emulator machine is the core spec's; no shipped board restates it
    for name in ("f412", "f746", "h743", "qemu-m4", "qemu-m7"):
        board = load_board(name)
        assert "emulator" not in board.raw and board.emulator.machine == board.core_spec.machine


def test_unknown_parts_are_accepted(tmp_path):
    """An mcu no family claims, or no part of its family matches: only core-level checks."""
    (tmp_path / "acme.yaml").write_text("extends: f412\nname: acme\nmcu: ACME-M4\n")
    acme = load_board(tmp_path / "acme.yaml")
    assert (acme.family, acme.part) == (None, None)
    (tmp_path / "f407.yaml").write_text("extends: f412\nname: f407\nmcu: STM32F407VG\nclock: {hz: 168000000}\n")
    f407 = load_board(tmp_path / "f407.yaml")
    assert f407.family.name == "stm32f4" and f407.part is None  # no 100 MHz limit of the F412


def test_shipped_catalog_is_clean():
    catalog = spec_catalog()
    assert catalog.problems == ()
    assert sorted(catalog.cores) == ["cortex-m4", "cortex-m7"]
    assert catalog.family_for("stm32h743zi").name == "stm32h7" and catalog.find_part("STM32F412ZG").core == "cortex-m4"
    assert catalog.fpus() == ["fpv4-sp-d16", "fpv5-sp-d16", "fpv5-d16"]


def test_a_bad_family_spec_is_located_and_stops_its_boards(specs):
    family = specs / "families" / "stm32f4.yaml"
    _edit(family, "USART2: {base: 0x40004400, bus: apb1, bit: 17}", "USART2: {base: 0x40004400, bus: apb3, bit: 17}")
    line = next(i for i, text in enumerate(family.read_text().splitlines(), 1) if "apb3" in text)
    expected = f"{family}:{line}: $.usart.instances.USART2.bus: bus apb3 has no enable register in rcc.enable " \
               f"(buses: ahb1, apb1, apb2); did you mean 'apb2'?"
    _, problems = check_paths(specs_dir=specs)
    assert [str(p) for p in problems] == [expected]  # once, though every board depends on it
    with pytest.raises(UserError) as err:
        load_board("f412", specs)
    assert err.value.messages == [expected]


def test_a_schema_error_in_a_core_spec_is_located(specs):
    core = specs / "cores" / "cortex-m4.yaml"
    _edit(core, "define: MCUNET_CORE_M4", "define: CORE_M4")
    line = next(i for i, text in enumerate(core.read_text().splitlines(), 1) if text.startswith("define:"))
    with pytest.raises(UserError) as err:
        load_board("qemu-m4", specs)
    assert err.value.messages == [f"{core}:{line}: $.define: 'CORE_M4' must be a C preprocessor name "
                                  f"starting with MCUNET_ (upper case, digits, _)"]


def test_a_new_core_needs_only_its_spec(specs):
    """A core the schemas never heard of: a board may name it once specs/cores/ has it."""
    (specs / "cores" / "cortex-m33.yaml").write_text(
        "name: cortex-m33\ndescription: Arm Cortex-M33 (Armv8-M Mainline)\nsources: [Arm 100230]\n"
        "fpus: [fpv5-sp-d16]\ndsp: true\ndefine: MCUNET_CORE_M33\nemulator: {machine: mps2-an505}\n")
    board = specs / "boards" / "m33.yaml"
    board.write_text("extends: qemu-m4\nname: m33\ncore: cortex-m33\nfpu: fpv5-sp-d16\n"
                     "compiler: {cflags: [-mcpu=cortex-m33, -mthumb, -mfpu=fpv5-sp-d16, -mfloat-abi=hard]}\n")
    m33 = load_board("m33", specs)
    assert (m33.core_spec.define, m33.emulator.machine) == ("MCUNET_CORE_M33", "mps2-an505")


def test_cli_shows_and_checks_the_new_kinds():
    def cli(*args):
        return subprocess.run([sys.executable, "-m", "mcunet_core.spec", *args], cwd=REPO, capture_output=True,
                              text=True, timeout=120)

    listed = cli("list")
    assert "core: cortex-m4 cortex-m7" in listed.stdout and "family: stm32f4 stm32f7 stm32h7" in listed.stdout
    bad = cli("check", "tests/spec/fixtures/families/bad-family.yaml")
    assert bad.returncode == 2
    assert bad.stderr.splitlines()[0] == ("tests/spec/fixtures/families/bad-family.yaml:4: $.mcu_prefix: 'stm32x9' "
                                          "must be the upper-case start of the family's part numbers, e.g. STM32F4")
