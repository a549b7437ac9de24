"""The patch stage of a lowered model as data: the schedule and how it was chosen, each patch's
ops, blocks and buffers, the assembled stage output and the extra instructions. ``plan.json``
carries it as ``patch``; ``memory.png`` and ``report.md`` draw from it."""

from __future__ import annotations

from ...ir.ops import Paste, Slice
from ..cost_model import NoCostModel
from .regions import grid_boxes


def _instructions(lowered) -> int | None:
    try:
        return lowered.instructions()
    except NoCostModel:
        return None


def _box(box) -> list[int]:
    return [box.y0, box.y1, box.x0, box.x1]


def patch_stage(lowered) -> dict | None:
    """``lowered``'s patch stage (None: patches off). Blocks are ``[y0, y1, x0, x1]`` of the
    stage output (``output_block``) and of the model input (``input_block``, halo included);
    ``ops`` the first and last op of the patch in the unrolled graph (plan.json's op indices);
    ``peak_bytes`` the arena in use while the patch runs."""
    d = lowered.decisions
    choice = d.patch_choice
    if choice is None:
        return None
    doc = {**choice.to_json(), "schedule": choice.schedule.to_json() if choice.schedule else None}
    u = d.patched
    if u is None:
        return doc
    plan, g = lowered.plan, u.graph
    out = g.tensors[u.stage_output]
    extents = plan.live_bytes_per_op(len(g.ops))
    sizes = {b.name: b.size for b in plan.buffers}
    assembled = {op.outputs[0] for op in g.ops if isinstance(op, Paste)}  # the canvases, in place
    boxes = grid_boxes(out.shape[1:3], u.schedule.grid)
    patches = []
    for k, box in enumerate(boxes):
        ops = [i for i, p in enumerate(u.patch) if p == k]
        first = g.ops[ops[0]]
        block = g.tensors[first.outputs[0]].shape
        y0, x0 = (first.begin[1], first.begin[2]) if isinstance(first, Slice) else (0, 0)
        mine = [b.name for b in sorted(plan.buffers, key=lambda b: b.first)
                if b.first in ops and b.name not in assembled]
        patches.append({"index": k, "ops": [ops[0], ops[-1]], "output_block": _box(box),
                        "input_block": [y0, y0 + block[1], x0, x0 + block[2]],
                        "buffers": [{"name": n, "bytes": sizes[n]} for n in mine],
                        "buffer_bytes": sum(sizes[n] for n in mine),
                        "peak_bytes": max(extents[i] for i in ops)})
    instructions = _instructions(lowered)
    whole = choice.whole.instructions if choice.whole else None
    doc.update({
        "stage_ops": [0, u.schedule.split - 1],
        "assembled_output": {"name": u.stage_output, "shape": list(out.shape), "bytes": out.nbytes,
                             "pool": plan.pool_of(u.stage_output), "offset": plan.offset_of(u.stage_output)},
        "arena_bytes": plan.arena_bytes,
        "instructions": instructions,
        "extra_instructions": None if not (instructions and whole) else round(instructions / whole - 1, 4),
        "patches": patches,
    })
    return doc


def summary(stage: dict) -> str:
    """One line: the policy, the schedule chosen and its cost against whole tensors."""
    whole, schedule = stage.get("whole"), stage.get("schedule")
    policy = stage["policy"]
    head = (f"patch {policy} (cap {stage['cap']:.0%})" if policy == "auto"
            else f"patch {schedule['split']}:{schedule['patches'][0]}x{schedule['patches'][1]} (fixed)")
    if not schedule:
        return f"{head}: whole tensors, arena {whole['arena_bytes']:,} B (no patch schedule is lower within the cap)"
    line = (f"{head}: split {schedule['split']}, {schedule['patches'][0]}x{schedule['patches'][1]} patches, "
            f"arena {stage['arena_bytes']:,} B")
    if stage.get("extra_instructions") is not None:
        line += f", {stage['extra_instructions']:+.1%} instructions"
    if whole:
        line += f"; whole tensors {whole['arena_bytes']:,} B" + ("" if whole["fits"] else " (do not fit the RAM)")
    if stage.get("relaxed"):
        line += f"; over the {stage['cap']:.0%} cap: nothing under it fits"
    return line
