"""SCons tool: run a built firmware with the selected runner; write result.json + output.npy.

``env.McunetRun(ctx, sources)`` -> [result.json, output.npy] in the build folder for the
default run, in ``runs/<runner>-<opt>[-input-...]/`` for any other (mcunet_paths.run_dir).
``sources[0]`` is the ELF (from ``env.McunetFirmware``); the input is ``input=<file>``
from the command line (``.npy`` for a single-input model, ``.npz`` with one array per
input), else the engine's seeded ``input.npz``. The engine's ``io.json`` checks the input
against the model's inputs and decodes the output bytes into the model's outputs (dtype and
shape; float32 for a model with a DEQUANTIZE at its end). ``runner=qemu`` (default) or ``runner=pyocd`` with
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
from mcunet_core.ir.model_io import ModelIO
from mcunet_core.device.result import write_run
from mcunet_core.device.runners import load_input_file, make_runner
from mcunet_core.errors import UserError, print_user_error
from mcunet_paths import run_dir

HARDWARE_MAP_ENV = "MCUNET_HARDWARE_MAP"
TIMEOUT_ENV = "MCUNET_RUN_TIMEOUT"


def _run(target, source, env):
    ctx = env["MCUNET_CTX"]
    elf = str(source[0])
    named = {Path(str(s)).name: str(s) for s in source[1:]}
    input_path = env["MCUNET_INPUT"]
    try:
        io = ModelIO.load(named["io.json"]) if "io.json" in named else None
        data = io.load_inputs(input_path) if io is not None and input_path else load_input_file(input_path)
        timeout = float(os.environ.get(TIMEOUT_ENV, 0)) or None
        runner = make_runner(ctx.runner, ctx.board, timeout_s=timeout, probe=ctx.probe,
                             hardware_map=os.environ.get(HARDWARE_MAP_ENV) or None)  # fmt: skip
        run = runner.run(elf, data)
        outputs = io.unpack_outputs(run.output) if io is not None and run.output is not None else None
        variant = "hardware" if ctx.runner == "pyocd" else "emulator"
        memory = memory_report(Elf(elf), layout(ctx.board, variant))
        out = Path(str(target[0])).parent
        write_run(out, run, memory, opt=ctx.opt, input_path=input_path, outputs=outputs,
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
    io = [s for s in sources[1:] if Path(str(s)).name == "io.json"]
    if ctx.input:
        inp = env.File(ctx.input)
    else:
        inp = next((s for s in sources[1:] if Path(str(s)).name == "input.npz"), None)
    srcs = [elf] + io + ([inp] if inp is not None else [])
    # the result records latency at the board's clock: a clock change reruns it
    renv = env.Clone(MCUNET_CTX=ctx, MCUNET_INPUT=str(inp) if inp is not None else None,
                     MCUNET_RUN_SIG=f"{ctx.runner} {ctx.probe or ''} {ctx.board.name} {ctx.board.clock_hz}")
    targets = renv.Command(
        [run_dir(ctx).File("result.json"), run_dir(ctx).File("output.npy")],
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
