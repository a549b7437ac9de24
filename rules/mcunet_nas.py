"""SCons tool: TinyNAS for the selected task on the selected board.

``env.McunetNas(ctx, sources)`` -> ``<build_dir>/nas/``: stage1.json + stage1_cdf.png (the
chosen width x resolution), supernet.pt (the trained one-shot supernet), search.json (the
evolution and its best network), nas-<task>-<board>.yaml (that network as a model spec) and subnet.pt
(its weights, which seed the training stage). The work is mcunet_core.pipeline.search.

supernet.pt is also the training's checkpoint (every epoch): SCons keeps it (Precious), and an
interrupted search resumes from it unless anything the stage depends on changed.
"""

from __future__ import annotations

from pathlib import Path

from SCons.Action import Action

from mcunet_import import code_dependencies
from mcunet_stages import compute_sources


def _nas(target, source, env):
    from mcunet_core.pipeline.launch import compute_args, run_stage
    from mcunet_core.pipeline.resume import inputs_digest, keep_checkpoint_if_same_inputs

    ctx = env["MCUNET_CTX"]
    out = Path(str(target[0])).parent
    keep_checkpoint_if_same_inputs(out / "supernet.pt", inputs_digest(target[0].children()))
    return run_stage(["search", "--board", str(ctx.board.source_file), "--task", str(ctx.task.source_file),
                      "--search", str(ctx.search.source_file), "--quant", str(ctx.quant.source_file),
                      "--out", str(out), *compute_args(ctx.compute)], ctx.launch)


def nas(env, ctx, sources):
    from mcunet_core.pipeline.search import search_files

    out = ctx.build_dir.Dir("nas")
    targets = env.Command([out.File(n) for n in search_files(ctx.task, ctx.board)],
                          list(sources) + compute_sources(env, ctx),
                          Action(_nas, "Searching for a network for $MCUNET_TASK on $MCUNET_BOARD"),
                          MCUNET_CTX=ctx, MCUNET_TASK=ctx.task.name, MCUNET_BOARD=ctx.board.name)
    env.Depends(targets, code_dependencies(env, "nas", "train", "arch", "pipeline", "engine",
                                           "engine/kernel_costs.json", "sram.py"))
    env.Precious(out.File("supernet.pt"))  # the checkpoint to resume from: not deleted before the action
    return targets


def generate(env):
    env.AddMethod(nas, "McunetNas")


def exists(env):
    return True
