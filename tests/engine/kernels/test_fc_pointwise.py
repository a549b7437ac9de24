"""FULLY_CONNECTED on the pointwise core (rows as pixels): bit-exact with the reference."""

from __future__ import annotations

import numpy as np
import pytest

from graph_factory import GraphBuilder
from mcunet_core.ir import Graph, QuantParams
from test_pointwise import ACTIVATIONS, BOARDS, TIGHT_FLASH, chosen, host_exact, qemu_available, qemu_exact


def random_fc(seed: int, weight_zero_point: int = 0) -> Graph:
    rng = np.random.default_rng(seed)
    b = GraphBuilder(f"fc{seed}", rng)
    rows, depth = int(rng.integers(1, 8)), int(rng.integers(1, 70))
    x = b.input((rows, depth), zero_point=int(rng.choice([-128, 127, 3])))
    per_channel = bool(rng.random() < 0.4) and not weight_zero_point
    y = b.fully_connected(x, int(rng.integers(1, 21)), activation=ACTIVATIONS[int(rng.integers(len(ACTIVATIONS)))],
                          bias=bool(rng.random() < 0.8), per_channel=per_channel)
    if weight_zero_point:
        w = b.g.tensors[b.g.ops[0].inputs[1]]
        w.quant = QuantParams(w.quant.scale, [weight_zero_point])
    return b.finish(y)


@pytest.mark.parametrize("seed", range(6))
def test_random_fully_connected_match_the_reference_on_host(seed, tmp_path):
    g = random_fc(seed)
    assert chosen(g) == ["FullyConnectedPointwise"]
    host_exact(g, tmp_path, seed=seed)


def test_per_tensor_weight_zero_point_is_folded_into_int16_weights(tmp_path):
    g = random_fc(9, weight_zero_point=-7)
    assert chosen(g) == ["FullyConnectedPointwise"]
    assert chosen(g, TIGHT_FLASH) == ["GenericFullyConnected"]  # w - zp may leave int8
    host_exact(g, tmp_path)


@pytest.mark.parametrize("seed", range(4))
def test_random_fully_connected_match_the_reference_on_qemu(seed, tmp_path):
    qemu_available()
    g = random_fc(20 + seed)
    qemu_exact(g, BOARDS[seed % 2], tmp_path, TIGHT_FLASH if seed == 3 else None, seed=seed)
