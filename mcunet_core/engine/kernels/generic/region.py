"""SLICE and MCUNET_PASTE of patch-based inference: one block of rows copied between two
NHWC tensors (``mcunet_copy_block_s8``); a PASTE writes in place into its canvas. A SLICE of
whole rows of the model's input (a row patch's input block, halo included) is contiguous there,
so it is a view instead (``SliceRowsView``): the patch's first op reads the block in place, from
the arena or from the application's frame, and no copy takes arena bytes."""

from __future__ import annotations

from ....ir import DType
from ....ir.ops import Paste, Slice
from ..base import InPlace, IntArg, Kernel, KernelCall, KernelPlan, LoweringContext, TensorArg, Work
from ..registry import register
from .nd import view_possible

FUNCTION = "mcunet_copy_block_s8"


def _blocky(outer, inner, origin) -> bool:
    """``inner`` is a block of whole pixels of ``outer`` at ``origin`` (NHWC, batch 1)."""
    return (len(outer) == len(inner) == len(origin) == 4 and outer[0] == inner[0] == 1
            and outer[3] == inner[3] and origin[0] == origin[3] == 0
            and all(0 <= o and o + i <= n for o, i, n in zip(origin, inner, outer)))


class _BlockCopy(Kernel):
    LATENCY_FAMILY = "copy_block"

    def _outer_inner(self, ctx):
        raise NotImplementedError

    def supports(self, ctx: LoweringContext) -> bool:
        outer, inner, origin = self._outer_inner(ctx)
        tensors = [t for t in (*ctx.inputs, *ctx.outputs) if t is not None]
        return all(t.dtype is DType.INT8 for t in tensors) and _blocky(outer.shape, inner.shape, origin)

    def _memory(self, ctx):
        return None

    def plan(self, ctx: LoweringContext) -> KernelPlan:
        return KernelPlan(FUNCTION, (f"generic/{FUNCTION}.c",), 0, self._memory(ctx))

    def work(self, ctx: LoweringContext, plan: KernelPlan) -> Work:
        _, inner, _ = self._outer_inner(ctx)
        return Work(self.LATENCY_FAMILY, ("bytes", "rows", "layer"), (inner.nbytes, inner.shape[1], 1))

    def _call(self, ctx, src, src_off, src_stride, dst, dst_off, dst_stride) -> KernelCall:
        _, inner, origin = self._outer_inner(ctx)
        row = inner.shape[2] * inner.shape[3]
        args = [TensorArg(src, const=True), IntArg(src_off), IntArg(src_stride), TensorArg(dst), IntArg(dst_off),
                IntArg(dst_stride), IntArg(inner.shape[1]), IntArg(row)]
        return KernelCall(ctx.index, self.plan(ctx), args, comment=f"{ctx.op.OPCODE} at {list(origin)} {ctx.shapes()}")


def _offset(shape, origin) -> int:
    return (origin[1] * shape[2] + origin[2]) * shape[3]


@register
class GenericSlice(_BlockCopy):
    OP = Slice

    def _outer_inner(self, ctx):
        return ctx.inputs[0], ctx.outputs[0], tuple(ctx.op.begin)

    def lower(self, ctx: LoweringContext) -> KernelCall:
        x, y = ctx.inputs[0], ctx.outputs[0]
        return self._call(ctx, x.name, _offset(x.shape, ctx.op.begin), x.shape[2] * x.shape[3],
                          y.name, 0, y.shape[2] * y.shape[3])


#: a view's offset keeps the planner's buffer alignment (kernels may read its words)
VIEW_ALIGN = 8


@register
class SliceRowsView(Kernel):
    """A SLICE of whole rows of a graph input: a view of it at the block's offset (no code, no
    bytes of its own); the planner aliases it onto the input (outside the arena when the input
    is). Only a graph input: nothing writes it in place while a view of it is read (a view of
    another tensor could be read by an op writing over that tensor in place, as a PASTE does)."""

    OP = Slice
    PRIORITY = 1

    def supports(self, ctx: LoweringContext) -> bool:
        x, y = ctx.inputs[0], ctx.outputs[0]
        begin = tuple(ctx.op.begin)
        return (x.dtype is DType.INT8 and y.dtype is DType.INT8 and _blocky(x.shape, y.shape, begin)
                and (y.shape[2] == x.shape[2] or y.shape[1] == 1) and _offset(x.shape, begin) % VIEW_ALIGN == 0
                and x.name in ctx.graph.inputs and view_possible(ctx.graph, x))

    def plan(self, ctx: LoweringContext) -> KernelPlan:
        return KernelPlan(None, (), 0, InPlace(0, _offset(ctx.inputs[0].shape, ctx.op.begin)))

    def lower(self, ctx: LoweringContext) -> KernelCall:
        return KernelCall(ctx.index, self.plan(ctx),
                          comment=f"SLICE at {list(ctx.op.begin)} {ctx.shapes()}: whole rows, a view of its input")


@register
class GenericPaste(_BlockCopy):
    OP = Paste

    def _outer_inner(self, ctx):
        return ctx.outputs[0], ctx.inputs[1], tuple(ctx.op.origin)

    def supports(self, ctx: LoweringContext) -> bool:
        canvas = ctx.inputs[0]
        return (canvas is None or canvas.shape == ctx.outputs[0].shape) and super().supports(ctx)

    def _memory(self, ctx):
        return InPlace(0, 0) if ctx.inputs[0] is not None else None

    def lower(self, ctx: LoweringContext) -> KernelCall:
        p, y = ctx.inputs[1], ctx.outputs[0]
        return self._call(ctx, p.name, 0, p.shape[2] * p.shape[3], y.name, _offset(y.shape, ctx.op.origin),
                          y.shape[2] * y.shape[3])
