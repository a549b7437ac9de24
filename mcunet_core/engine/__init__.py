"""The engine (TinyEngine): int8 graph -> kernels, one static arena, generated C.

This module is the engine's one front door: the NAS, the SCons rules, the report and the
benchmarks use only what it exports. The pieces behind it:

- ``decisions``: whole-graph choices made once per (graph, target): live activation bytes,
  depthwise layouts, weight formats under the flash budget;
- ``kernels``: one class per specialisation (C function, scratch = its C
  ``_get_buffer_size()`` twin, memory rule, constants, latency family and work counts);
- ``lowering``: one pass over the graph with those decisions (``lower() -> Lowered``);
- ``patch``: patch-based inference (the first ops run per spatial patch; the schedule chosen
  by exact search, ``target.patch``);
- ``planner``: lifetimes + memory rules -> the arena layout and its exact bytes;
- ``postprocess``: detection post-processing after the network (YOLO decode + NMS in C,
  bit for bit ``mcunet_core.detect.Decoder``), planned in the same arena;
- ``cost_model``: predicted instructions and the firmware's own RAM and code, fitted on the
  emulator (``kernel_costs.json``);
- ``compile``: the generated folder (C, ``build.json``, ``io.json``, ``plan.json``), which the
  device layer builds and runs.

Peak SRAM is computed in one place: ``Lowered.footprint().peak_sram`` = the planned arena +
the firmware's measured static RAM and stack, added up by ``mcunet_core.sram`` (the same
function a run's measured figure goes through).
"""

from __future__ import annotations

import dataclasses

from ..ir import Graph
from .codegen.render import DEFAULT_PREFIX, GeneratedModel, check_prefix
from .compile import compile_graph, generate, write_generated
from .cost_fit import fit_families, fit_nonnegative, object_code_bytes
from .cost_model import (
    COSTS_PATH,
    CodeSize,
    FirmwareCosts,
    LatencyModel,
    NoCostModel,
    OpWork,
    costs_doc,
    default_latency_model,
    latency_ms,
)
from .decisions import CODE_RESERVE_BYTES, GraphDecisions, decide, live_activation_bytes
from .kernels import kernel_names, specialised_kernel_names, supported_op_types
from .kernels.base import KernelPlan
from .kernels.depthwise import W4_WIDEN_COST_PER_WORD, W8_WIDEN_COST_PER_WORD, w4_widen_cost, widened_layer_words
from .inputs import InputPlacement
from .lowering import Footprint, Lowered, kernel_plans, lower, peak_memory, plan_memory
from .patch.describe import summary as patch_summary
from .patch.schedule import PatchPolicy, PatchSchedule
from .patch.search import Candidate as PatchCandidate
from .patch.search import search as search_patches
from .planner.memory_plan import MemoryPlan
from .planner.pools import Pool
from .postprocess import SOURCE as POSTPROCESS_SOURCE
from .postprocess import PostprocessCounts, YoloPostprocess
from .report import render_report, write_report
from .target import HOST, Target


def restricted(target: Target, *, generic_only: bool = False, disable=()) -> Target:
    """``target`` with kernels taken away: ``generic_only`` leaves each op its plain-C
    fallback; ``disable`` names kernel classes (``kernel_names()``)."""
    names = set(disable)
    unknown = sorted(names - set(kernel_names()))
    if unknown:
        raise ValueError(f"unknown kernels {unknown}; kernels: {', '.join(kernel_names())}")
    if generic_only:
        names |= set(specialised_kernel_names())
    return dataclasses.replace(target, disabled_kernels=target.disabled_kernels | frozenset(names))


def lower_bounds(graph: Graph, input_placement: InputPlacement = InputPlacement()) -> tuple[int, int]:
    """(arena, constant bytes) no kernel choice can go below: the live activations at the
    busiest op with each output over its dying input (inputs held ``external`` not counted:
    the arena does not hold them), and the graph's own constants (kernels only reorder, widen
    or add to them). Cheap: no planning, no lowering."""
    external = frozenset(graph.inputs) if input_placement.external else frozenset()
    arena = max(live_activation_bytes(graph, external), default=0)
    constants = sum(t.nbytes for t in graph.tensors.values() if t.is_constant)
    return arena, constants


__all__ = [
    "CODE_RESERVE_BYTES", "COSTS_PATH", "DEFAULT_PREFIX", "CodeSize", "FirmwareCosts", "Footprint", "GeneratedModel", "GraphDecisions",
    "HOST", "KernelPlan", "LatencyModel", "Lowered", "MemoryPlan", "NoCostModel", "OpWork", "Pool", "Target",
    "check_prefix", "compile_graph", "costs_doc", "decide", "default_latency_model", "fit_families", "generate", "kernel_names",
    "fit_nonnegative", "kernel_plans", "latency_ms", "lower", "lower_bounds", "object_code_bytes", "peak_memory", "plan_memory",
    "render_report", "restricted", "specialised_kernel_names", "supported_op_types", "write_generated",
    "write_report", "POSTPROCESS_SOURCE", "PostprocessCounts", "YoloPostprocess",
    "InputPlacement", "PatchCandidate", "PatchPolicy", "PatchSchedule", "patch_summary", "search_patches",
    "W4_WIDEN_COST_PER_WORD", "W8_WIDEN_COST_PER_WORD", "w4_widen_cost", "widened_layer_words",
]
