"""Graph -> generated C: the one entry point SCons, benchmarks and tests share."""

from __future__ import annotations

from pathlib import Path

from ..atomic import atomic_write_text
from ..device.model_io import ModelIO
from ..ir import Graph
from .codegen.render import GeneratedModel, render
from .lowering import lower_and_plan
from .planner.plot import plot_memory
from .target import Target


def compile_graph(graph: Graph, target: Target) -> GeneratedModel:
    """Lower every op, plan the arena, render model.c / model.h / weights.c."""
    graph.validate()
    calls, plan = lower_and_plan(graph, target)
    return render(graph, calls, plan)


def write_generated(graph: Graph, model: GeneratedModel, out_dir: str | Path, plot: bool = True) -> list[Path]:
    """Write the C files, the model's I/O description, the plan (JSON), the kernel source list
    and the memory plot."""
    out_dir = Path(out_dir)
    paths = model.write(out_dir)
    ModelIO.of_graph(graph).save(out_dir / "io.json")
    atomic_write_text(out_dir / "plan.json", model.plan.to_json())
    atomic_write_text(out_dir / "kernel_sources.txt", "".join(f"{s}\n" for s in model.kernel_sources))
    paths += [out_dir / "io.json", out_dir / "plan.json", out_dir / "kernel_sources.txt"]
    if plot:
        labels = [f"{i}:{op.OPCODE}" for i, op in enumerate(graph.ops)]
        plot_memory(model.plan, labels, out_dir / "memory.png")
        paths.append(out_dir / "memory.png")
    return paths
