"""N-d shape bookkeeping shared by the generic elementwise and data-movement kernels.

The C kernels walk at most ``MAX_DIMS`` dimensions with element strides. Before a layer is
emitted its shape is simplified: size-1 dimensions are dropped and neighbours that are
contiguous for every operand are merged, so a 6-D broadcast of NHWC tensors usually ends
up as one or two dimensions (a plain loop). The helpers also say when an op is a pure
byte-for-byte copy (identity transpose, zero padding, ...), which the kernels turn into a
view.
"""

from __future__ import annotations

import numpy as np

from ....ir import Graph, Tensor
from ..base import ConstArg, ConstArray, TensorArg

#: Dimensions the C kernels handle after merging (MCUNET_MAX_DIMS in mcunet_broadcast.h).
MAX_DIMS = 6


def contiguous_strides(shape) -> list[int]:
    strides, s = [], 1
    for d in reversed(list(shape)):
        strides.append(s)
        s *= int(d)
    return strides[::-1]


def merge_strided(dims: list[int], strides: list[list[int]]) -> tuple[list[int], list[list[int]]]:
    """Drop size-1 dims and merge neighbours contiguous for every stride list.

    ``strides[k][d]`` is operand k's element stride along dim d. Returns at least one dim
    (``[1]`` with zero strides for a single element).
    """
    keep = [d for d in range(len(dims)) if dims[d] != 1]
    out_dims: list[int] = []
    out_strides: list[list[int]] = [[] for _ in strides]
    for d in keep:
        if out_dims and all(st[-1] == src[d] * dims[d] for st, src in zip(out_strides, strides)):
            out_dims[-1] *= dims[d]
            for st, src in zip(out_strides, strides):
                st[-1] = src[d]
            continue
        out_dims.append(int(dims[d]))
        for st, src in zip(out_strides, strides):
            st.append(int(src[d]))
    if not out_dims:
        return [1], [[0] for _ in strides]
    return out_dims, out_strides


def broadcast_layout(a_shape, b_shape, out_shape) -> tuple[list[int], list[int], list[int]]:
    """(dims, a_strides, b_strides) of a NumPy-broadcast binary op, merged."""
    rank = len(out_shape)
    a = [1] * (rank - len(a_shape)) + list(a_shape)
    b = [1] * (rank - len(b_shape)) + list(b_shape)
    sa, sb = contiguous_strides(a), contiguous_strides(b)
    a_st = [0 if a[d] == 1 else sa[d] for d in range(rank)]
    b_st = [0 if b[d] == 1 else sb[d] for d in range(rank)]
    dims, (a_st, b_st) = merge_strided(list(out_shape), [a_st, b_st])
    return dims, a_st, b_st


def transpose_layout(in_shape, perm) -> tuple[list[int], list[int]]:
    """(output dims, input stride per output dim), merged."""
    st = contiguous_strides(in_shape)
    dims = [int(in_shape[p]) for p in perm]
    strides = [st[p] for p in perm]
    dims, (strides,) = merge_strided(dims, [strides])
    return dims, strides


def is_identity_walk(dims, strides) -> bool:
    """Walking ``dims`` at ``strides`` reads the source in memory order."""
    return list(strides) == contiguous_strides(dims) or dims == [1]


def pad_layout(in_shape, paddings) -> tuple[list[int], list[int], list[int]]:
    """(in_dims, before, after) with unpadded inner dims merged into their outer neighbour."""
    merged: list[list[int]] = []
    for size, (lo, hi) in zip(in_shape, paddings):
        size, lo, hi = int(size), int(lo), int(hi)
        if size == 1 and lo == 0 and hi == 0:
            continue
        merged.append([size, lo, hi])
        while len(merged) >= 2 and merged[-1][1] == 0 and merged[-1][2] == 0:
            s2 = merged.pop()[0]
            s1, lo1, hi1 = merged[-1]
            merged[-1] = [s1 * s2, lo1 * s2, hi1 * s2]
    if not merged:
        merged = [[1, 0, 0]]
    return [m[0] for m in merged], [m[1] for m in merged], [m[2] for m in merged]


def reduce_layout(in_shape, axes) -> tuple[list[int], list[int], list[int], list[int]]:
    """MEAN: (outer dims, outer strides, inner dims, inner strides), each merged.

    Outer (kept) dims enumerate the output in order; inner (reduced) dims are summed.
    """
    st = contiguous_strides(in_shape)
    red = set(axes)
    kept = [d for d in range(len(in_shape)) if d not in red]
    reduced = [d for d in range(len(in_shape)) if d in red]
    od, (os_,) = merge_strided([int(in_shape[d]) for d in kept], [[st[d] for d in kept]])
    idim, (is_,) = merge_strided([int(in_shape[d]) for d in reduced], [[st[d] for d in reduced]])
    return od, os_, idim, is_


# ---- operands and views ---------------------------------------------------------------

def operand(graph: Graph, t: Tensor, const_name: str, constants: list[ConstArray], ctype: str = "int8_t"):
    """Argument reading tensor ``t``: an arena pointer, or a flash array for a constant."""
    if t.is_constant:
        constants.append(ConstArray(const_name, ctype, np.ascontiguousarray(t.data).reshape(-1)))
        return ConstArg(const_name)
    return TensorArg(t.name, ctype=ctype, const=True)


def view_possible(graph: Graph, src: Tensor) -> bool:
    """The planner aliases a view's output onto its input (no code runs) only if the input
    is an arena tensor that is not also a graph output."""
    return not src.is_constant and src.name not in graph.outputs


def int32_array(name: str, values) -> ConstArray:
    return ConstArray(name, "int32_t", np.asarray(list(values), dtype=np.int32))


def broadcast_fields(prefix: str, a_shape, b_shape, out_shape) -> tuple[list[ConstArray], tuple]:
    """Constants and struct fields of an ``mcunet_broadcast_t shape`` member (mcunet_broadcast.h)."""
    dims, a_st, b_st = broadcast_layout(a_shape, b_shape, out_shape)
    consts = [int32_array(f"{prefix}_dims", dims), int32_array(f"{prefix}_a_stride", a_st),
              int32_array(f"{prefix}_b_stride", b_st)]
    fields = (("shape.rank", len(dims)), ("shape.dims", f"{prefix}_dims"),
              ("shape.a_stride", f"{prefix}_a_stride"), ("shape.b_stride", f"{prefix}_b_stride"))
    return consts, fields
