"""Generic QUANTIZE (float32 -> int8 in C float32, int8 -> int8 by table) and DEQUANTIZE."""

from __future__ import annotations

import numpy as np
import pytest

from graph_factory import GraphBuilder
from mcunet_core.engine.lowering import kernel_plans
from mcunet_core.engine.target import HOST
from mcunet_core.ir import ops as O
from test_generic_common import aliased, check_cases, float_input, float_tensor, kernels_chosen, random_inputs, scale, shape, zero_point


def quantize_graph(rng, in_shape, s, z, keep_input=False):
    b = GraphBuilder("quantize", rng)
    x = float_input(b, in_shape)
    y = b.activation(in_shape, scale=s, zero_point=z)
    b.op(O.Quantize((x,), (y,)))
    return b.finish(*([y, x] if keep_input else [y]))


def special_floats(rng, n, s) -> np.ndarray:
    """Exact rounding ties, values just beside them, huge values, infinities and NaN."""
    k = rng.integers(-200, 200, size=n).astype(np.float32)
    ties = (k + np.float32(0.5)) * np.float32(s)
    near = np.nextafter(ties, np.float32(np.inf) * rng.choice([-1, 1], size=n).astype(np.float32))
    wild = rng.choice(np.array([np.inf, -np.inf, np.nan, 3e9, -3e9, 1e38, -1e38, 0.0, -0.0, 2.1e9, -2.2e9], np.float32), size=n)
    picks = rng.integers(0, 3, size=n)
    return np.where(picks == 0, ties, np.where(picks == 1, near, wild)).astype(np.float32)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy on inf/NaN inside the reference
def test_quantize_float_input_random_and_special_values():
    rng = np.random.default_rng(41)
    cases = []
    for i in range(40):
        in_shape = shape(rng, int(rng.integers(1, 5)), 1, 7)
        # powers of two make exact ties survive the float32 division
        s = float(2.0 ** int(rng.integers(-8, 0))) if i % 3 == 0 else scale(rng)
        g = quantize_graph(rng, in_shape, s, zero_point(rng), keep_input=rng.random() < 0.2)
        x = random_inputs(g, rng)[0]
        if i % 2:
            flat = x.reshape(-1)
            m = max(1, flat.size // 2)
            flat[:m] = special_floats(rng, m, s)
        cases.append((f"quantize {in_shape} scale {s:.4g}", g, [x]))
    check_cases(cases)


def test_quantize_float_runs_in_place_when_the_input_dies():
    rng = np.random.default_rng(42)
    g = quantize_graph(rng, (1, 9, 9, 3), 0.02, -5)
    assert kernels_chosen(g) == ["GenericQuantize"] and aliased(g)
    check_cases([("in place", g, random_inputs(g, rng))])


def requantize_graph(rng, in_shape, s, z, so, zo):
    b = GraphBuilder("requantize", rng)
    x = b.input(in_shape, scale=s, zero_point=z)
    y = b.activation(in_shape, scale=so, zero_point=zo)
    b.op(O.Quantize((x,), (y,)))
    return b.finish(y)


def test_requantize_int8_table_and_identity_view():
    rng = np.random.default_rng(43)
    cases = []
    for i in range(32):
        in_shape = (1, 16, int(rng.integers(16, 20)))
        s, z = scale(rng), zero_point(rng)
        so, zo = (float(s * 10 ** rng.uniform(-1.5, 1.5)), zero_point(rng)) if i else (s, z)
        g = requantize_graph(rng, in_shape, s, z, so, zo)
        if i == 0:
            assert kernel_plans(g, HOST)[0].function is None  # same quantization: a view
        else:
            assert kernel_plans(g, HOST)[0].function == "mcunet_lut_s8_generic"
        x = np.resize(np.arange(-128, 128, dtype=np.int8), in_shape)
        cases.append((f"requantize {s:.4g}/{z} -> {so:.4g}/{zo}", g, [x]))
    check_cases(cases)


def dequantize_graph(rng, in_shape, s, z, keep_input=False):
    b = GraphBuilder("dequantize", rng)
    x = b.input(in_shape, scale=s, zero_point=z)
    y = float_tensor(b, in_shape)
    b.op(O.Dequantize((x,), (y,)))
    return b.finish(*([y, x] if keep_input else [y]))


def test_dequantize_random_and_in_place():
    rng = np.random.default_rng(44)
    cases = []
    for i in range(40):
        in_shape = shape(rng, int(rng.integers(1, 5)), 1, 8)
        s = scale(rng, -6, 1) if i % 4 else float(np.float32(rng.uniform(1e-39, 1e-37)))  # subnormal products too
        g = dequantize_graph(rng, in_shape, s, zero_point(rng), keep_input=rng.random() < 0.3)
        if len(g.outputs) == 1:
            assert aliased(g), "a dying input lets the float output start on it"
        cases.append((f"dequantize {in_shape} scale {s:.4g}", g, random_inputs(g, rng)))
    check_cases(cases)
