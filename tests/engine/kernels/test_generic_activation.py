"""Generic SOFTMAX (fixed-point exp table + C reciprocal), LOGISTIC and HARD_SWISH (tables)."""

from __future__ import annotations

import numpy as np

from graph_factory import GraphBuilder
from mcunet_core.engine.kernels.generic.activation import softmax_exp_table
from mcunet_core.ir import ops as O
from mcunet_core.quant import softmax_params
from test_generic_common import aliased, check_cases, kernels_chosen, random_inputs, scale, shape, zero_point


def softmax_graph(rng, in_shape, in_scale, beta, keep_input=False):
    b = GraphBuilder("softmax", rng)
    x = b.input(in_shape, scale=in_scale, zero_point=zero_point(rng))
    y = b.activation(in_shape, scale=1.0 / 256, zero_point=-128)
    b.op(O.Softmax((x,), (y,), beta=beta))
    return b.finish(*([y, x] if keep_input else [y]))


def test_softmax_random_shapes_scales_and_betas():
    rng = np.random.default_rng(31)
    cases = []
    for i in range(48):
        rank = int(rng.integers(1, 5))
        in_shape = list(shape(rng, rank, 1, 4))
        in_shape[-1] = int(rng.integers(1, 40))
        s = scale(rng, -2.5, 0.3)
        beta = float(rng.choice([1.0, 1.0, rng.uniform(0.2, 3.0)]))
        g = softmax_graph(rng, tuple(in_shape), s, beta, keep_input=rng.random() < 0.3)
        cases.append((f"softmax {in_shape} scale {s:.4g} beta {beta:.3g}", g, random_inputs(g, rng)))
    check_cases(cases)


def test_softmax_in_place_and_classifier_shapes():
    rng = np.random.default_rng(32)
    cases = []
    for in_shape in [(1, 2), (1, 10), (1, 12), (1, 1000), (4, 3)]:
        g = softmax_graph(rng, in_shape, scale(rng, -1.5, -0.5), 1.0)
        assert kernels_chosen(g) == ["GenericSoftmax"] and aliased(g)
        cases.append((f"softmax {in_shape}", g, random_inputs(g, rng)))
    check_cases(cases)


def test_softmax_table_is_cut_where_the_reference_drops_terms():
    """A large input scale: differences beyond diff_min contribute nothing (table shorter than 256)."""
    for s, beta in [(0.5, 1.0), (2.0, 1.0), (0.05, 3.0), (0.003, 1.0)]:
        table = softmax_exp_table(s, beta)
        p = softmax_params(s, beta)
        assert table.size == min(256, -p.diff_min + 1)
        assert table[0] == 2**31 - 1  # exp(0)
    rng = np.random.default_rng(33)
    cases = []
    for s in (0.5, 2.0, 8.0):
        g = softmax_graph(rng, (3, 17), s, 1.0)
        cases.append((f"scale {s}", g, random_inputs(g, rng)))
    check_cases(cases)


def test_softmax_long_uniform_rows_wrap_the_sum():
    """Thousands of equal maxima: the int32 sum of exps wraps and the final shift exceeds 31."""
    rng = np.random.default_rng(34)
    cases = []
    for depth in (2048, 4096, 5000):
        g = softmax_graph(rng, (1, depth), 0.05, 1.0)
        cases.append((f"uniform {depth}", g, [np.full((1, depth), int(rng.integers(-128, 128)), np.int8)]))
    g = softmax_graph(rng, (2, 3000), 0.02, 1.0)
    cases.append(("random 3000", g, random_inputs(g, rng)))
    check_cases(cases)


def _unary_graph(rng, cls, in_shape, s, z, so, zo):
    b = GraphBuilder(cls.OPCODE.lower(), rng)
    x = b.input(in_shape, scale=s, zero_point=z)
    y = b.activation(in_shape, scale=so, zero_point=zo)
    b.op(cls((x,), (y,)))
    return b.finish(y)


def _all_values(in_shape, rng) -> list[np.ndarray]:
    """Every int8 value at least once (tables are checked entry by entry)."""
    n = int(np.prod(in_shape))
    v = np.resize(np.arange(-128, 128, dtype=np.int8), n)
    rng.shuffle(v)
    return [v.reshape(in_shape)]


def test_logistic_table_random_quantization():
    rng = np.random.default_rng(35)
    cases = []
    for i in range(32):
        in_shape = shape(rng, int(rng.integers(1, 5)), 1, 9)
        in_shape = (*in_shape[:-1], max(in_shape[-1], 256 // max(1, int(np.prod(in_shape[:-1]))) + 1))
        g = _unary_graph(rng, O.Logistic, in_shape, scale(rng, -2.5, -0.3), zero_point(rng), 1.0 / 256, -128)
        assert kernels_chosen(g) == ["GenericLogistic"] and aliased(g)
        cases.append((f"logistic {in_shape}", g, _all_values(in_shape, rng)))
    check_cases(cases)


def test_hard_swish_table_random_quantization():
    rng = np.random.default_rng(36)
    cases = []
    for i in range(32):
        in_shape = (1, 4, 8, int(rng.integers(8, 12)))
        s = scale(rng, -2.5, -0.5)
        g = _unary_graph(rng, O.HardSwish, in_shape, s, zero_point(rng), float(s * rng.uniform(0.02, 3.0)), zero_point(rng))
        cases.append((f"hard_swish {in_shape}", g, _all_values(in_shape, rng)))
    check_cases(cases)
