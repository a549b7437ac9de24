"""A patch schedule as a plain graph: per patch, SLICE the input block its receptive field
needs, run the stage's ops on patch-sized tensors (padding only at the real borders; halos
recomputed), PASTE the result into the stage output in place; then the rest of the graph.

The result is an ordinary IR graph, so the reference interpreter, the kernels, the planner
and its checker, and the code generator all take it as it is."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ...errors import UserError
from ...ir import Graph, Tensor
from ...ir.ops import Paste, Slice
from .regions import Box, grid_boxes, window_input, window_of
from .schedule import PatchSchedule
from .stage import stage_output


@dataclass
class Unrolled:
    """The patched graph, and for each of its ops the original op index (None: a SLICE or
    PASTE the schedule added) and the patch it belongs to (None: after the split)."""

    graph: Graph
    schedule: PatchSchedule
    stage_output: str
    origin: list[int | None]
    patch: list[int | None]


def _whole(t: Tensor) -> Box:
    return Box(0, t.shape[1], 0, t.shape[2])


def _needs(graph: Graph, split: int, out: str, box: Box) -> dict[str, Box]:
    """Per tensor of the stage: the block of it this patch needs (receptive field, backwards)."""
    need = {out: box}
    for op in reversed(graph.ops[:split]):
        region = need.get(op.outputs[0])
        if region is None:
            continue
        window = window_of(graph, op)
        acts = [n for n in op.inputs if n and not graph.tensors[n].is_constant]
        for name in acts:
            want = region if window is None else window_input(region, graph.tensors[name].shape[1:3], window)[0]
            need[name] = want.union(need.get(name))
    return need


class _Patch:
    """Builds one patch's ops into the unrolled graph."""

    def __init__(self, g: Graph, src: Graph, k: int, need: dict[str, Box]):
        self.g, self.src, self.k, self.need = g, src, k, need
        self.names: dict[str, str] = {}
        self.ops: list[tuple] = []  # (op, origin)

    def tensor(self, name: str, box: Box, suffix: str = "") -> str:
        t = self.src.tensors[name]
        new = f"{name}@p{self.k}{suffix}"
        self.g.add_tensor(dataclasses.replace(t, name=new, shape=(1, *box.shape, t.shape[3])))
        return new

    def operand(self, name: str, want: Box, op_index: int) -> str:
        """``name``'s patch tensor, cropped by a SLICE when it holds more than ``want``."""
        have = self.need[name]
        if have == want:
            return self.names[name]
        crop = self.tensor(name, want, f"/{op_index}")
        inner = want.within(have)
        self.ops.append((Slice((self.names[name],), (crop,), begin=(0, inner.y0, inner.x0, 0)), None))
        return crop

    def run(self, split: int, inp: str) -> None:
        self.names[inp] = self.tensor(inp, self.need[inp])
        self.ops.append((Slice((inp,), (self.names[inp],), begin=(0, self.need[inp].y0, self.need[inp].x0, 0)), None))
        for i, op in enumerate(self.src.ops[:split]):
            out = op.outputs[0]
            if out not in self.need:
                continue
            region = self.need[out]
            window = window_of(self.src, op)
            inputs, attrs = list(op.inputs), {}
            for j, name in enumerate(op.inputs):
                if not name or self.src.tensors[name].is_constant:
                    continue
                if window is None:
                    inputs[j] = self.operand(name, region, i)
                else:
                    want, attrs["padding"] = window_input(region, self.src.tensors[name].shape[1:3], window)
                    inputs[j] = self.operand(name, want, i)
            self.names[out] = self.tensor(out, region)
            self.ops.append((dataclasses.replace(op, inputs=tuple(inputs), outputs=(self.names[out],), **attrs), i))


def unroll(graph: Graph, schedule: PatchSchedule) -> Unrolled:
    """``graph`` with ops ``[0, schedule.split)`` run patch by patch (UserError when they
    cannot be: an op that is not spatially local, or more patches than output pixels)."""
    split = schedule.split
    out = stage_output(graph, split)
    if out is None:
        raise UserError(f"{graph.name}: ops 0..{split - 1} cannot run per patch (the stage must be convolutions, "
                        f"depthwise, pooling and element-wise ops from the one image input to one tensor)")
    t_out = graph.tensors[out]
    h, w = t_out.shape[1:3]
    if schedule.grid[0] > h or schedule.grid[1] > w:
        raise UserError(f"{graph.name}: {schedule.grid[0]}x{schedule.grid[1]} patches of a {h}x{w} stage output")
    inp = graph.inputs[0]
    stage = {n for op in graph.ops[:split] for n in op.outputs} - {out}
    g = Graph(graph.name, meta=dict(graph.meta))
    for name, t in graph.tensors.items():
        if name not in stage:
            g.add_tensor(t)
    g.inputs, g.outputs = list(graph.inputs), list(graph.outputs)
    origin, patch = [], []
    boxes = grid_boxes((h, w), schedule.grid)
    canvas = ""
    for k, box in enumerate(boxes):
        p = _Patch(g, graph, k, _needs(graph, split, out, box))
        p.run(split, inp)
        name = out if k == len(boxes) - 1 else f"{out}@canvas{k}"
        if name != out:
            g.add_tensor(dataclasses.replace(t_out, name=name))
        p.ops.append((Paste((canvas, p.names[out]), (name,), origin=(0, box.y0, box.x0, 0)), None))
        canvas = name
        for op, o in p.ops:
            g.ops.append(op)
            origin.append(o)
            patch.append(k)
    for i, op in enumerate(graph.ops[split:], start=split):
        g.ops.append(op)
        origin.append(i)
        patch.append(None)
    g.validate()
    return Unrolled(g, schedule, out, origin, patch)
