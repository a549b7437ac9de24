"""Kernel registry: op class -> reference implementation."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..ops import Op
from ..tensor import Tensor

#: signature: kernel(op, input_tensors, output_tensors, input_values) -> output values
Kernel = Callable[[Op, Sequence["Tensor | None"], Sequence[Tensor], Sequence["np.ndarray | None"]], list]

KERNELS: dict[type[Op], Kernel] = {}


def kernel(*op_classes: type[Op]):
    """Register the decorated function as the reference kernel of ``op_classes``."""

    def register(fn: Kernel) -> Kernel:
        for cls in op_classes:
            if cls in KERNELS:
                raise RuntimeError(f"duplicate reference kernel for {cls.__name__}")
            KERNELS[cls] = fn
        return fn

    return register
