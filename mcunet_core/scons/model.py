"""``env.McunetModel(name, model, board=...)``: a model as a static library and its header.

The model is what the pipeline builds for ``scons board=B model=M`` (or ``task=T``): the same
stage tools (``rules/``, wired by ``mcunet_stages.add_stages``) import the .tflite (or train
the model spec, or search the task), then the engine generates C under the C prefix ``name``.
After them, one action compiles what the generated ``build.json`` names (the model's C and
only the kernels it calls, ``device.library``) into ``lib<name>.a`` with the board's flags,
and the API header is copied to ``include/<name>/model.h``. Outputs live in
``#build/mcunet/<board>/<name>/`` (``build_dir=`` to move them).

Dependencies are SCons' own: the model file and spec files are sources of the first stage,
the board spec is part of the engine's and the library's signatures, so editing the
application's C never regenerates the model, and changing the model or a spec rebuilds the
model alone (the application relinks if the library's bytes changed, and recompiles a file
only if the header it includes changed).
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import NamedTuple

from SCons.Action import Action
from SCons.Script import Copy

from ..engine import check_prefix
from ..errors import UserError, print_user_error
from ..paths import RULES_DIR
from .calls import user_errors
from .cross import BOARD_VAR, spec_argument

DEFAULT_BUILD_DIR = "#build/mcunet"
LIBRARY_INPUTS = (".c", ".h")  # of the engine's outputs and the kernel library: what the archive compiles
LAST_STAGE = "engine"


class ModelNodes(NamedTuple):
    """``lib, header = env.McunetModel(...)``; ``folder`` holds the rest (``gen/io.json``,
    ``gen/plan.json``, ``gen/memory.png``)."""

    lib: object  # SCons File: lib<name>.a
    header: object  # SCons File: include/<name>/model.h

    @property
    def folder(self):
        return self.header.dir.up().up()


def _stages():
    """The pipeline's stage registry (rules/mcunet_stages.py) and command-line checks."""
    if str(RULES_DIR) not in sys.path:
        sys.path.insert(0, str(RULES_DIR))
    import mcunet_specs
    import mcunet_stages

    return mcunet_specs, mcunet_stages


@dataclasses.dataclass
class LibraryConfig:
    """How a model's library is compiled, kept on its node (``lib.attributes.mcunet_library``)
    so a later call (``env.McunetSharedArena``) can add defines before SCons builds anything."""

    board: object  # spec.Board
    prefix: str
    opt: str
    defines: dict
    gen_dir: object  # SCons Dir: the engine's outputs (plan.json, model.h, ...)

    def signature(self) -> str:
        return library_signature(self.board, self.opt, self.defines)


def library_config(lib) -> LibraryConfig | None:
    return getattr(lib.attributes, "mcunet_library", None)


def _archive(target, source, env):
    from ..device.library import build_library

    config = library_config(target[0])
    try:
        build_library(config.board, Path(str(target[0])).parent / "gen", str(target[0]),
                      prefix=config.prefix, opt=config.opt, defines=config.defines)
    except UserError as err:
        return print_user_error(err)
    return 0


def _library_signature(target, source, env, for_signature):
    """$MCUNET_LIB_SIG: read when SCons builds, so defines added after McunetModel count."""
    return library_config(target[0]).signature()


def library_signature(board, opt: str, defines: dict) -> str:
    """What the archive's bytes depend on besides its sources: compiler, flags, defines."""
    from ..device.toolchain import find_toolchain, library_flags

    tc = find_toolchain()
    flags = library_flags(board, opt=opt, defines=defines)
    return f"{tc.gcc} {tc.version} " + " ".join(flags.ccflags) + "".join(f" -D{k}={v}" for k, v in flags.cppdefines)


@user_errors("McunetModel")
def mcunet_model(env, name, model=None, *, board=None, task=None, quant=None, search=None, opt="O2",
                 defines=None, build_dir=None, patch=None) -> ModelNodes:
    """Add the model ``name`` (its C prefix: ``name_invoke()``, ``NAME_ARENA_BYTES``) built
    from ``model`` (an int8 .tflite, a model spec name or .yaml) or ``task`` (a task spec:
    search and train) for ``board`` (a board spec name or .yaml; default: the board of
    ``env.McunetToolchain``), its C compiled with ``defines`` (a dict: the arena's placement,
    ``{"VWW_ARENA_SECTION": '".my_sram"'}``, ``VWW_ARENA_SYMBOL``, ...) and patch schedule ``patch``
    (as the ``patch=`` variable: ``off``, ``auto``, ``6:4``; default the specs', else auto); return
    (library, header)."""
    check_prefix(name)
    if defines is not None and not isinstance(defines, dict):
        raise UserError(f"defines={defines!r}: a dict of C macros, e.g. {{'{name.upper()}_ARENA_SYMBOL': 'my_buffer'}}")
    defines = dict(defines or {})
    board = board or env.get(BOARD_VAR)
    if not board:
        raise UserError("no board: give board=<board spec> or call env.McunetToolchain(<board>) first")
    if model is None and task is None:
        raise UserError("nothing to build: give a model (an int8 .tflite, a model spec) or task=<task spec>")
    specs, stages = _stages()
    arguments = {"board": spec_argument(env, board), "model": model and spec_argument(env, model),
                 "task": task and spec_argument(env, task), "quant": quant, "search": search, "opt": opt,
                 "patch": patch}
    selection = specs.selection_from_arguments({k: v for k, v in arguments.items() if v})
    ctx = stages.build_context(env, selection)
    out = env.Dir(build_dir or f"{DEFAULT_BUILD_DIR}/{ctx.board.name}/{name}")
    ctx = dataclasses.replace(ctx, build_dir=out, prefix=name)
    generated = stages.add_stages(env, ctx, ctx.chain[: ctx.chain.index(LAST_STAGE) + 1], RULES_DIR)
    inputs = [n for n in generated if n.get_path().endswith(LIBRARY_INPUTS) or n.name == "build.json"]
    archive = Action(_archive, "Archiving $TARGET", varlist=["MCUNET_LIB_SIG"])
    lib = env.Command(out.File(f"lib{name}.a"), inputs, archive, MCUNET_LIB_SIG=_library_signature)[0]
    lib.attributes.mcunet_library = LibraryConfig(ctx.board, name, opt, defines, out.Dir("gen"))
    env.Clean(lib, out.Dir(f"obj-{name}"))
    header = env.Command(out.File(f"include/{name}/model.h"), out.Dir("gen").File("model.h"),
                         Copy("$TARGET", "$SOURCE"))[0]
    return ModelNodes(lib, header)
