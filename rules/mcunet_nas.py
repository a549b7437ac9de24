"""SCons tool: TinyNAS for the selected task on the selected board.

``env.McunetNas(ctx, sources)`` -> ``<build_dir>/nas/``: stage1.json + stage1_cdf.png (the
chosen width x resolution), supernet.pt (the trained one-shot supernet), search.json (the
evolution and its best network), nas-<task>-<board>.yaml (that network as a model spec) and subnet.pt
(its weights, which seed the training stage). The work is mcunet_core.pipeline.search.
"""

from __future__ import annotations

from pathlib import Path

from SCons.Action import Action

from mcunet_core.errors import UserError, print_user_error
from mcunet_import import code_dependencies


def _nas(target, source, env):
    from mcunet_core.pipeline.resume import inputs_digest, keep_checkpoint_if_same_inputs
    from mcunet_core.pipeline.search import run_search

    ctx = env["MCUNET_CTX"]
    out = Path(str(target[0])).parent
    try:
        keep_checkpoint_if_same_inputs(out / "supernet.pt", inputs_digest(source))
        outcome = run_search(ctx.board, ctx.task, ctx.search, out)
        print(f"search: {outcome.model_spec}")
    except UserError as err:
        return print_user_error(err)
    return 0


def nas(env, ctx, sources):
    from mcunet_core.pipeline.search import search_files

    out = ctx.build_dir.Dir("nas")
    targets = env.Command([out.File(n) for n in search_files(ctx.task, ctx.board)], list(sources),
                          Action(_nas, "Searching for a network for $MCUNET_TASK on $MCUNET_BOARD"),
                          MCUNET_CTX=ctx, MCUNET_TASK=ctx.task.name, MCUNET_BOARD=ctx.board.name)
    env.Depends(targets, code_dependencies(env, "nas", "train", "arch", "pipeline", "engine",
                                           "engine/kernel_costs.json", "sram.py"))
    return targets


def generate(env):
    env.AddMethod(nas, "McunetNas")


def exists(env):
    return True
