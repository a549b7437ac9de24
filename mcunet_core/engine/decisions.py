"""Whole-graph decisions, made once per (graph, target) before any kernel lowers an op.

A kernel sees one op, but some of its choices depend on the whole graph. They are made here,
in this order, and handed to every kernel as data (``LoweringContext.decisions``):

1. live activation bytes per op (a lower bound of the arena at each op, whatever kernels
   run): where the model's activation peak is;
2. depthwise layouts (planes per group, output rows per strip): a layer at the peak pays
   for each byte of scratch that raises it (``kernels/depthwise.choose_layout``);
3. weight formats: which 1x1 / im2col layers get int16 pre-widened weights and which int8
   depthwise layers int16 weight blocks (the others keep their taps as stored, widened at run
   time) under the flash budget, weighed on the very arrays the code generator emits;
4. the patch schedule (``target.patch``): whether the first ops run patch by patch
   (``patch/``); a patched graph's decisions are made on its unrolled graph, its weight
   formats taken from the whole graph's (every patch of a layer shares its constants).

Where the inputs live (``target.input_placement``) comes first: inputs held outside the arena
(``GraphDecisions.external_inputs``) are left out of the live bytes, so the depthwise
layouts and the patch search see the arena's real peak.

In-place execution is stated per kernel (its plan's memory rule, from these decisions); which
of those aliases the arena takes is the planner's choice, made once per plan over the graph.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Mapping

from ..ir import DType, Graph
from ..ir.ops import Conv2D, DepthwiseConv2D, FullyConnected
from .cost_model import NoCostModel, OpWork, default_latency_model
from .kernels import depthwise as dw
from .kernels import select_kernel
from .kernels.base import LoweringContext
from .kernels.depthwise import DepthwisePlanes, DwLayout, choose_layout
from .kernels.pointwise import W8, W16
from .patch.schedule import PatchSchedule
from .patch.unroll import unroll
from .target import Target

if TYPE_CHECKING:
    from .patch.choice import PatchChoice
    from .patch.unroll import Unrolled

#: Flash the engine keeps free for code and runtime when it sizes weights against the board.
CODE_RESERVE_BYTES = 64 * 1024


@dataclass(frozen=True)
class GraphDecisions:
    """The whole-graph choices kernels read; ``replace()`` (dataclasses) overrides one."""

    live_bytes: tuple[int, ...]
    depthwise_layouts: Mapping[int, DwLayout] = field(default_factory=dict)
    #: op indices whose core runs int16 pre-widened weights; every other core layer runs int8
    w16_layers: frozenset[int] = frozenset()
    #: int8 depthwise layers whose taps stay as stored (w8); every other one stores int16 blocks
    lean_depthwise: frozenset[int] = frozenset()
    #: the patched graph the op indices above refer to (None: the graph as given)
    patched: "Unrolled | None" = field(default=None, compare=False, repr=False)
    #: how ``target.patch`` chose (None: patches off)
    patch_choice: "PatchChoice | None" = field(default=None, compare=False, repr=False)
    #: graph inputs the application holds outside the arena (``target.input_placement``)
    external_inputs: frozenset[str] = frozenset()

    @property
    def schedule(self) -> PatchSchedule | None:
        return self.patched.schedule if self.patched else None

    def graph_for(self, graph: Graph) -> Graph:
        """The graph these decisions lower: ``graph``, or its unrolled patch schedule."""
        return self.patched.graph if self.patched else graph

    @property
    def peak_live_bytes(self) -> int:
        return max(self.live_bytes, default=0)

    def weight_format(self, index: int) -> str:
        return W16 if index in self.w16_layers else W8

    def depthwise_format(self, index: int) -> str:
        """An int8 depthwise layer's taps in flash (int4 layers are always w4)."""
        return dw.W8 if index in self.lean_depthwise else dw.W16

    def depthwise_layout(self, index: int) -> DwLayout:
        return self.depthwise_layouts[index]


def live_activation_bytes(graph: Graph, external: frozenset[str] = frozenset()) -> list[int]:
    """Per op: bytes of activations live while it runs, if its output could overlap an input
    that dies there (what in-place and streaming kernels achieve): a lower bound of the
    arena at that op, whatever kernels are chosen. ``external`` tensors are not in the arena."""
    n = len(graph.ops)
    tensors = graph.tensors
    spans = {name: span for name, span in graph.lifetimes().items() if name not in external}
    size = {name: math.prod(tensors[name].shape) * tensors[name].dtype.itemsize for name in spans}
    delta = [0] * (n + 2)
    for name, (f, l) in spans.items():
        lo, hi = max(f, 0), min(l, n - 1)
        if lo <= hi:
            delta[lo] += size[name]
            delta[hi + 1] -= size[name]
    live, total = [], 0
    for i, op in enumerate(graph.ops):
        total += delta[i]
        out = sum(size[o] for o in op.outputs)
        dying = [size[x] for x in op.inputs if x in spans and spans[x][1] == i]
        live.append(total - min(max(dying, default=0), out))
    return live


def _depthwise_layouts(graph: Graph, target: Target, live: list[int]) -> dict[int, DwLayout]:
    planes = DepthwisePlanes()
    decided = GraphDecisions(tuple(live))
    layouts = {}
    for ctx in LoweringContext.every_op(graph, target, decided):
        if isinstance(ctx.op, DepthwiseConv2D) and planes.supports(ctx):
            x, w, y = ctx.inputs[0], ctx.inputs[1], ctx.outputs[0]
            _, h, wd, c = x.shape
            layouts[ctx.index] = choose_layout(
                w.shape[1], tuple(ctx.op.stride), (h, wd), c, (y.shape[1], y.shape[2]), ctx.op.padding.top,
                ctx.op.padding.left, ctx.op.depth_multiplier, target.ram_budget, live[ctx.index], max(live),
            )
    return layouts


def _core_layers(graph: Graph) -> list[tuple[int, int]]:
    """(op index, output pixels) of the ops the 2x2 core may run (constant weights)."""
    rows = []
    for i, op in enumerate(graph.ops):
        if not isinstance(op, (Conv2D, FullyConnected)):
            continue
        w = graph.tensors.get(op.inputs[1])
        if w is None or w.data is None:
            continue
        y = graph.tensors[op.outputs[0]]
        rows.append((i, y.size // y.shape[-1]))
    return rows


def constant_bytes(graph: Graph, target: Target, decisions: GraphDecisions,
                   ops: Iterable[int] | None = None) -> dict[int, int]:
    """Flash bytes of the constants of each op (of ``ops``, default all) lowered with
    ``decisions``: what a decision costs, measured on the arrays the generator would emit."""
    contexts = LoweringContext.every_op(graph, target, decisions)
    wanted = range(len(contexts)) if ops is None else ops
    return {i: sum(c.data.nbytes for c in select_kernel(contexts[i]).lower(contexts[i]).constants) for i in wanted}


def _int8_depthwise(graph: Graph, decisions: GraphDecisions) -> list[int]:
    """Depthwise layers on the plane kernels with int8 weights (their tap format is a choice)."""
    return [i for i in sorted(decisions.depthwise_layouts)
            if graph.tensors[graph.ops[i].inputs[1]].dtype is DType.INT8]


def predicted_instructions(graph: Graph, target: Target, decisions: GraphDecisions,
                           ops: Iterable[int]) -> dict[int, float]:
    """Modelled instructions of each op of ``ops`` lowered with ``decisions`` (0 where the
    cost table lacks its family)."""
    model = default_latency_model()
    contexts = LoweringContext.every_op(graph, target, decisions)
    out = {}
    for i in ops:
        kernel = select_kernel(contexts[i])
        work = kernel.work(contexts[i], kernel.plan(contexts[i]))
        try:
            out[i] = model.op_instructions(OpWork.of(i, work)) if work is not None else 0.0
        except NoCostModel:
            out[i] = 0.0
    return out


def _weight_formats(graph: Graph, target: Target, base: GraphDecisions) -> tuple[frozenset[int], frozenset[int]]:
    """(w16 core layers, w8 depthwise layers). Without a flash budget every core layer gets
    int16 weights (about one extra flash byte per weight, the fastest core) and every depthwise
    layer int16 blocks (the job kernels read them as stored). Under one, everything starts
    lean (int8 core weights, depthwise taps as stored) and layers are widened in flash greedily
    by modelled instructions saved per extra byte while the constants + a code reserve fit.
    The lean constants and each layer's extra bytes are measured by lowering (records,
    depthwise blocks and tables weigh more than the graph's own weights), so the firmware links
    whenever its code fits the reserve."""
    cores = [i for i, _ in sorted(_core_layers(graph), key=lambda r: (-r[1], r[0]))]
    dws = _int8_depthwise(graph, base)
    budget = target.flash_budget
    if budget is None:
        return frozenset(cores), frozenset()
    lean = dataclasses.replace(base, w16_layers=frozenset(), lean_depthwise=frozenset(dws))
    low = constant_bytes(graph, target, lean)
    free = budget - CODE_RESERVE_BYTES - sum(low.values())
    layers = cores + dws
    if free <= 0 or not layers:
        return frozenset(), frozenset(dws)
    fast = dataclasses.replace(base, w16_layers=frozenset(cores), lean_depthwise=frozenset())
    high = constant_bytes(graph, target, fast, layers)
    slow_i = predicted_instructions(graph, target, lean, layers)
    fast_i = predicted_instructions(graph, target, fast, layers)
    extra = {i: high[i] - low[i] for i in layers}
    gain = {i: slow_i[i] - fast_i[i] for i in layers}
    chosen = set()
    for i in sorted((i for i in layers if extra[i] > 0), key=lambda i: (-gain[i] / extra[i], layers.index(i))):
        if extra[i] <= free:
            free -= extra[i]
            chosen.add(i)
    return frozenset(chosen.intersection(cores)), frozenset(dws).difference(chosen)


def external_inputs(graph: Graph, target: Target) -> frozenset[str]:
    """The graph inputs ``target.input_placement`` keeps outside the arena."""
    return frozenset(graph.inputs) if target.input_placement.external else frozenset()


def decide_whole(graph: Graph, target: Target) -> GraphDecisions:
    """The decisions for ``graph`` run on whole tensors."""
    external = external_inputs(graph, target)
    live = live_activation_bytes(graph, external)
    base = GraphDecisions(tuple(live), _depthwise_layouts(graph, target, live), external_inputs=external)
    w16, lean = _weight_formats(graph, target, base)
    return dataclasses.replace(base, w16_layers=w16, lean_depthwise=lean)


def decide_patched(graph: Graph, target: Target, whole: GraphDecisions, schedule: PatchSchedule) -> GraphDecisions:
    """The decisions for ``graph`` run with ``schedule``: made on its unrolled graph, each
    layer keeping the weight format ``whole`` gave it."""
    patched = unroll(graph, schedule)
    live = live_activation_bytes(patched.graph, whole.external_inputs)
    w16 = frozenset(i for i, o in enumerate(patched.origin) if o is not None and o in whole.w16_layers)
    lean = frozenset(i for i, o in enumerate(patched.origin) if o is not None and o in whole.lean_depthwise)
    return GraphDecisions(tuple(live), _depthwise_layouts(patched.graph, target, live), w16, lean, patched,
                          external_inputs=whole.external_inputs)


def decide(graph: Graph, target: Target) -> GraphDecisions:
    """Every whole-graph decision for ``graph`` on ``target``, once (the patch schedule first:
    ``target.patch`` off, auto or fixed)."""
    whole = decide_whole(graph, target)
    if target.patch.mode == "off":
        return whole
    from .patch.choice import choose  # it evaluates candidates with these decisions

    choice = choose(graph, target, whole)
    decided = whole if choice.schedule is None else decide_patched(graph, target, whole, choice.schedule)
    return dataclasses.replace(decided, patch_choice=choice)
