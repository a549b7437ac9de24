"""Generic PAD, CONCATENATION, TRANSPOSE, RESIZE_NEAREST_NEIGHBOR: raw int8 moves.

Where an op moves no byte (zero padding, an identity permutation after dropping size-1
dims, a one-input concatenation, a resize to the same size) it becomes a view of its
input, like RESHAPE; when a view is impossible (its input is a constant or also a graph
output) a plain copy runs instead. ``CopyFallback`` does the same for RESHAPE itself.
"""

from __future__ import annotations

import numpy as np

from ....ir import DType, Tensor
from ....ir.ops import Concatenation, Pad, Reshape, ResizeNearestNeighbor, Transpose
from ....ir.reference.shape import nearest_indices
from ..base import ConstStruct, InPlace, IntArg, Kernel, KernelCall, KernelPlan, LoweringContext, StructArg, TensorArg
from ..registry import register
from .nd import MAX_DIMS, int32_array, is_identity_walk, operand, pad_layout, transpose_layout, view_possible

COPY_FUNCTION = "mcunet_copy_s8_generic"


def _int8(*tensors: Tensor) -> bool:
    return all(t is not None and t.dtype is DType.INT8 for t in tensors)


def view_plan() -> KernelPlan:
    return KernelPlan(None, (), 0, InPlace(0, 0))


def copy_plan() -> KernelPlan:
    return KernelPlan(COPY_FUNCTION, (f"generic/{COPY_FUNCTION}.c",))


def lower_view_or_copy(ctx: LoweringContext, why: str) -> KernelCall:
    """No code when the output can alias the input; a byte copy otherwise."""
    x, y = ctx.inputs[0], ctx.outputs[0]
    comment = f"{ctx.op.OPCODE} {ctx.shapes()} ({why})"
    if view_possible(ctx.graph, x):
        return KernelCall(ctx.index, view_plan(), comment=comment)
    consts = []
    src = operand(ctx.graph, x, f"{ctx.prefix}_x", consts)
    return KernelCall(ctx.index, copy_plan(), [src, TensorArg(y.name), IntArg(y.nbytes)], consts, comment=comment)


def plan_view_or_copy(ctx: LoweringContext) -> KernelPlan:
    return view_plan() if view_possible(ctx.graph, ctx.inputs[0]) else copy_plan()


@register
class CopyFallback(Kernel):
    """RESHAPE whose input cannot be aliased (a constant, or also a graph output)."""

    OP = Reshape
    PRIORITY = 1

    def supports(self, ctx: LoweringContext) -> bool:
        x, y = ctx.inputs[0], ctx.outputs[0]
        return not view_possible(ctx.graph, x) and x.nbytes == y.nbytes

    def plan(self, ctx: LoweringContext) -> KernelPlan:
        return copy_plan()

    def lower(self, ctx: LoweringContext) -> KernelCall:
        return lower_view_or_copy(ctx, "copy")


@register
class GenericPad(Kernel):
    OP = Pad
    FUNCTION = "mcunet_pad_s8_generic"

    def supports(self, ctx: LoweringContext) -> bool:
        x, y = ctx.inputs[0], ctx.outputs[0]
        if not _int8(x, y) or len(ctx.op.paddings) != len(x.shape):
            return False
        if any(lo < 0 or hi < 0 for lo, hi in ctx.op.paddings):
            return False
        if tuple(d + lo + hi for d, (lo, hi) in zip(x.shape, ctx.op.paddings)) != tuple(y.shape):
            return False
        return len(pad_layout(x.shape, ctx.op.paddings)[0]) <= MAX_DIMS

    @staticmethod
    def _moves_nothing(ctx) -> bool:
        return all(lo == 0 and hi == 0 for lo, hi in ctx.op.paddings)

    def plan(self, ctx: LoweringContext) -> KernelPlan:
        if self._moves_nothing(ctx):
            return plan_view_or_copy(ctx)
        return KernelPlan(self.FUNCTION, (f"generic/{self.FUNCTION}.c",))

    def lower(self, ctx: LoweringContext) -> KernelCall:
        if self._moves_nothing(ctx):
            return lower_view_or_copy(ctx, "no padding: a view")
        x, y = ctx.inputs[0], ctx.outputs[0]
        dims, before, after = pad_layout(x.shape, ctx.op.paddings)
        p = ctx.prefix
        consts = [int32_array(f"{p}_in_dims", dims), int32_array(f"{p}_before", before), int32_array(f"{p}_after", after)]
        src = operand(ctx.graph, x, f"{p}_x", consts)
        fill = y.quant.single_zero_point if y.quant is not None else 0
        fields = (
            ("rank", len(dims)), ("in_dims", f"{p}_in_dims"), ("before", f"{p}_before"), ("after", f"{p}_after"),
            ("pad_value", fill),
        )
        struct = ConstStruct(f"{p}_params", "mcunet_pad_params_t", fields)
        args = [StructArg(struct.name), src, TensorArg(y.name)]
        return KernelCall(ctx.index, self.plan(ctx), args, consts, [struct],
                          comment=f"PAD {[list(pp) for pp in ctx.op.paddings]} {ctx.shapes()}")


@register
class GenericTranspose(Kernel):
    OP = Transpose
    FUNCTION = "mcunet_transpose_s8_generic"

    def supports(self, ctx: LoweringContext) -> bool:
        x, y = ctx.inputs[0], ctx.outputs[0]
        perm = list(ctx.op.perm)
        if not _int8(x, y) or sorted(perm) != list(range(len(x.shape))):
            return False
        if tuple(x.shape[p] for p in perm) != tuple(y.shape):
            return False
        return len(transpose_layout(x.shape, perm)[0]) <= MAX_DIMS

    def _layout(self, ctx):
        return transpose_layout(ctx.inputs[0].shape, list(ctx.op.perm))

    def plan(self, ctx: LoweringContext) -> KernelPlan:
        if is_identity_walk(*self._layout(ctx)):
            return plan_view_or_copy(ctx)
        return KernelPlan(self.FUNCTION, (f"generic/{self.FUNCTION}.c",))

    def lower(self, ctx: LoweringContext) -> KernelCall:
        dims, strides = self._layout(ctx)
        if is_identity_walk(dims, strides):
            return lower_view_or_copy(ctx, "memory order unchanged: a view")
        x, y = ctx.inputs[0], ctx.outputs[0]
        p = ctx.prefix
        consts = [int32_array(f"{p}_dims", dims), int32_array(f"{p}_in_stride", strides)]
        src = operand(ctx.graph, x, f"{p}_x", consts)
        fields = (("rank", len(dims)), ("dims", f"{p}_dims"), ("in_stride", f"{p}_in_stride"))
        struct = ConstStruct(f"{p}_params", "mcunet_transpose_params_t", fields)
        args = [StructArg(struct.name), src, TensorArg(y.name)]
        return KernelCall(ctx.index, self.plan(ctx), args, consts, [struct],
                          comment=f"TRANSPOSE perm {list(ctx.op.perm)} {ctx.shapes()}")


@register
class GenericConcatenation(Kernel):
    OP = Concatenation
    FUNCTION = "mcunet_concat_s8_generic"

    def _axis(self, ctx) -> int:
        rank = len(ctx.outputs[0].shape)
        return ctx.op.axis + rank if ctx.op.axis < 0 else ctx.op.axis

    def supports(self, ctx: LoweringContext) -> bool:
        ins, y = ctx.inputs, ctx.outputs[0]
        if not ins or not _int8(*ins, y):
            return False
        rank = len(y.shape)
        axis = self._axis(ctx)
        if not 0 <= axis < rank or any(len(t.shape) != rank for t in ins):
            return False
        try:
            return tuple(np.concatenate([np.empty(t.shape, np.int8) for t in ins], axis=axis).shape) == tuple(y.shape)
        except ValueError:
            return False

    def plan(self, ctx: LoweringContext) -> KernelPlan:
        if len(ctx.inputs) == 1:
            return plan_view_or_copy(ctx)
        return KernelPlan(self.FUNCTION, (f"generic/{self.FUNCTION}.c",))

    def lower(self, ctx: LoweringContext) -> KernelCall:
        if len(ctx.inputs) == 1:
            return lower_view_or_copy(ctx, "one input: a view")
        y = ctx.outputs[0]
        axis = self._axis(ctx)
        outer = int(np.prod(y.shape[:axis], dtype=np.int64))
        inner = [int(np.prod(t.shape[axis:], dtype=np.int64)) for t in ctx.inputs]
        p = ctx.prefix
        consts = [int32_array(f"{p}_inner", inner)]
        srcs = [operand(ctx.graph, t, f"{p}_in{i}", consts) for i, t in enumerate(ctx.inputs)]
        fields = (("outer", outer), ("n_inputs", len(inner)), ("inner", f"{p}_inner"))
        struct = ConstStruct(f"{p}_params", "mcunet_concat_params_t", fields)
        args = [StructArg(struct.name), TensorArg(y.name), *srcs]
        return KernelCall(ctx.index, self.plan(ctx), args, consts, [struct],
                          comment=f"CONCATENATION axis {axis} {ctx.shapes()}")


@register
class GenericResizeNearest(Kernel):
    OP = ResizeNearestNeighbor
    FUNCTION = "mcunet_resize_nearest_s8_generic"

    def supports(self, ctx: LoweringContext) -> bool:
        x, y = ctx.inputs[0], ctx.outputs[0]
        return (_int8(x, y) and len(x.shape) == 4 and len(y.shape) == 4
                and (x.shape[0], x.shape[3]) == (y.shape[0], y.shape[3]))

    def _indices(self, ctx):
        op = ctx.op
        (_, h, w, _), (_, oh, ow, _) = ctx.inputs[0].shape, ctx.outputs[0].shape
        ys = nearest_indices(h, oh, op.align_corners, op.half_pixel_centers)
        xs = nearest_indices(w, ow, op.align_corners, op.half_pixel_centers)
        return ys, xs

    def _identity(self, ctx) -> bool:
        x, y = ctx.inputs[0], ctx.outputs[0]
        if x.shape != y.shape:
            return False
        ys, xs = self._indices(ctx)
        return bool(np.array_equal(ys, np.arange(x.shape[1])) and np.array_equal(xs, np.arange(x.shape[2])))

    def plan(self, ctx: LoweringContext) -> KernelPlan:
        if self._identity(ctx):
            return plan_view_or_copy(ctx)
        return KernelPlan(self.FUNCTION, (f"generic/{self.FUNCTION}.c",))

    def lower(self, ctx: LoweringContext) -> KernelCall:
        if self._identity(ctx):
            return lower_view_or_copy(ctx, "same size: a view")
        x, y = ctx.inputs[0], ctx.outputs[0]
        ys, xs = self._indices(ctx)
        p = ctx.prefix
        consts = [int32_array(f"{p}_ys", ys), int32_array(f"{p}_xs", xs)]
        src = operand(ctx.graph, x, f"{p}_x", consts)
        n, h, w, c = x.shape
        fields = (
            ("batch", n), ("in_h", h), ("in_w", w), ("channels", c),
            ("out_h", y.shape[1]), ("out_w", y.shape[2]), ("ys", f"{p}_ys"), ("xs", f"{p}_xs"),
        )
        struct = ConstStruct(f"{p}_params", "mcunet_resize_nearest_params_t", fields)
        args = [StructArg(struct.name), src, TensorArg(y.name)]
        flags = f"align_corners={ctx.op.align_corners} half_pixel_centers={ctx.op.half_pixel_centers}"
        return KernelCall(ctx.index, self.plan(ctx), args, consts, [struct],
                          comment=f"RESIZE_NEAREST_NEIGHBOR {flags} {ctx.shapes()}")
