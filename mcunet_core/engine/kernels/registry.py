"""Kernel registry: every op type maps to its specializations, most specific first."""

from __future__ import annotations

from ...errors import UnsupportedError
from ...ir import Op
from .base import Kernel, LoweringContext

_KERNELS: dict[type[Op], list[Kernel]] = {}


def register(kernel_cls: type[Kernel]) -> type[Kernel]:
    """Class decorator: make ``kernel_cls`` available for its ``OP``."""
    kernels = _KERNELS.setdefault(kernel_cls.OP, [])
    kernels.append(kernel_cls())
    kernels.sort(key=lambda k: -k.PRIORITY)
    return kernel_cls


def kernels_for(op_type: type[Op]) -> list[Kernel]:
    return list(_KERNELS.get(op_type, ()))


def kernel_names() -> list[str]:
    """Every registered kernel's name, generic fallbacks included."""
    return sorted(k.name for ks in _KERNELS.values() for k in ks)


def specialised_kernel_names() -> list[str]:
    """The kernels above their op's plain-C fallback (the lowest priority of each op)."""
    return sorted(k.name for ks in _KERNELS.values() for k in ks if k.PRIORITY > min(x.PRIORITY for x in ks))


def select_kernel(ctx: LoweringContext) -> Kernel:
    """The most specific kernel that handles this op and the target allows, or a clear
    UnsupportedError."""
    for kernel in _KERNELS.get(type(ctx.op), ()):
        if kernel.name not in ctx.target.disabled_kernels and kernel.supports(ctx):
            return kernel
    raise UnsupportedError(
        f"{ctx.graph.name}: op {ctx.index} {ctx.op.OPCODE} is not supported by any kernel ({ctx.shapes()})"
    )


def supported_op_types() -> list[type[Op]]:
    return sorted(_KERNELS, key=lambda t: t.OPCODE)
