"""SCons tool: the model as an exported C package (``export=DIR``).

``env.McunetExport(ctx, sources)`` takes the IR (graph.json, weights.npz) and writes the
package folder ``ctx.export`` (``mcunet_core.package``): the model generated under its own C
prefix for the board's deployment target (the one the engine stage compiles with; the
library's default optimisation is ``opt=``'s; a detection task's decode + NMS after the
network, as the firmware runs it), only the kernels it calls, a CMake library, a Zephyr
module and a README. The target SCons tracks is
the package's manifest; the folder is written whole or not at all, a folder whose files no
longer match their manifest is exported again, and anything else changes only when the IR,
the board, the budget, the engine's code or templates, a kernel or a detection task's spec
(its anchors and thresholds) changes.
"""

from __future__ import annotations

from pathlib import Path

from SCons.Action import Action

from mcunet_core.errors import UserError, print_user_error
from mcunet_engine import (engine_dependencies, input_placement, input_signature, kernel_library, patch_policy,
                           patch_sources)
from mcunet_import import code_dependencies

_PACKAGE_TEMPLATES = Path(__file__).resolve().parents[1] / "mcunet_core" / "package" / "templates"


def _export(target, source, env):
    from mcunet_core.ir.serialize import load_graph
    from mcunet_core.nas.constraints import deployment_target
    from mcunet_core.package import export_package, target_name
    from mcunet_core.pipeline.tasks import task_kind

    ctx = env["MCUNET_CTX"]
    folder = Path(target[0].dir.abspath)
    try:
        graph = load_graph(Path(str(source[0])).parent)
        target_ = deployment_target(ctx.board, ctx.budget.limits, patch_policy(ctx, source),
                                    input_placement(ctx, source))
        postprocess = task_kind(ctx.task).postprocess(graph)  # a detector's decode + NMS goes with it
        pkg = export_package(graph, target_, ctx.board, folder, ctx.name, opt=ctx.opt, postprocess=postprocess)
    except UserError as err:
        return print_user_error(err)
    except OSError as err:  # an unwritable folder, a full disk: the old package (if any) stays
        return print_user_error(UserError(f"export={ctx.export}: cannot write the package "
                                          f"({err.strerror or err}: {err.filename or folder})"))
    count = len(pkg.kernel_sources)
    post = " with its decode + NMS" if pkg.postprocess is not None else ""
    print(f"Exported {pkg.prefix}{post} ({count} kernel{'' if count == 1 else 's'}) to {folder}: CMake target "
          f"mcunet::{pkg.prefix}, Zephyr module {target_name(pkg)}")
    return 0


def export(env, ctx, sources):
    from mcunet_core.package import MANIFEST, is_intact, package_prefix

    graph = [s for s in sources if Path(str(s)).name in ("graph.json", "weights.npz")]
    folder = env.Dir(str(Path(ctx.export).expanduser().absolute()))
    xenv = env.Clone(MCUNET_CTX=ctx, MCUNET_EXPORT_SIG=f"{ctx.board.name} {ctx.board.raw} {ctx.budget.to_json()} "
                                                      f"prefix={package_prefix(ctx.name)} opt={ctx.opt}"
                                                      + (ctx.patch.signature() if ctx.patch else "")
                                                      + input_signature(ctx))
    sources = sorted(graph, key=str) + patch_sources(ctx) + detection_sources(env, ctx)
    manifest = xenv.Command(folder.File(MANIFEST), sources,
                            Action(_export, f"Exporting {ctx.name} to {folder}", varlist=["MCUNET_EXPORT_SIG"]))
    templates = [env.File(str(p)) for p in sorted(_PACKAGE_TEMPLATES.rglob("*.j2"))]
    xenv.Depends(manifest, engine_dependencies(env) + kernel_library(env)
                 + code_dependencies(env, "package", "atomic.py") + templates)
    if detection_sources(env, ctx):  # the decode's parameters come from the task spec through these
        xenv.Depends(manifest, code_dependencies(env, "detect", "pipeline/tasks.py"))
    xenv.Precious(manifest)  # SCons must not delete the old manifest first: the action replaces the folder whole
    xenv.Clean(manifest, folder)
    if not is_intact(folder.abspath):
        xenv.AlwaysBuild(manifest)  # a file edited or removed in the package: write it again
    return manifest


def detection_sources(env, ctx) -> list:
    """A detection task's spec: the decode + NMS's anchors and thresholds (no data: an export
    runs nothing)."""
    if ctx.task is None or "detection" not in ctx.task.raw:
        return []
    return [env.File(str(ctx.task.source_file))]


def generate(env):
    env.AddMethod(export, "McunetExport")


def exists(env):
    return True
