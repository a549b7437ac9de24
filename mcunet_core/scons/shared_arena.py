"""``env.McunetSharedArena([vww, kws], symbol=...)``: models that never run at the same time
on one arena (issue 12 part 3), in the application's own SConstruct.

The call adds ``<POOL>_SYMBOL=<shared array>`` to each model library's defines (part of the
library's signature, so the libraries rebuild against the shared arrays and define no arena of
their own) and returns the C file that defines the arrays, one per memory pool at the largest
model's bytes (``device.shared_arena.share_arenas`` on the models' generated folders), with
``models.md`` beside it (``device.models_report``): the arena is shared, its bytes, each model
alone, and that the models must not run at the same time. The application compiles the C file
into its program with its own sources.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from SCons.Action import Action

from ..atomic import atomic_write_text
from ..device.models_report import REPORT, render_models_report
from ..device.shared_arena import SHARED_SYMBOL, board_defines, share_arenas
from ..errors import UserError, print_user_error
from .calls import user_errors
from .model import DEFAULT_BUILD_DIR, library_config

SOURCE = "shared_arena.c"
_C_NAME = re.compile(r"[A-Za-z_]\w*\Z")


class SharedArenaNodes(NamedTuple):
    """``source, report, defines = env.McunetSharedArena(...)``."""

    source: object  # SCons File: shared_arena.c, for the application's Program
    report: object  # SCons File: models.md
    defines: dict  # the macros added to every model library: <POOL>_SYMBOL -> shared array


def _library(model):
    """A McunetModel result or its library node."""
    lib = model[0] if isinstance(model, (tuple, list)) else model
    config = library_config(lib) if hasattr(lib, "attributes") else None
    if config is None:
        raise UserError(f"{model!r}: not a library of env.McunetModel (give what McunetModel returned, or its lib)")
    return lib, config


def _write(target, source, env):
    configs = env["MCUNET_SHARED_CONFIGS"]
    try:
        arena = share_arenas([c.gen_dir.abspath for c in configs], symbol=env["MCUNET_SHARED_SYMBOL"])
        applied = {k: v for c in configs for k, v in c.defines.items()}
        missed = sorted(k for k, v in arena.defines().items() if applied.get(k) != v)
        if missed:
            raise UserError(f"the libraries were not compiled against the shared arena: {', '.join(missed)}")
        atomic_write_text(str(target[0]), arena.c_source())
        atomic_write_text(str(target[1]), render_models_report(configs[0].board.name, arena.models, arena))
    except UserError as err:
        return print_user_error(err)
    return 0


@user_errors("McunetSharedArena")
def mcunet_shared_arena(env, models, *, symbol=SHARED_SYMBOL, build_dir=None) -> SharedArenaNodes:
    """The application says ``models`` (what ``env.McunetModel`` returned, or its libraries)
    never run at the same time: compile each against one shared arena named ``symbol`` (its
    other pools ``<symbol>_<region>``) and return (the arena's C, the report, the defines)."""
    if isinstance(models, (str, bytes)) or not hasattr(models, "__iter__"):
        raise UserError(f"{models!r}: a list of models, [vww, kws]")
    libs = [_library(m) for m in models]
    if len(libs) < 2:
        raise UserError("a shared arena is for two models or more")
    if not isinstance(symbol, str) or not _C_NAME.match(symbol):
        raise UserError(f"symbol={symbol!r}: not a C identifier")
    boards = sorted({c.board.name for _, c in libs})
    if len(boards) > 1:
        raise UserError(f"the models are built for different boards ({', '.join(boards)}): one arena is one board's")
    prefixes = [c.prefix for _, c in libs]
    if len(set(prefixes)) < len(prefixes):
        raise UserError(f"a model is listed twice ({', '.join(prefixes)})")
    applied = {}
    for _, config in libs:
        shared = board_defines(config.prefix, config.board, symbol)
        clash = sorted(k for k in shared if k in config.defines and config.defines[k] != shared[k])
        if clash:
            raise UserError(f"McunetModel({config.prefix!r}) has defines={{{', '.join(repr(k) for k in clash)}: ...}}: "
                            f"the shared arena sets them")
        config.defines.update(shared)
        applied.update(shared)
    out = env.Dir(build_dir or f"{DEFAULT_BUILD_DIR}/{boards[0]}/shared-{'-'.join(prefixes)}")
    configs = [c for _, c in libs]
    nodes = env.Command([out.File(SOURCE), out.File(REPORT)], [c.gen_dir.File("plan.json") for c in configs],
                        Action(_write, "Sharing an arena: $TARGET", varlist=["MCUNET_SHARED_SYMBOL"]),
                        MCUNET_SHARED_CONFIGS=configs, MCUNET_SHARED_SYMBOL=symbol)
    return SharedArenaNodes(nodes[0], nodes[1], applied)


__all__ = ["SharedArenaNodes", "mcunet_shared_arena"]
