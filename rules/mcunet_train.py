"""SCons tool: train a network for the task, quantize it to int8 and export the IR.

``env.McunetTrain(ctx, sources)``: the network is the NAS's model spec (fine-tuned from
its supernet weights ``subnet.pt``) when the sources carry them, else the architecture of
``model=<spec>``. Writes ``<build_dir>/train/{model.pt, metrics.json}`` (float and int8
accuracy) and ``<build_dir>/ir/{graph.json, weights.npz}`` for the engine. The work is
mcunet_core.pipeline.train.
"""

from __future__ import annotations

from pathlib import Path

from SCons.Action import Action

from mcunet_core.errors import UserError, print_user_error
from mcunet_import import code_dependencies
from mcunet_stages import data_sources


def _train(target, source, env):
    from mcunet_core.pipeline.resume import inputs_digest, keep_checkpoint_if_same_inputs
    from mcunet_core.pipeline.train import arch_of_model, run_training
    from mcunet_core.spec import load_model

    ctx = env["MCUNET_CTX"]
    named = {Path(str(s)).name: Path(str(s)) for s in source}
    ir_dir, train_dir = Path(str(target[0])).parent, Path(str(target[2])).parent
    try:
        found = [p for n, p in named.items() if n.startswith("nas-") and n.endswith(".yaml")]
        spec = load_model(found[0]) if found else ctx.model
        keep_checkpoint_if_same_inputs(train_dir / "model.pt", inputs_digest(source))
        outcome = run_training(arch_of_model(spec, ctx.task), ctx.task, ctx.quant, train_dir, ir_dir,
                               init_state=named.get("subnet.pt"), training=spec.raw.get("training"))
        m = outcome.metrics
        print(f"trained {m['model']}: float accuracy {m['float_accuracy']:.3f}, int8 {m['int8_accuracy']:.3f}")
    except UserError as err:
        return print_user_error(err)
    return 0


def train(env, ctx, sources):
    # the NAS's network and weights, or the model spec; and always what sets data and settings
    found = [s for s in sources if Path(str(s)).name == "subnet.pt"
             or Path(str(s)).name.startswith("nas-") and str(s).endswith(".yaml")]
    specs = [ctx.task.source_file, ctx.quant.source_file]
    if not found:
        specs.append(ctx.model.source_file)
    srcs = found + [env.File(str(p)) for p in specs] + data_sources(env, ctx)
    targets = env.Command(
        [ctx.build_dir.File("ir/graph.json"), ctx.build_dir.File("ir/weights.npz"),
         ctx.build_dir.File("train/metrics.json"), ctx.build_dir.File("train/model.pt")],
        srcs, Action(_train, "Training $MCUNET_NAME"), MCUNET_CTX=ctx, MCUNET_NAME=ctx.name)
    env.Depends(targets, code_dependencies(env, "train", "arch", "pipeline", "ir", "quant"))
    return targets


def generate(env):
    env.AddMethod(train, "McunetTrain")


def exists(env):
    return True
