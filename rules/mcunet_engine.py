"""SCons tool: plan memory and generate C for the selected board (TinyEngine).

``env.McunetEngine(ctx, sources)`` takes the IR (graph.json, weights.npz) and returns the
generated sources under ``<build_dir>/gen/`` (model.c, weights.c, headers, build.json), the
plan (plan.json, memory.png; with its patch stage when the model runs one), the model's I/O
(io.json; a detection task's network is followed by its decode + NMS in C, whose record
is the last output), the budget it was compiled for (budget.json: ``ctx.budget``, the one the search
measured under, else the board's) and with the patch policy ``ctx.patch`` (in a task's
pipeline, the schedule the search recorded in its model spec), a seeded
random ``input.npz`` (one array per model input; a detection task's first validation
image) for the default run, and the kernel
library (every ``firmware/kernels/**/*.c`` plus headers). The firmware stage compiles each
kernel to its own object and links with --gc-sections, so an edit of one kernel rebuilds
that object and the link only; the run repeats only if the ELF's bytes changed.
"""

from __future__ import annotations

from pathlib import Path

from SCons.Action import Action

from mcunet_core.errors import UserError, print_user_error
from mcunet_core.paths import KERNEL_DIR
from mcunet_import import code_dependencies
from mcunet_stages import HARNESS_PREFIX

GENERATED = ("model.c", "weights.c", "model.h", "model_weights.h", "mcunet_model_config.h",
             "build.json", "io.json", "plan.json", "memory.png", "budget.json")
INPUT_SEED = 20240601


def _generate(target, source, env):
    import json

    from mcunet_core.atomic import atomic_write_bytes, atomic_write_text
    from mcunet_core import engine
    from mcunet_core.ir.model_io import ModelIO
    from mcunet_core.ir.serialize import load_graph, npz_bytes

    from mcunet_core.nas.constraints import deployment_target
    from mcunet_core.pipeline.tasks import task_kind

    ctx = env["MCUNET_CTX"]
    try:
        graph = load_graph(Path(str(source[0])).parent)
        out = Path(str(target[0])).parent
        target_ = deployment_target(ctx.board, ctx.budget.limits, patch_policy(ctx, source),
                                    input_placement(ctx, source))
        kind = task_kind(ctx.task)  # a detector's decode + NMS runs after the network
        model = engine.generate(graph, target_, out, prefix=ctx.prefix, postprocess=kind.postprocess(graph))
        if model.patch is not None:
            print(f"{ctx.name}: {engine.patch_summary(model.patch)}")
        atomic_write_text(out / "budget.json", json.dumps(ctx.budget.to_json(), indent=1) + "\n")
        io = ModelIO.of_graph(graph)
        inputs = kind.sample_inputs(graph) or io.default_inputs(INPUT_SEED)
        arrays = {t.name: a for t, a in zip(io.inputs, inputs)}
        atomic_write_bytes(out / "input.npz", npz_bytes(arrays))
    except UserError as err:
        return print_user_error(err)
    return 0


def patch_policy(ctx, source):
    """``ctx.patch``'s policy; in a task's pipeline the schedule the search's model spec records
    (``nas-<task>-<board>.yaml``, a source: what its measurements used)."""
    from mcunet_core import engine
    from mcunet_core.spec import load_model

    if not (ctx.patch and ctx.patch.searched):
        return ctx.patch.policy if ctx.patch else engine.PatchPolicy("off")
    spec = next(Path(str(s)) for s in source if Path(str(s)).name.startswith("nas-") and str(s).endswith(".yaml"))
    recorded = load_model(spec).patch
    return engine.PatchPolicy.parse("off" if recorded is None else recorded, f"{spec}: patch")


def input_placement(ctx, source):
    """``ctx.input_placement``; in a task's pipeline the one the search's model spec records
    (absent: the arena), what its measurements used (the same as the search spec's)."""
    from mcunet_core import engine
    from mcunet_core.spec import load_model

    if not (ctx.patch and ctx.patch.searched):
        return ctx.input_placement
    spec = next(Path(str(s)) for s in source if Path(str(s)).name.startswith("nas-") and str(s).endswith(".yaml"))
    return engine.InputPlacement.parse(load_model(spec).input_placement, f"{spec}: input_placement")


def input_signature(ctx) -> str:
    """What a stage's signature gains from ``ctx.input_placement``: nothing for the arena (the
    signature it always had), `` input_placement=external`` otherwise."""
    placement = ctx.input_placement
    return f" input_placement={placement}" if placement is not None and placement.external else ""


def patch_sources(ctx) -> list:
    """The search's model spec in a task's pipeline: the schedule it recorded is compiled."""
    if ctx.patch is None or not ctx.patch.searched:
        return []
    from mcunet_core.pipeline.search import model_name

    return [ctx.build_dir.Dir("nas").File(f"{model_name(ctx.task, ctx.board)}.yaml")]


def postprocess_sources(env, ctx) -> list:
    """A detection task's spec (the decode's anchors and thresholds) and data (the default
    run's input is its first validation image)."""
    if ctx.task is None or "detection" not in ctx.task.raw:
        return []
    from mcunet_stages import data_sources

    return [env.File(str(ctx.task.source_file))] + data_sources(env, ctx)


def engine_postprocess_source() -> str:
    from mcunet_core import engine

    return engine.POSTPROCESS_SOURCE


def kernel_library(env) -> list:
    files = sorted(KERNEL_DIR.rglob("*.c")) + sorted(KERNEL_DIR.rglob("*.h"))
    return [env.File(str(p)) for p in files]


def engine_dependencies(env) -> list:
    """What generated C depends on besides the IR and the target: the engine's code and its
    templates (SCons hashes only an action's own code). The export stage generates too."""
    templates = sorted((KERNEL_DIR.parents[1] / "mcunet_core/engine").rglob("*.j2"))
    return (code_dependencies(env, "engine", "ir", "quant", "paths.py", "nas/constraints.py")
            + [env.File(str(p)) for p in templates])


def engine(env, ctx, sources):
    out = ctx.build_dir.Dir("gen")
    signature = f"{ctx.board.name} {ctx.board.raw} {ctx.budget.to_json()}"
    if ctx.prefix != HARNESS_PREFIX:  # the harness's prefix keeps the signature it always had
        signature += f" prefix={ctx.prefix}"
    signature += ctx.patch.signature() if ctx.patch is not None else ""
    signature += input_signature(ctx)
    sources = list(sources) + patch_sources(ctx) + postprocess_sources(env, ctx)
    eenv = env.Clone(MCUNET_CTX=ctx, MCUNET_TARGET_SIG=signature)
    post = [engine_postprocess_source()] if postprocess_sources(env, ctx) else []  # a detector's decode + NMS
    targets = eenv.Command([out.File(n) for n in (*GENERATED, *post)] + [out.File("input.npz")], list(sources),
                           Action(_generate, "Generating C for $SOURCE", varlist=["MCUNET_TARGET_SIG"]))
    eenv.Depends(targets, engine_dependencies(env))
    if postprocess_sources(env, ctx):  # the decode's parameters, the default input's image
        eenv.Depends(targets, code_dependencies(env, "detect", "pipeline/tasks.py"))
    return list(targets) + kernel_library(env)


def generate(env):
    env.AddMethod(engine, "McunetEngine")


def exists(env):
    return True
