"""Kernel specializations per op; importing this package registers all of them."""

from .registry import (
    kernel_names,
    kernels_for,
    register,
    select_kernel,
    specialised_kernel_names,
    supported_op_types,
)

# Importing the families registers their kernels (most specific first within an op).
from . import generic  # noqa: E402,F401  (plain-C kernel for every op: the fallback)
from . import depthwise  # noqa: E402,F401
from . import conv_im2col, pointwise  # noqa: E402,F401  (2x2 SMLAD core: 1x1, KxK)
from . import fully_connected  # noqa: E402,F401  (SMLAD dot products)

__all__ = ["kernel_names", "kernels_for", "register", "select_kernel", "specialised_kernel_names",
           "supported_op_types"]
