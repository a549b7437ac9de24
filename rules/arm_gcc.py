"""SCons tool: compile and link the firmware with arm-none-eabi-gcc for the selected board.

``env.McunetFirmware(ctx, sources)`` -> [fw.elf, size.json] under ``<build_dir>/firmware/``
(``firmware-<variant>-<opt>/`` for a hardware build or another optimisation: mcunet_paths)
(plus the engine's ``input.npy``, passed on to the run stage).
``sources`` are the engine's outputs: every ``.c`` is compiled, the folders of all
sources are on the include path (so generated ``model.h`` / ``mcunet_model_config.h``
are found). The variant follows the runner: ``runner=qemu`` -> emulator build,
``runner=pyocd`` -> hardware build. Flags and commands come from
``mcunet_core.device.toolchain`` (the same code the Python build uses); a program over
the board's budget fails the link with "board B: region R overflowed by N bytes".
"""

from __future__ import annotations

import json
from pathlib import Path

import SCons.Scanner.C
from SCons.Action import Action
from SCons.Builder import Builder

from mcunet_core.atomic import atomic_write_text
from mcunet_core.device.elf import Elf, memory_report
from mcunet_core.device.linker import layout, render_linker_script
from mcunet_core.device.toolchain import (
    compile_source,
    find_toolchain,
    firmware_flags,
    format_memory_report,
    link_firmware,
    runtime_sources,
)
from mcunet_core.errors import UserError, print_user_error
from mcunet_paths import firmware_dir, variant_for


def _write_text(target, source, env):
    atomic_write_text(str(target[0]), source[0].read())
    return 0


def _compile(target, source, env):
    try:
        compile_source(env["MCUNET_TOOLCHAIN"], env["MCUNET_FLAGS"], str(source[0]), str(target[0]))
    except UserError as err:
        return print_user_error(err)
    return 0


def _link(target, source, env):
    board = env["MCUNET_BOARD"]
    elf, size_json = str(target[0]), str(target[1])
    objects = [str(s) for s in source if str(s).endswith(".o")]
    try:
        link_firmware(env["MCUNET_TOOLCHAIN"], env["MCUNET_FLAGS"], objects, elf, board)
        memory = memory_report(Elf(elf), layout(board, env["MCUNET_VARIANT"]))
    except UserError as err:
        return print_user_error(err)
    atomic_write_text(size_json, json.dumps(memory, indent=2) + "\n")
    print(format_memory_report(board.name, memory))
    return 0


def _portable(env, command: list[str]) -> str:
    """A command line as a signature: the checkout's own absolute path replaced by ``#``."""
    top = env.Dir("#").abspath
    return " ".join(command).replace(top, "#")


def firmware(env, ctx, sources, *, variant: str | None = None, name: str = "fw"):
    """Add the firmware build for ``ctx`` (a StageContext); return [elf, size.json]."""
    board = ctx.board
    variant = variant or variant_for(ctx.runner)
    out = firmware_dir(ctx)
    toolchain = find_toolchain()
    ld = out.File(f"{name}.ld")
    map_file = out.File(f"{name}.map")
    sources = [env.File(s) if isinstance(s, (str, Path)) else s for s in sources]
    include_dirs = sorted({s.dir.abspath for s in sources})
    flags = firmware_flags(
        board, variant=variant, opt=ctx.opt, linker_script=ld.abspath, map_file=map_file.abspath,
        include_dirs=include_dirs,
    )  # fmt: skip
    fenv = env.Clone(
        MCUNET_TOOLCHAIN=toolchain,
        MCUNET_FLAGS=flags,
        MCUNET_BOARD=board,
        MCUNET_VARIANT=variant,
        # what the actions' signatures depend on: a flag or compiler change rebuilds; paths inside
        # the checkout are written from its top, so checkouts share a cache (cache=DIR)
        MCUNET_CC_SIG=_portable(env, flags.compile_command(toolchain.gcc, "SRC", "OBJ")),
        MCUNET_LD_SIG=_portable(env, flags.link_command(toolchain.gcc, ["OBJS"], "ELF")),
        CPPPATH=list(flags.cpppath),
    )
    fenv.Command(ld, fenv.Value(render_linker_script(board, variant)), Action(_write_text, "Writing $TARGET"))
    compile_builder = Builder(
        action=Action(_compile, "Compiling $SOURCE", varlist=["MCUNET_CC_SIG"]),
        source_scanner=SCons.Scanner.C.CScanner(),
    )
    c_sources = [env.File(str(p)) for p in runtime_sources()] + [s for s in sources if s.get_path().endswith(".c")]
    objects = [
        compile_builder(fenv, target=out.File(f"obj/{i:03d}_{Path(s.get_path()).stem}.o"), source=s)[0]
        for i, s in enumerate(c_sources)
    ]
    elf, size_json = fenv.Command(
        [out.File(f"{name}.elf"), out.File("size.json")],
        objects + [ld],
        Action(_link, "Linking $TARGET", varlist=["MCUNET_LD_SIG"]),
    )
    fenv.SideEffect(map_file, elf)
    # for the run stage: the default input and the model's I/O description
    passed_on = [s for s in sources if Path(s.get_path()).name in ("input.npz", "io.json")]
    return [elf, size_json] + passed_on


def generate(env):
    env.AddMethod(firmware, "McunetFirmware")


def exists(env):
    try:
        find_toolchain()
    except UserError:
        return False
    return True
