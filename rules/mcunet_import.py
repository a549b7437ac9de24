"""SCons tool: import an int8 .tflite model into the IR.

``env.McunetImport(ctx, sources)`` -> [graph.json, weights.npz] under ``<build_dir>/ir/``.
The action depends on the importer's and the IR's code, so a change there re-imports.
"""

from __future__ import annotations

from pathlib import Path

from SCons.Action import Action

from mcunet_core.errors import UserError, print_user_error

_CORE = Path(__file__).resolve().parents[1] / "mcunet_core"


def _import(target, source, env):
    from mcunet_core.importers.tflite import import_tflite
    from mcunet_core.ir.serialize import save_graph

    try:
        graph = import_tflite(str(source[0]))
        save_graph(graph, Path(str(target[0])).parent)
    except UserError as err:
        return print_user_error(err)
    return 0


def code_dependencies(env, *packages: str) -> list:
    """Python sources a stage's output depends on (SCons only hashes the action's own code)."""
    paths = []
    for pkg in packages:
        root = _CORE / pkg
        paths += [root] if root.is_file() else sorted(root.rglob("*.py"))
    return [env.File(str(p)) for p in paths]


def import_model(env, ctx, sources):
    out = ctx.build_dir.Dir("ir")
    targets = env.Command([out.File("graph.json"), out.File("weights.npz")], list(sources)[:1],
                          Action(_import, "Importing $SOURCE"))
    env.Depends(targets, code_dependencies(env, "importers", "ir", "quant"))
    return targets


def generate(env):
    env.AddMethod(import_model, "McunetImport")


def exists(env):
    return True
