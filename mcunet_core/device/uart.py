"""Register-level defines of hardware builds: the MCU family's, and the UART wiring of the
one result line a board prints.

The firmware has no HAL: it enables the GPIO and USART clocks, muxes the TX pin and
writes BRR, all from preprocessor constants computed here. The register facts come from the
board's family spec (``specs/families/<family>.yaml``: RCC enable registers, GPIO ports,
USART instances and layout, the reset kernel clock, RAM clocks off at reset); the wiring from
the board spec: ``uart: {instance: USART3, tx: PD8, af: 7, baud: 115200}``, or ``uart: none``.

The firmware does not touch the clock tree, so the USART kernel clock is the family's reset
clock (``usart.kernel_hz``).
"""

from __future__ import annotations

import re

from ..errors import UserError

DEFAULT_BAUD = 115200


def family_of(board):
    """The board's MCU family spec (``spec.types.Family``), or None when no family spec claims its mcu."""
    return getattr(board, "family", None)


def _address(value: int) -> str:
    return f"0x{value:08X}u"


def _bit(n: int) -> str:
    return f"(1u << {n})"


def family_defines(board) -> dict[str, str]:
    """The family's own defines: its name, and the RAM clocks early init turns on (if any)."""
    fam = family_of(board)
    if fam is None:
        return {}
    defines = {fam.define: "1"}
    if fam.sram_clocks is not None:
        defines["MCUNET_SRAM_EN_REG"] = _address(fam.enable_register(fam.sram_clocks.bus))
        defines["MCUNET_SRAM_EN_BITS"] = "(" + " | ".join(_bit(b) for b in fam.sram_clocks.bits) + ")"
    return defines


def uart_defines(board) -> dict[str, str]:
    """Preprocessor defines for the board's UART, or {} if it has none or the family is unknown."""
    fam = family_of(board)
    raw = getattr(board, "raw", None)
    wiring = raw.get("uart") if isinstance(raw, dict) else None
    if fam is None or not isinstance(wiring, dict):
        return {}
    where = f"board {board.name}: uart"
    instance = str(wiring["instance"]).upper()
    if instance not in fam.usarts:
        raise UserError(f"{where}: {fam.name} has no instance {instance!r}; expected one of {', '.join(fam.usarts)}")
    m = re.fullmatch(r"P([A-K])(\d{1,2})", str(wiring["tx"]).upper())
    if not m or int(m.group(2)) > 15:
        raise UserError(f"{where}: tx pin {wiring['tx']!r} is not a pin name like PD8")
    af = int(wiring["af"])
    if not 0 <= af <= 15:
        raise UserError(f"{where}: af {af} is outside 0..15")
    baud = int(wiring.get("baud", DEFAULT_BAUD))
    port = ord(m.group(1)) - ord("A")
    usart = fam.usarts[instance]
    return {
        "MCUNET_UART_BASE": _address(usart.base),
        "MCUNET_UART_STYLE": str(fam.usart_style),
        "MCUNET_UART_BRR": str(round(fam.usart_kernel_hz / baud)),
        "MCUNET_UART_EN_REG": _address(fam.enable_register(usart.bus)),
        "MCUNET_UART_EN_BIT": _bit(usart.bit),
        "MCUNET_UART_GPIO_EN_REG": _address(fam.enable_register(fam.gpio_bus)),
        "MCUNET_UART_GPIO_EN_BIT": _bit(port),
        "MCUNET_UART_GPIO_BASE": _address(fam.gpio_port(port)),
        "MCUNET_UART_TX_PIN": str(int(m.group(2))),
        "MCUNET_UART_AF": str(af),
    }
