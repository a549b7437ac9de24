"""Generic PAD, TRANSPOSE, CONCATENATION, RESIZE_NEAREST_NEIGHBOR; views and copies."""

from __future__ import annotations

import numpy as np
import pytest

from graph_factory import GraphBuilder
from mcunet_core.engine.lowering import kernel_plans, plan_memory
from mcunet_core.engine.target import HOST
from mcunet_core.ir import ops as O
from test_generic_common import check_cases, check_one, const_tensor, kernels_chosen, random_inputs, scale, shape, zero_point


def _io(b: GraphBuilder, rng, in_shape, out_shape, const_input=False):
    s, z = scale(rng), zero_point(rng)
    x = const_tensor(b, in_shape, rng, s, z) if const_input else b.input(in_shape, scale=s, zero_point=z)
    y = b.activation(out_shape, scale=s, zero_point=z)
    return x, y


def _graph(rng, name, make_op, in_shape, out_shape, const_input=False, extra_input=False):
    b = GraphBuilder(name, rng)
    x, y = _io(b, rng, in_shape, out_shape, const_input)
    if const_input or extra_input:  # keep one real input so the program reads something
        b.input((1,))
    b.op(make_op(x, y))
    return b.finish(y)


# ---- PAD ---------------------------------------------------------------------------------

def _pad_graph(rng, in_shape, pads, const_input=False):
    out_shape = tuple(d + lo + hi for d, (lo, hi) in zip(in_shape, pads))
    return _graph(rng, "pad", lambda x, y: O.Pad((x,), (y,), paddings=tuple(map(tuple, pads))), in_shape, out_shape,
                  const_input)


def test_pad_random_ranks_and_paddings():
    rng = np.random.default_rng(21)
    cases = []
    for i in range(48):
        rank = int(rng.integers(1, 6))
        in_shape = shape(rng, rank, 1, 6)
        pads = [tuple(int(v) for v in rng.integers(0, 3, size=2)) if rng.random() < 0.6 else (0, 0) for _ in range(rank)]
        g = _pad_graph(rng, in_shape, pads, const_input=rng.random() < 0.1)
        cases.append((f"pad {in_shape} {pads}", g, random_inputs(g, rng)))
    # what convolutions get: H and W of NHWC, an odd channel pad (PADV2 as the importer gives it)
    for pads in ([(0, 0), (1, 1), (1, 1), (0, 0)], [(0, 0), (0, 1), (2, 0), (0, 0)], [(0, 0), (0, 0), (0, 0), (0, 3)]):
        g = _pad_graph(rng, (1, 9, 7, 5), pads)
        cases.append((f"pad NHWC {pads}", g, random_inputs(g, rng)))
    check_cases(cases)


def test_pad_of_nothing_is_a_view_unless_the_input_cannot_be_aliased():
    rng = np.random.default_rng(22)
    g = _pad_graph(rng, (1, 4, 4, 3), [(0, 0)] * 4)
    assert kernel_plans(g, HOST)[0].function is None
    plan = plan_memory(g, HOST)
    assert plan.tensor_offsets[g.ops[0].inputs[0]] == plan.tensor_offsets[g.outputs[0]]
    g_const = _pad_graph(rng, (2, 3), [(0, 0)] * 2, const_input=True)
    assert kernel_plans(g_const, HOST)[0].function == "mcunet_copy_s8_generic"
    b = GraphBuilder("pad-of-output", rng)
    x, y = _io(b, rng, (2, 3), (2, 3))
    b.op(O.Pad((x,), (y,), paddings=((0, 0), (0, 0))))
    g_out = b.finish(y, x)  # the input is itself a graph output: no aliasing, a copy
    assert kernel_plans(g_out, HOST)[0].function == "mcunet_copy_s8_generic"
    check_cases([("view", g, random_inputs(g, rng)), ("const", g_const, random_inputs(g_const, rng)),
                 ("output", g_out, random_inputs(g_out, rng))])


# ---- TRANSPOSE ---------------------------------------------------------------------------

def _transpose_graph(rng, in_shape, perm, const_input=False):
    out_shape = tuple(in_shape[p] for p in perm)
    return _graph(rng, "transpose", lambda x, y: O.Transpose((x,), (y,), perm=tuple(perm)), in_shape, out_shape,
                  const_input)


def test_transpose_any_permutation_up_to_6d():
    rng = np.random.default_rng(23)
    cases = []
    for i in range(48):
        rank = int(rng.integers(1, 7))
        in_shape = shape(rng, rank, 1, 6 if rank < 5 else 4)
        perm = [int(p) for p in rng.permutation(rank)]
        g = _transpose_graph(rng, in_shape, perm, const_input=rng.random() < 0.1)
        cases.append((f"transpose {in_shape} {perm}", g, random_inputs(g, rng)))
    for in_shape, perm in [((1, 5, 7, 3), (0, 3, 1, 2)), ((1, 5, 7, 3), (0, 2, 1, 3)), ((2, 3, 4, 5, 6, 2), (5, 4, 3, 2, 1, 0))]:
        g = _transpose_graph(rng, in_shape, perm)
        cases.append((f"transpose {in_shape} {perm}", g, random_inputs(g, rng)))
    check_cases(cases)


def test_transpose_moving_only_unit_dims_is_a_view():
    rng = np.random.default_rng(24)
    g = _transpose_graph(rng, (1, 6, 1, 5), (2, 0, 1, 3))
    assert kernels_chosen(g) == ["GenericTranspose"]
    assert kernel_plans(g, HOST)[0].function is None
    g2 = _transpose_graph(rng, (1, 6, 1, 5), (0, 3, 2, 1))
    assert kernel_plans(g2, HOST)[0].function == "mcunet_transpose_s8_generic"
    check_cases([("view", g, random_inputs(g, rng)), ("moving", g2, random_inputs(g2, rng))])


# ---- CONCATENATION -----------------------------------------------------------------------

def _concat_graph(rng, base, axis, sizes, const_mask):
    b = GraphBuilder("concat", rng)
    s, z = scale(rng), zero_point(rng)
    rank = len(base)
    names = []
    for size, const in zip(sizes, const_mask):
        shp = list(base)
        shp[axis] = size
        names.append(const_tensor(b, shp, rng, s, z) if const else b.input(tuple(shp), scale=s, zero_point=z))
    if all(const_mask):
        b.input((1,))
    out = list(base)
    out[axis] = sum(sizes)
    y = b.activation(tuple(out), scale=s, zero_point=z)
    ax = axis - rank if rng.random() < 0.3 else axis
    b.op(O.Concatenation(tuple(names), (y,), axis=ax))
    return b.finish(y)


def test_concatenation_any_axis_any_count():
    rng = np.random.default_rng(25)
    cases = []
    for i in range(48):
        rank = int(rng.integers(1, 6))
        base = shape(rng, rank, 1, 5)
        axis = int(rng.integers(0, rank))
        k = int(rng.integers(1, 6))
        sizes = [int(v) for v in rng.integers(1, 4, size=k)]
        const_mask = [bool(rng.random() < 0.2) for _ in range(k)]
        g = _concat_graph(rng, base, axis, sizes, const_mask)
        cases.append((f"concat {base} axis {axis} sizes {sizes} const {const_mask}", g, random_inputs(g, rng)))
    check_cases(cases)


def test_concatenation_of_one_input_is_a_view():
    rng = np.random.default_rng(26)
    g = _concat_graph(rng, (2, 3), 1, [3], [False])
    assert kernel_plans(g, HOST)[0].function is None
    check_cases([("one input", g, random_inputs(g, rng))])


# ---- RESIZE_NEAREST_NEIGHBOR ----------------------------------------------------------------

@pytest.mark.parametrize("mode", ["default", "align_corners", "half_pixel_centers"])
def test_resize_nearest_all_modes(mode):
    rng = np.random.default_rng([27, len(mode)])
    cases = []
    for i in range(32):
        n = 1 if rng.random() < 0.8 else 2
        h, w, c = shape(rng, 3, 1, 8)
        oh, ow = shape(rng, 2, 1, 17)
        if i < 4:  # the shapes networks use: 2x nearest upsampling, and same size
            oh, ow = (2 * h, 2 * w) if i < 2 else (h, w)
        op = lambda x, y: O.ResizeNearestNeighbor((x,), (y,), align_corners=mode == "align_corners",  # noqa: E731
                                                   half_pixel_centers=mode == "half_pixel_centers")
        g = _graph(rng, "resize", op, (n, h, w, c), (n, oh, ow, c), const_input=rng.random() < 0.1)
        cases.append((f"resize {mode} {(n, h, w, c)} -> {(oh, ow)}", g, random_inputs(g, rng)))
    check_cases(cases)


# ---- RESHAPE that cannot be a view ----------------------------------------------------------

def test_reshape_of_a_constant_or_of_a_graph_output_is_copied(tmp_path):
    rng = np.random.default_rng(28)
    b = GraphBuilder("reshape-const", rng)
    x, y = _io(b, rng, (2, 6), (3, 4), const_input=True)
    real = b.input((2, 2))
    b.op(O.Reshape((x,), (y,)))
    g = b.finish(y, real)
    assert kernels_chosen(g) == ["CopyFallback"]
    b2 = GraphBuilder("reshape-of-output", rng)
    x2, y2 = _io(b2, rng, (2, 6), (12,))
    b2.op(O.Reshape((x2,), (y2,)))
    g2 = b2.finish(y2, x2)
    assert kernels_chosen(g2) == ["CopyFallback"]
    b3 = GraphBuilder("reshape-view", rng)
    x3, y3 = _io(b3, rng, (2, 6), (12,))
    b3.op(O.Reshape((x3,), (y3,)))
    g3 = b3.finish(y3)
    assert kernels_chosen(g3) == ["ReshapeView"]
    check_cases([("const", g, random_inputs(g, rng)), ("graph output", g2, random_inputs(g2, rng)),
                 ("view", g3, random_inputs(g3, rng))])
    check_one(g2, random_inputs(g2, rng), tmp_path)  # through engine_runs.run_host too
