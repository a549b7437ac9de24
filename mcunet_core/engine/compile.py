"""Graph -> generated C and the files that describe it: what the engine hands the device layer.

``generate()`` writes, in one folder: ``model.c``/``weights.c`` and headers, ``build.json``
(the build description: the generated sources, the kernel sources this model links relative
to ``paths.KERNEL_DIR``, and the include folders), ``io.json`` (the model's inputs and outputs
as the firmware moves them), ``plan.json`` (with the patch stage, ``patch``, when the model
runs one) and ``memory.png``. Building and running are the
device layer's (``device.generated``, ``device.host``), which reads those files.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from ..atomic import atomic_write_text
from ..ir import Graph
from ..ir.model_io import ModelIO, TensorIO
from .codegen.render import DEFAULT_PREFIX, GeneratedModel, check_prefix, render
from .decisions import GraphDecisions
from .lowering import lower
from .patch.describe import patch_stage
from .planner.plot import plot_memory
from .postprocess import RECORD_NAME
from .postprocess import SOURCE as POSTPROCESS_SOURCE
from .target import Target

BUILD_DESCRIPTION = "build.json"
GENERATED_SOURCES = ("model.c", "weights.c")


def compile_graph(graph: Graph, target: Target, decisions: GraphDecisions | None = None, *,
                  prefix: str = DEFAULT_PREFIX, postprocess=None, unroll_patches: bool = False) -> GeneratedModel:
    """Lower every op, plan the arena, render model.c / model.h / weights.c (in memory).
    ``prefix`` starts the C names the model exports (``vww_invoke``, ``VWW_NUM_INPUTS``); the
    default keeps the harness's ``mcunet_*`` names. A bad prefix fails before the lowering.
    ``postprocess`` (``engine.postprocess.YoloPostprocess``) adds the detection
    post-processing (``postprocess.c``) after the network, in the same arena. A patch stage
    runs as a loop over its patches (``codegen.patch_loop``); ``unroll_patches`` prints every
    patch's calls instead (the same bytes computed: benchmarks compare their code size)."""
    check_prefix(prefix)
    graph.validate()
    lowered = lower(graph, target, decisions, postprocess)
    patched = lowered.decisions.patched
    model = render(graph, lowered.calls, lowered.plan, prefix, postprocess,
                   patch_of=None if patched is None or unroll_patches else patched.patch)
    return dataclasses.replace(model, op_labels=op_labels(lowered), patch=patch_stage(lowered),
                               postprocess=postprocess)


def op_labels(lowered) -> list[str]:
    """``<index>:<opcode>`` per op of the lowered graph, ``p<k>`` after the ops of patch k."""
    patch = lowered.decisions.patched.patch if lowered.decisions.patched else [None] * len(lowered.graph.ops)
    return [f"{i}:{op.OPCODE}" + ("" if k is None else f" p{k}") for i, (op, k) in enumerate(zip(lowered.graph.ops, patch))]


def plan_json(model: GeneratedModel) -> str:
    """The memory plan, with the patch stage under ``patch`` when the model has one."""
    text = model.plan.to_json()
    if model.patch is None:
        return text
    return json.dumps({**json.loads(text), "patch": model.patch}, indent=1, sort_keys=True) + "\n"


def build_description(model: GeneratedModel) -> str:
    """``build.json``: what to compile, relative to the generated folder and the kernel library."""
    sources = [*GENERATED_SOURCES, *([POSTPROCESS_SOURCE] if model.postprocess is not None else [])]
    doc = {"sources": sources, "kernel_sources": list(model.kernel_sources),
           "include_dirs": ["."], "kernel_include_dirs": ["include"]}
    return json.dumps(doc, indent=1) + "\n"


def model_io(graph: Graph, model: GeneratedModel) -> ModelIO:
    """The graph's inputs and outputs; with post-processing, its int32 detection record last
    (the firmware returns it after the network's outputs)."""
    io = ModelIO.of_graph(graph)
    if model.postprocess is None:
        return io
    record = TensorIO(RECORD_NAME, "int32", (model.postprocess.record_bytes // 4,))
    return dataclasses.replace(io, outputs=(*io.outputs, record))


def write_generated(graph: Graph, model: GeneratedModel, out_dir: str | Path, plot: bool = True) -> list[Path]:
    """Write the C files, the build description, the model's I/O, the plan (JSON) and the plot."""
    out_dir = Path(out_dir)
    paths = model.write(out_dir)
    atomic_write_text(out_dir / BUILD_DESCRIPTION, build_description(model))
    model_io(graph, model).save(out_dir / "io.json")
    atomic_write_text(out_dir / "plan.json", plan_json(model))
    paths += [out_dir / BUILD_DESCRIPTION, out_dir / "io.json", out_dir / "plan.json"]
    if plot:
        labels = model.op_labels or [f"{i}:{op.OPCODE}" for i, op in enumerate(graph.ops)]
        plot_memory(model.plan, labels, out_dir / "memory.png", patch=model.patch)
        paths.append(out_dir / "memory.png")
    return paths


def generate(graph: Graph, target: Target, out_dir: str | Path, *, plot: bool = True,
             decisions: GraphDecisions | None = None, prefix: str = DEFAULT_PREFIX,
             postprocess=None, unroll_patches: bool = False) -> GeneratedModel:
    """``compile_graph`` then ``write_generated``: the generated folder, complete."""
    model = compile_graph(graph, target, decisions, prefix=prefix, postprocess=postprocess,
                          unroll_patches=unroll_patches)
    write_generated(graph, model, out_dir, plot=plot)
    return model
