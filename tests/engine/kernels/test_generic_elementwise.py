"""ADD and MUL: broadcasting up to 6-D, constant operands, in place, bit-exact.

Each test runs with the fast kernels (per-input tables for ADD, one-SMMLAR requantization)
where they apply, and again with only the generic kernels (TFLite's three-rescale path).
"""

from __future__ import annotations

import numpy as np
import pytest

from graph_factory import GraphBuilder
from mcunet_core.ir import Activation
from mcunet_core.ir import ops as O
from test_generic_common import aliased, check_cases, const_tensor, kernels_chosen, random_inputs, scale, shape, zero_point

OPS = {"ADD": O.Add, "MUL": O.Mul}


def _shapes(rng):
    """Two shapes that broadcast (NumPy rules, ranks 1..6), sometimes equal."""
    rank = int(rng.integers(1, 7))
    base = shape(rng, rank, 1, 6 if rank <= 4 else 4)
    r = rng.random()
    if r < 0.25:
        return base, base
    other = [1 if rng.random() < 0.4 else d for d in base]
    other = other[int(rng.integers(0, rank)) if rng.random() < 0.3 else 0:] or [1]
    return (base, tuple(other)) if rng.random() < 0.5 else (tuple(other), base)


def binary_graph(rng, opname, a_shape, b_shape, *, const_b=False, same_input=False, act=None, keep_input=False):
    b = GraphBuilder(f"{opname.lower()}", rng)
    (s1, z1), (s2, z2) = (scale(rng), zero_point(rng)), (scale(rng), zero_point(rng))
    a = b.input(a_shape, scale=s1, zero_point=z1)
    if same_input:
        bb = a
        s2 = s1
    elif const_b:
        bb = const_tensor(b, b_shape, rng, s2, z2)
    else:
        bb = b.input(b_shape, scale=s2, zero_point=z2)
    out_shape = tuple(np.broadcast_shapes(b.g.tensors[a].shape, b.g.tensors[bb].shape))
    so = max(s1, s2) * 2 * rng.uniform(0.4, 2.5) if opname == "ADD" else s1 * s2 * 128 * rng.uniform(0.3, 3.0)
    y = b.activation(out_shape, scale=float(so), zero_point=zero_point(rng))
    act = act or list(Activation)[int(rng.integers(len(Activation)))]
    b.op(OPS[opname]((a, bb), (y,), activation=act))
    outs = [y, a] if keep_input else [y]
    return b.finish(*outs)


@pytest.mark.parametrize("opname", sorted(OPS))
def test_random_broadcasts_match_the_reference(opname, variant):
    rng = np.random.default_rng([5, len(opname)])
    cases, chosen = [], set()
    for i in range(40):
        sa, sb = _shapes(rng)
        g = binary_graph(rng, opname, sa, sb, const_b=rng.random() < 0.2, same_input=rng.random() < 0.05)
        chosen.update(kernels_chosen(g))
        cases.append((f"{opname} {sa} {sb} seed-case {i}", g, random_inputs(g, rng)))
    expect = {f"Fast{opname.title()}"} if variant == "fast" else {f"Generic{opname.title()}"}
    assert expect <= chosen
    check_cases(cases)


@pytest.mark.parametrize("opname", sorted(OPS))
def test_in_place_when_the_full_size_input_dies(opname, variant):
    rng = np.random.default_rng([6, len(opname)])
    cases = []
    for i, (sa, sb) in enumerate([((1, 7, 5, 16), (16,)), ((3, 1), (3, 9)), ((2, 3, 4), (2, 3, 4)), ((5,), (1,))]):
        g = binary_graph(rng, opname, sa, sb)
        full = 0 if g.tensors[g.ops[0].inputs[0]].shape == g.tensors[g.outputs[0]].shape else 1
        assert aliased(g, 0, full), "the output should take the bytes of the input that dies"
        cases.append((f"in place {sa} {sb}", g, random_inputs(g, rng)))
        # the same op with the input still needed afterwards: no aliasing, same bits
        g2 = binary_graph(rng, opname, sa, sb, keep_input=True)
        assert not aliased(g2, 0, 0)
        cases.append((f"out of place {sa} {sb}", g2, random_inputs(g2, rng)))
    check_cases(cases)


def test_add_extreme_scale_ratios_and_activations(variant):
    """Very different input scales (a shift of up to 31 on one side) and every fused activation."""
    rng = np.random.default_rng(7)
    cases = []
    for act in Activation:
        for ratio in (1.0, 1e-3, 1e3, 1e-9):
            b = GraphBuilder("add", rng)
            x = b.input((2, 3, 5), scale=0.02, zero_point=zero_point(rng))
            z = b.input((3, 1), scale=0.02 * ratio, zero_point=zero_point(rng))
            y = b.activation((2, 3, 5), scale=0.02 * max(1.0, ratio) * 3, zero_point=zero_point(rng))
            b.op(O.Add((x, z), (y,), activation=act))
            g = b.finish(y)
            cases.append((f"{act.value} ratio {ratio}", g, random_inputs(g, rng)))
    check_cases(cases)


def test_mul_large_multipliers_shift_left(variant):
    """Output scale far below in1*in2: MUL's multiplier needs a left shift."""
    rng = np.random.default_rng(8)
    cases = []
    for factor in (1e-3, 1e-5, 1.0, 30.0, 1 / 128, 1 / 200):
        b = GraphBuilder("mul", rng)
        x = b.input((4, 6), scale=0.05, zero_point=zero_point(rng))
        z = b.input((6,), scale=0.03, zero_point=zero_point(rng))
        y = b.activation((4, 6), scale=0.05 * 0.03 * factor, zero_point=zero_point(rng))
        b.op(O.Mul((x, z), (y,), activation=Activation.NONE))
        g = b.finish(y)
        cases.append((f"factor {factor}", g, random_inputs(g, rng)))
    check_cases(cases)


def test_fast_kernels_fall_back_outside_the_fast_shift_range():
    rng = np.random.default_rng(9)
    b = GraphBuilder("mul", rng)
    x = b.input((4, 6), scale=0.05, zero_point=1)
    z = b.input((6,), scale=0.03, zero_point=2)
    y = b.activation((4, 6), scale=0.05 * 0.03 * 1e-3, zero_point=0)  # needs a left shift
    b.op(O.Mul((x, z), (y,)))
    assert kernels_chosen(b.finish(y)) == ["GenericMul"]
    g = binary_graph(rng, "ADD", (2, 3), (3,))
    assert kernels_chosen(g) == ["FastAdd"]
