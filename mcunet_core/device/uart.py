"""UART wiring of hardware builds: the one result line a board prints.

The firmware has no HAL: it enables the GPIO and USART clocks, muxes the TX pin and
writes BRR, all from preprocessor constants computed here. Defaults are the ST-LINK
virtual COM port of each board family (Nucleo-144: USART3 on PD8; STM32F746G-DISCO:
USART1 on PA9). A board spec may override with ``uart: {instance: USART1, tx: PA9,
af: 7, baud: 115200}`` or disable it with ``uart: none``.

The firmware does not touch the clock tree, so the USART kernel clock is the reset
clock: HSI 16 MHz on F4/F7, HSI 64 MHz on H7.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import UserError


@dataclass(frozen=True)
class _Family:
    define: str
    rcc: int
    gpio_en_offset: int
    gpio_base: int
    apb1_en_offset: int
    apb2_en_offset: int
    style: int  # 1: F4 USART (SR/DR/BRR/CR1), 2: F7/H7 USART (CR1/BRR/ISR/TDR)
    kernel_hz: int


FAMILIES = {
    "STM32F4": _Family("MCUNET_STM32F4", 0x40023800, 0x30, 0x40020000, 0x40, 0x44, 1, 16_000_000),
    "STM32F7": _Family("MCUNET_STM32F7", 0x40023800, 0x30, 0x40020000, 0x40, 0x44, 2, 16_000_000),
    "STM32H7": _Family("MCUNET_STM32H7", 0x58024400, 0xE0, 0x58020000, 0xE8, 0xF0, 2, 64_000_000),
}

# instance -> (base address, APB bus, enable bit)
USARTS = {
    "USART1": (0x40011000, 2, 4),
    "USART2": (0x40004400, 1, 17),
    "USART3": (0x40004800, 1, 18),
    "USART6": (0x40011400, 2, 5),
}

DEFAULT_BAUD = 115200


def family_of(board) -> _Family | None:
    mcu = (getattr(board, "mcu", "") or "").upper()
    for prefix, fam in FAMILIES.items():
        if mcu.startswith(prefix):
            return fam
    return None


def _default_wiring(board) -> dict:
    mcu = (getattr(board, "mcu", "") or "").upper()
    if mcu.startswith("STM32F746NG"):  # STM32F746G-DISCO: VCP on USART1 PA9
        return {"instance": "USART1", "tx": "PA9", "af": 7}
    return {"instance": "USART3", "tx": "PD8", "af": 7}  # Nucleo-144 VCP


def uart_defines(board) -> dict[str, str]:
    """Preprocessor defines for the board's UART, or {} if it has none or the family is unknown."""
    fam = family_of(board)
    raw = getattr(board, "raw", None)
    spec = raw.get("uart") if isinstance(raw, dict) else None
    if fam is None or spec in ("none", False):
        return {}
    wiring = {**_default_wiring(board), **(spec if isinstance(spec, dict) else {})}
    where = f"board {board.name}: uart"
    instance = str(wiring["instance"]).upper()
    if instance not in USARTS:
        raise UserError(f"{where}: unknown instance {instance!r}; expected one of {', '.join(USARTS)}")
    m = re.fullmatch(r"P([A-K])(\d{1,2})", str(wiring["tx"]).upper())
    if not m or int(m.group(2)) > 15:
        raise UserError(f"{where}: tx pin {wiring['tx']!r} is not a pin name like PD8")
    af = int(wiring["af"])
    if not 0 <= af <= 15:
        raise UserError(f"{where}: af {af} is outside 0..15")
    baud = int(wiring.get("baud", DEFAULT_BAUD))
    port = ord(m.group(1)) - ord("A")
    base, bus, bit = USARTS[instance]
    en_offset = fam.apb1_en_offset if bus == 1 else fam.apb2_en_offset
    return {
        "MCUNET_UART_BASE": f"0x{base:08X}u",
        "MCUNET_UART_STYLE": str(fam.style),
        "MCUNET_UART_BRR": str(round(fam.kernel_hz / baud)),
        "MCUNET_UART_EN_REG": f"0x{fam.rcc + en_offset:08X}u",
        "MCUNET_UART_EN_BIT": f"(1u << {bit})",
        "MCUNET_UART_GPIO_EN_REG": f"0x{fam.rcc + fam.gpio_en_offset:08X}u",
        "MCUNET_UART_GPIO_EN_BIT": f"(1u << {port})",
        "MCUNET_UART_GPIO_BASE": f"0x{fam.gpio_base + 0x400 * port:08X}u",
        "MCUNET_UART_TX_PIN": str(int(m.group(2))),
        "MCUNET_UART_AF": str(af),
    }
