"""``env.McunetToolchain(board)``: the user's environment compiles and links with
arm-none-eabi-gcc and the board spec's core flags (``compiler.cflags``), the flags the model
library is built with, so the application and the library agree on the float ABI."""

from __future__ import annotations

from ..device.toolchain import find_toolchain
from ..spec import load_board
from .calls import user_errors

BOARD_VAR = "MCUNET_BOARD"  # McunetModel's board when it names none


def spec_argument(env, value: str) -> str:
    """A spec argument as the loaders take it: a name stays a name, a path (``x.yaml``,
    ``models/x.tflite``) is made absolute from the calling SConscript's folder."""
    text = str(value)
    if "/" in text or text.lower().endswith((".yaml", ".yml", ".tflite")):
        return env.File(text).srcnode().abspath
    return text


@user_errors("McunetToolchain")
def mcunet_toolchain(env, board):
    """Point CC, LINK, AS, AR, RANLIB and OBJCOPY at arm-none-eabi-gcc's tools, add the
    board's core flags to CCFLAGS and LINKFLAGS, name programs ``.elf``; return the Board."""
    spec = load_board(spec_argument(env, board))
    tc = find_toolchain()
    env.Replace(CC=tc.gcc, LINK=tc.gcc, AS=tc.tool("as"), AR=tc.tool("ar"), RANLIB=tc.tool("ranlib"),
                OBJCOPY=tc.tool("objcopy"), PROGSUFFIX=".elf", **{BOARD_VAR: spec_argument(env, board)})
    env.Append(CCFLAGS=list(spec.cflags), LINKFLAGS=list(spec.cflags))
    return spec
