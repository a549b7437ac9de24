"""SCons tool: train a network for the task, quantize it to int8 and export the IR.

``env.McunetTrain(ctx, sources)``: the network is the NAS's model spec (fine-tuned from
its supernet weights ``subnet.pt``) when the sources carry them, else the architecture of
``model=<spec>``. Writes ``<build_dir>/train/{model.pt, metrics.json}`` (float and int8
accuracy) and ``<build_dir>/ir/{graph.json, weights.npz}`` for the engine. The work is
mcunet_core.pipeline.train.

train/model.pt is also the training's checkpoint (every epoch): SCons keeps it (Precious), and
an interrupted training resumes from it unless anything the stage depends on changed.
"""

from __future__ import annotations

from pathlib import Path

from SCons.Action import Action

from mcunet_import import code_dependencies
from mcunet_stages import compute_sources, data_sources


def _train(target, source, env):
    from mcunet_core.pipeline.launch import compute_args, run_stage
    from mcunet_core.pipeline.resume import inputs_digest, keep_checkpoint_if_same_inputs

    ctx = env["MCUNET_CTX"]
    named = {Path(str(s)).name: Path(str(s)) for s in source}
    ir_dir, train_dir = Path(str(target[0])).parent, Path(str(target[2])).parent
    found = [p for n, p in named.items() if n.startswith("nas-") and n.endswith(".yaml")]
    model = found[0] if found else ctx.model.source_file
    init = ["--init", str(named["subnet.pt"])] if "subnet.pt" in named else []
    keep_checkpoint_if_same_inputs(train_dir / "model.pt", inputs_digest(target[0].children()))
    return run_stage(["train", "--model", str(model), "--task", str(ctx.task.source_file), "--quant",
                      str(ctx.quant.source_file), "--out", str(train_dir), "--ir", str(ir_dir), *init,
                      *compute_args(ctx.compute)], ctx.launch)


def train(env, ctx, sources):
    # the NAS's network and weights, or the model spec; and always what sets data and settings
    found = [s for s in sources if Path(str(s)).name == "subnet.pt"
             or Path(str(s)).name.startswith("nas-") and str(s).endswith(".yaml")]
    specs = [ctx.task.source_file, ctx.quant.source_file]
    if not found:
        specs.append(ctx.model.source_file)
    srcs = found + [env.File(str(p)) for p in specs] + data_sources(env, ctx) + compute_sources(env, ctx)
    targets = env.Command(
        [ctx.build_dir.File("ir/graph.json"), ctx.build_dir.File("ir/weights.npz"),
         ctx.build_dir.File("train/metrics.json"), ctx.build_dir.File("train/model.pt")],
        srcs, Action(_train, "Training $MCUNET_NAME"), MCUNET_CTX=ctx, MCUNET_NAME=ctx.name)
    env.Depends(targets, code_dependencies(env, "train", "arch", "pipeline", "ir", "quant"))
    env.Precious(ctx.build_dir.File("train/model.pt"))  # the checkpoint to resume from
    return targets


def generate(env):
    env.AddMethod(train, "McunetTrain")


def exists(env):
    return True
