"""RESHAPE is a view: no code, the output aliases the input's bytes."""

from __future__ import annotations

from ....ir.ops import Reshape
from ..base import InPlace, Kernel, KernelCall, KernelPlan, LoweringContext
from ..registry import register


@register
class ReshapeView(Kernel):
    OP = Reshape

    def plan(self, ctx: LoweringContext) -> KernelPlan:
        return KernelPlan(None, (), 0, InPlace(0, 0))

    def lower(self, ctx: LoweringContext) -> KernelCall:
        return KernelCall(ctx.index, self.plan(ctx), comment=f"RESHAPE {ctx.shapes()}")
