"""SCons tool: the short report of a run, ``report.md`` beside ``result.json``.

``env.McunetReport(ctx, sources)`` reads result.json (from the run stage), the memory plan,
the budget the model was compiled for, (and, for a network trained here, its accuracies) of ``ctx.build_dir`` and writes
``report.md`` there.
"""

from __future__ import annotations

from SCons.Action import Action

from mcunet_import import code_dependencies
from mcunet_paths import run_dir


def _report(target, source, env):
    from mcunet_core.engine import write_report
    from mcunet_core.ir.serialize import load_graph
    from pathlib import Path

    result, plan, budget, graph_json = (str(s) for s in source[:4])
    metrics = str(source[4]) if len(source) > 4 else None
    write_report(load_graph(Path(graph_json).parent), result, plan, str(target[0]), metrics, budget)
    return 0


def report(env, ctx, sources):
    result = next(s for s in sources if str(s).endswith("result.json"))
    srcs = [result, ctx.build_dir.File("gen/plan.json"), ctx.build_dir.File("gen/budget.json"),
            ctx.build_dir.File("ir/graph.json")]
    if "train" in ctx.chain:
        srcs.append(ctx.build_dir.File("train/metrics.json"))
    targets = env.Command(run_dir(ctx).File("report.md"), srcs, Action(_report, "Writing $TARGET"))
    env.Depends(targets, code_dependencies(env, "engine/report.py"))
    return list(sources) + list(targets)


def generate(env):
    env.AddMethod(report, "McunetReport")


def exists(env):
    return True
