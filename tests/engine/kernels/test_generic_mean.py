"""Generic MEAN: any axes (negative, repeated, none, all), keep_dims either way, bit-exact."""

from __future__ import annotations

import numpy as np

from graph_factory import GraphBuilder
from mcunet_core.ir import ops as O
from test_generic_common import check_cases, kernels_chosen, random_inputs, scale, shape, zero_point


def mean_graph(rng, in_shape, axes, keep, same_quant=False):
    b = GraphBuilder("mean", rng)
    s, z = scale(rng), zero_point(rng)
    x = b.input(in_shape, scale=s, zero_point=z)
    rank = len(in_shape)
    red = {a % rank for a in axes} if rank else set()
    out_shape = tuple(1 if i in red else d for i, d in enumerate(in_shape)) if keep else tuple(
        d for i, d in enumerate(in_shape) if i not in red)
    so, zo = (s, z) if same_quant else (float(s * rng.uniform(0.2, 2.0)), zero_point(rng))
    y = b.activation(out_shape, scale=so, zero_point=zo)
    b.op(O.Mean((x,), (y,), axes=tuple(axes), keep_dims=keep))
    return b.finish(y)


def test_global_average_over_height_and_width():
    """The axes real models use: NHWC spatial mean (keep_dims either way), incl. VWW/KWS-like shapes."""
    rng = np.random.default_rng(11)
    cases = []
    for hwc in [(3, 3, 256), (25, 5, 64), (6, 6, 128), (1, 1, 10), (7, 9, 3), (48, 48, 8), (2, 1, 5)]:
        for keep in (False, True):
            g = mean_graph(rng, (1, *hwc), (1, 2), keep, same_quant=rng.random() < 0.3)
            assert kernels_chosen(g) == ["GenericMean"]
            cases.append((f"{hwc} keep={keep}", g, random_inputs(g, rng)))
    check_cases(cases)


def test_random_axes_and_ranks():
    rng = np.random.default_rng(12)
    cases = []
    for i in range(64):
        rank = int(rng.integers(0, 6))
        in_shape = shape(rng, rank, 1, 7 if rank < 5 else 4)
        if rank == 0 or rng.random() < 0.1:
            axes = []
        else:
            k = int(rng.integers(1, rank + 1))
            axes = [int(a) for a in rng.choice(rank, size=k, replace=False)]
            axes = [a - rank if rng.random() < 0.3 else a for a in axes]
            if rng.random() < 0.1:
                axes.append(axes[0])  # a repeated axis counts once
        keep = bool(rng.random() < 0.5)
        g = mean_graph(rng, in_shape, axes, keep, same_quant=rng.random() < 0.3)
        cases.append((f"{in_shape} axes {axes} keep={keep}", g, random_inputs(g, rng)))
    check_cases(cases)


def test_large_counts_and_extreme_scale_ratios():
    """Many summed elements (the 1/n folded into the multiplier, shifts near 31) and scale ratios."""
    rng = np.random.default_rng(13)
    cases = []
    for in_shape, axes in [((1, 64, 64, 2), (1, 2)), ((4096,), (0,)), ((2, 3, 700), (0, 2)), ((1, 9, 9, 4), (3,))]:
        for ratio in (1e-3, 0.5, 1.0, 40.0):
            b = GraphBuilder("mean", rng)
            s = 0.05
            x = b.input(in_shape, scale=s, zero_point=zero_point(rng))
            red = set(axes)
            out_shape = tuple(d for i, d in enumerate(in_shape) if i not in red)
            y = b.activation(out_shape, scale=s * ratio, zero_point=zero_point(rng))
            b.op(O.Mean((x,), (y,), axes=axes, keep_dims=False))
            g = b.finish(y)
            x_data = random_inputs(g, rng)
            if rng.random() < 0.5:  # constant inputs: sums at the extremes
                x_data = [np.full(in_shape, int(rng.choice([-128, 127])), dtype=np.int8)]
            cases.append((f"{in_shape} {axes} ratio {ratio}", g, x_data))
    check_cases(cases)
