"""SCons tool: the short report of a run, ``report.md`` beside ``result.json``.

``env.McunetReport(ctx, sources)`` reads result.json (from the run stage), the memory plan,
the budget the model was compiled for, (and, for a network trained here, its accuracies) of ``ctx.build_dir`` and writes
``report.md`` there; for a detection task also ``detections.json``: the firmware's boxes on the
run's input against the host decode's (the build fails where they differ).
"""

from __future__ import annotations

from pathlib import Path

from SCons.Action import Action

from mcunet_import import code_dependencies
from mcunet_paths import run_dir


def _report(target, source, env):
    from mcunet_core.engine import write_report
    from mcunet_core.ir.serialize import load_graph

    result, plan, budget, graph_json = (str(s) for s in source[:4])
    metrics = str(source[4]) if "train" in env["MCUNET_CTX"].chain else None
    graph = load_graph(Path(graph_json).parent)
    checked = _device_check(env["MCUNET_CTX"], graph, Path(result), target[1:])
    write_report(graph, result, plan, str(target[0]), metrics, budget, checked)
    if checked is not None and not (checked["boxes_equal"] and checked["heads_equal"]):
        print(f"{target[1]}: the firmware's detections differ from the host decode's on the same input "
              f"({len(checked['boxes'])} boxes against {len(checked['host_boxes'])})")
        return 1
    return 0


def _device_check(ctx, graph, result_path, targets):
    """A detection task's check (``pipeline.tasks``): the firmware's boxes against the host
    decode of the reference interpreter's heads on the run's input, written to
    detections.json; None for other tasks."""
    import json

    import numpy as np

    from mcunet_core.atomic import atomic_write_text
    from mcunet_core.ir.model_io import ModelIO
    from mcunet_core.pipeline.tasks import task_kind

    if not targets:
        return None
    gen = Path(ctx.build_dir.Dir("gen").abspath)
    io = ModelIO.load(gen / "io.json")
    path = Path(ctx.input or gen / "input.npz")
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as z:
            inputs = [z[n] if n in z.files else z[z.files[i]] for i, n in enumerate(graph.inputs)]
    else:
        inputs = [np.load(path, allow_pickle=False)]
    inputs = [np.asarray(a).reshape(graph.tensors[n].shape) for a, n in zip(inputs, graph.inputs)]
    outputs = [np.load(result_path.with_name("output.npy" if i == 0 else f"output_{i}.npy"))
               for i in range(len(io.outputs))]
    checked = task_kind(ctx.task).device_check(graph, inputs, outputs)
    atomic_write_text(str(targets[0]), json.dumps(checked, indent=1) + "\n")
    return checked


def report(env, ctx, sources):
    from mcunet_core.pipeline.tasks import task_kind

    result = next(s for s in sources if str(s).endswith("result.json"))
    srcs = [result, ctx.build_dir.File("gen/plan.json"), ctx.build_dir.File("gen/budget.json"),
            ctx.build_dir.File("ir/graph.json")]
    if "train" in ctx.chain:
        srcs.append(ctx.build_dir.File("train/metrics.json"))
    outs = [run_dir(ctx).File("report.md")]
    outs += [run_dir(ctx).File(name) for name in task_kind(ctx.task).checked_files]
    targets = env.Command(outs, srcs, Action(_report, "Writing $TARGET"), MCUNET_CTX=ctx)
    env.Depends(targets, code_dependencies(env, "engine/report.py"))
    return list(sources) + list(targets)


def generate(env):
    env.AddMethod(report, "McunetReport")


def exists(env):
    return True
