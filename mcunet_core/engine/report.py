"""The short human report of one build + run: what it costs and where the bytes go."""

from __future__ import annotations

import json
from pathlib import Path

from ..ir import Graph
from ..ir.stats import graph_stats
from .patch.describe import summary as patch_summary


def _kib(n) -> str:
    return "-" if n is None else f"{n:,} B ({n / 1024:.1f} KiB)"


def _share(used, limit, unit: str = "B") -> str:
    if used is None or limit is None:
        return "-"
    fmt = {"ms": lambda v: f"{v:,.2f} ms", "MACs": lambda v: f"{v:,} MACs"}.get(unit, lambda v: f"{v:,} B")
    return f"{fmt(used)} of {fmt(limit)} ({100 * used / limit:.1f} %)"


def budget_lines(result: dict, budget: dict, macs: int | None = None) -> list[str]:
    """How much of the budget the model was compiled for (``gen/budget.json``) the run used
    (``macs``: the network's, as the search counted them, against its compute limit)."""
    line = (f"- budget ({budget['source']}): SRAM {_share(result.get('peak_sram_bytes'), budget['sram'])}, "
            f"flash {_share(result.get('flash_bytes'), budget['flash'])}, latency "
            + (_share(result.get('latency_ms'), budget['latency_ms'], 'ms') if budget.get("latency_ms") else "no limit"))
    if budget.get("macs"):
        line += f", compute {_share(macs, budget['macs'], 'MACs')}"
    return [line]


def _block(b) -> str:
    return f"rows {b[0]}-{b[1] - 1}, cols {b[2]}-{b[3] - 1}"


def patch_lines(stage: dict) -> list[str]:
    """The patch stage of ``plan.json``: how it was chosen, then one row per patch."""
    lines = [f"- patches: {patch_summary(stage)}"]
    if not stage.get("patches"):
        return lines
    out, split = stage["assembled_output"], stage["schedule"]["split"]
    lines += [
        "",
        "## Patch stage",
        "",
        f"Ops 0-{split - 1} run once per patch ({len(stage['patches'])} patches), each on the block of the input "
        f"its receptive field needs (halo recomputed); each patch's output is pasted in place into the assembled "
        f"`{out['name']}` ({'x'.join(map(str, out['shape']))}, {out['bytes']:,} B at {out['pool']} offset "
        f"{out['offset']:,}), which op {split} on reads. Op indices are the unrolled graph's (plan.json, memory.png).",
        "",
        "| patch | unrolled ops | output block | input block | buffers | their bytes | arena in use |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in stage["patches"]:
        lines.append(f"| {p['index']} | {p['ops'][0]}-{p['ops'][1]} | {_block(p['output_block'])} | "
                     f"{_block(p['input_block'])} | {len(p['buffers'])} | {p['buffer_bytes']:,} | {p['peak_bytes']:,} |")
    return lines


def input_lines(plan: dict) -> list[str]:
    """The inputs held outside the arena (``plan.json``'s ``external``), not in peak SRAM."""
    inputs = [e for e in plan.get("external", ()) if e["name"] == e["input"]]
    return [f"- input `{e['name']}`: outside the arena (input_placement: external), {e['bytes']:,} B in the "
            f"application's buffer, read in place; not in peak SRAM" for e in inputs]


def metric_lines(metrics: dict) -> list[str]:
    """The training's figures: accuracy, or a detector's mAP (metrics.json's ``metric``)."""
    if "metric" not in metrics:
        return [f"- accuracy on {metrics['val_samples']} validation samples of {metrics['task']}: "
                f"float {metrics['float_accuracy']:.3f}, int8 {metrics['int8_accuracy']:.3f} "
                f"(the int8 figure is the reference interpreter's, bit-exact with the firmware)"]
    at = metrics["scored_at"]
    return [f"- {metrics['metric']} on {metrics['val_samples']} validation images of {metrics['task']}: "
            f"float {metrics['float_map']:.3f}, int8 {metrics['int8_map']:.3f}; mAP@0.5 float "
            f"{metrics['float_map50']:.3f}, int8 **{metrics['int8_map50']:.3f}** (the int8 figures are the reference "
            f"interpreter's heads, bit-exact with the firmware's, through the integer decode + NMS it runs: score >= "
            f"{at['score_threshold']}, IoU {at['iou_threshold']}, at most {at['max_detections']} boxes)"]


def postprocess_lines(result: dict, count_key: str, detections: dict | None) -> list[str]:
    """A detector's post-processing, counted apart from the network, and its boxes checked."""
    post = result.get(f"postprocess_{count_key}")
    lines = [] if post is None else [
        f"- post-processing (decode + NMS, after the network): {post:,} {count_key}, apart from the network's; "
        f"its buffers are in the arena (peak SRAM counts both)"]
    if detections is not None:
        lines.append(f"- boxes on the run's input: {len(detections['boxes'])} from the firmware, "
                     f"{'equal to' if detections['boxes_equal'] else '**not** equal to'} the host decode's "
                     f"({len(detections['host_boxes'])}) bit for bit (detections.json)")
    return lines


def render_report(graph: Graph, result: dict, plan: dict, metrics: dict | None = None,
                  budget: dict | None = None, detections: dict | None = None) -> str:
    """Markdown: the headline figures (the share of the budget it was compiled for, the
    training's accuracy or mAP when it was trained here, a detector's post-processing and its
    boxes against the host's), then one row per op with its arena placement, and the patch
    stage when the model runs one."""
    stats = graph_stats(graph)
    count_key = "cycles" if "cycles" in result else "instructions"
    count = result.get(count_key)
    offsets = {b["name"]: b for b in plan["buffers"]}
    stage = plan.get("patch")
    per_patch = stage["schedule"]["split"] if stage and stage.get("patches") else 0
    lines = [
        f"# {graph.name} on {result['board']} ({result['runner']})",
        "",
        f"- status: **{result['status']}**" + (f" ({result['message']})" if result.get("message") else ""),
        (f"- {count_key} per inference: {count:,}" + (" (the network)" if f"postprocess_{count_key}" in result else ""))
        if count is not None else f"- {count_key}: -",
        *postprocess_lines(result, count_key, detections),
        f"- MACs: {stats.total_macs:,}" + (f" ({stats.total_macs / count:.2f} MAC per {count_key[:-1]})" if count else ""),
        f"- latency: {result['latency_ms']:.2f} ms at {result['clock_hz'] / 1e6:.0f} MHz ({result['latency_basis']})"
        if result.get("latency_ms") is not None else "- latency: -",
        f"- peak SRAM: {_kib(result.get('peak_sram_bytes'))} = arena {result['arena_bytes']:,} B + stack high-water "
        f"{result.get('stack_bytes') or 0:,} B + other static RAM",
        *input_lines(plan),
        f"- flash: {_kib(result['flash_bytes'])} (code + constants)",
        f"- memory plan: arena {plan['arena_bytes']:,} B vs {plan['no_reuse_bytes']:,} B without reuse "
        f"(strategy {plan['strategy']})",
        f"- output: {result.get('output')}",
        *(budget_lines(result, budget, (metrics or {}).get("macs", stats.total_macs)) if budget else []),
        *(metric_lines(metrics) if metrics else []),
        *(patch_lines(stage)[:1] if stage else []),
        "",
        "| op | type | output shape | MACs | output at | bytes |",
        "|---|---|---|---|---|---|",
    ]
    for st in stats.ops:
        out_name = graph.ops[st.index].outputs[0]
        buf = offsets.get(out_name)
        where = f"{buf['offset']:,}" if buf else ("per patch" if st.index < per_patch else "-")
        size = f"{buf['size']:,}" if buf else "-"
        lines.append(f"| {st.index} | {st.opcode} | {'x'.join(map(str, st.output_shapes[0]))} | {st.macs:,} | {where} | {size} |")
    if stage:
        lines += patch_lines(stage)[1:]
    return "\n".join(lines) + "\n"


def write_report(graph: Graph, result_path: str | Path, plan_path: str | Path, out_path: str | Path,
                 metrics_path: str | Path | None = None, budget_path: str | Path | None = None,
                 detections: dict | None = None) -> None:
    from ..atomic import atomic_write_text

    def read(path):
        return json.loads(Path(path).read_text(encoding="utf-8")) if path else None

    atomic_write_text(out_path, render_report(graph, read(result_path), read(plan_path), read(metrics_path),
                                              read(budget_path), detections))
