"""Helpers shared by the reference kernels."""

from __future__ import annotations

import numpy as np

from ...errors import UnsupportedError
from ...quant import activation_range
from ..graph import GraphError
from ..ops import Activation, Op
from ..tensor import DType, Tensor


def quant_of(t: Tensor, what: str, op: Op):
    if t.quant is None:
        raise UnsupportedError(f"{op.OPCODE}: {what} tensor {t.name!r} has no quantization parameters")
    return t.quant


def scale_zp(t: Tensor, what: str, op: Op) -> tuple[float, int]:
    """Per-tensor (scale, zero_point) of an activation tensor."""
    q = quant_of(t, what, op)
    if q.per_channel:
        raise UnsupportedError(f"{op.OPCODE}: {what} tensor {t.name!r} must be per-tensor quantized")
    return float(q.scale[0]), int(q.zero_point[0])


def clamp_range(op: Op, out: Tensor) -> tuple[int, int]:
    scale, zp = scale_zp(out, "output", op)
    act = getattr(op, "activation", Activation.NONE)
    return activation_range(act, scale, zp, out.dtype.value)


def as_i64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64)


def expect_shape(op: Op, out: Tensor, shape) -> None:
    if tuple(shape) != tuple(out.shape):
        raise GraphError(f"{op.OPCODE}: computed output shape {tuple(shape)} but tensor {out.name!r} is {out.shape}")


def to_dtype(x: np.ndarray, t: Tensor) -> np.ndarray:
    if t.dtype is DType.INT4:
        raise UnsupportedError("int4 activations are not supported by the reference interpreter")
    return np.asarray(x).astype(t.dtype.numpy, copy=False)


def window_slices(size_out: int, stride: int, offset: int) -> slice:
    """Slice picking ``size_out`` strided positions starting at ``offset`` of a padded axis."""
    return slice(offset, offset + (size_out - 1) * stride + 1, stride)
