"""SCons tool: run a built firmware with the selected runner; write result.json + output.npy.

``env.McunetRun(ctx, sources)`` -> [result.json, output.npy] in ``ctx.build_dir``.
``sources[0]`` is the ELF (from ``env.McunetFirmware``); the input is ``input=<file>``
from the command line (``.npy`` int8 or raw ``.bin``), else a source named
``input.npy``, else zeros. ``runner=qemu`` (default) or ``runner=pyocd`` with
``probe=<uid>``; a hardware map (probe UID -> board, Zephyr twister format) comes from
``$MCUNET_HARDWARE_MAP``. A failed run (fault, hang, model error, device error) still
writes result.json and then fails the build with its one-line description.
"""

from __future__ import annotations

import os
from pathlib import Path

from SCons.Action import Action

from mcunet_core.device.elf import Elf, memory_report
from mcunet_core.device.linker import layout
from mcunet_core.device.result import write_run
from mcunet_core.device.runners import load_input_file, make_runner
from mcunet_core.errors import UserError, print_user_error

HARDWARE_MAP_ENV = "MCUNET_HARDWARE_MAP"
TIMEOUT_ENV = "MCUNET_RUN_TIMEOUT"


def _run(target, source, env):
    ctx = env["MCUNET_CTX"]
    elf = str(source[0])
    input_path = str(source[1]) if len(source) > 1 else None
    try:
        timeout = float(os.environ.get(TIMEOUT_ENV, 0)) or None
        runner = make_runner(ctx.runner, ctx.board, timeout_s=timeout, probe=ctx.probe,
                             hardware_map=os.environ.get(HARDWARE_MAP_ENV) or None)  # fmt: skip
        run = runner.run(elf, load_input_file(input_path))
        variant = "hardware" if ctx.runner == "pyocd" else "emulator"
        memory = memory_report(Elf(elf), layout(ctx.board, variant))
        out = Path(str(target[0])).parent
        write_run(out, run, memory, opt=ctx.opt, input_path=input_path,
                  result_name=Path(str(target[0])).name, output_name=Path(str(target[1])).name)  # fmt: skip
        print(run.describe())
        run.raise_for_status()
    except UserError as err:
        return print_user_error(err)
    return 0


def run(env, ctx, sources):
    """Add the run of ``sources[0]`` (the ELF) for ``ctx``; return [result.json, output.npy]."""
    sources = list(sources)
    elf = sources[0]
    if ctx.input:
        inp = env.File(ctx.input)
    else:
        inp = next((s for s in sources[1:] if Path(str(s)).name == "input.npy"), None)
    srcs = [elf] + ([inp] if inp is not None else [])
    renv = env.Clone(MCUNET_CTX=ctx, MCUNET_RUN_SIG=f"{ctx.runner} {ctx.probe or ''} {ctx.board.name}")
    targets = renv.Command(
        [ctx.build_dir.File("result.json"), ctx.build_dir.File("output.npy")],
        srcs,
        Action(_run, "Running $SOURCE ($MCUNET_RUN_SIG)", varlist=["MCUNET_RUN_SIG"]),
    )
    if ctx.runner == "pyocd":
        renv.AlwaysBuild(targets)  # a board run measures the board as it is now
    return targets


def generate(env):
    env.AddMethod(run, "McunetRun")


def exists(env):
    return True
