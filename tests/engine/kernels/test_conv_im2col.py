"""KxK convolution through im2col + the pointwise core: any kernel, stride, dilation, padding."""

from __future__ import annotations

import numpy as np
import pytest

from graph_factory import GraphBuilder
from mcunet_core.ir import Activation, Graph, Padding2D
from mcunet_core.ir.ops import conv_output_hw
from test_pointwise import ACTIVATIONS, BOARDS, TIGHT_FLASH, chosen, host_exact, qemu_available, qemu_exact, set_zero_point


def random_conv_chain(seed: int, layers: int = 2) -> Graph:
    rng = np.random.default_rng(seed)
    b = GraphBuilder(f"conv{seed}", rng)
    h, w = (int(v) for v in rng.integers(3, 12, size=2))
    t = b.input((1, h, w, int(rng.integers(1, 10))), zero_point=int(rng.choice([-128, 127, 5])))
    for _ in range(layers):
        _, h, w, _ = b.g.tensors[t].shape
        kernel = (int(rng.integers(1, min(h, 5) + 1)), int(rng.integers(1, min(w, 5) + 1)))
        dilation = (1, 1) if rng.random() < 0.7 else (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        stride = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        choice = rng.random()
        if choice < 0.4:
            padding = "SAME"
        elif choice < 0.6:
            padding = None  # VALID
        else:
            padding = Padding2D(*(int(v) for v in rng.integers(0, 3, size=4)))
        pads = padding if isinstance(padding, Padding2D) else Padding2D()
        if padding != "SAME" and min(conv_output_hw((h, w), kernel, stride, dilation, pads)) < 1:
            padding = "SAME"
        t = b.conv(t, int(rng.integers(1, 18)), kernel=kernel, stride=stride, dilation=dilation, padding=padding,
                   activation=ACTIVATIONS[int(rng.integers(len(ACTIVATIONS)))], per_channel=bool(rng.random() < 0.7))
        if rng.random() < 0.3:
            set_zero_point(b.g, t, int(rng.choice([-128, 127])))
    return b.finish(t)


def _kernels_are_fast(g: Graph, target=None) -> None:
    names = chosen(g, target) if target else chosen(g)
    assert set(names) <= {"Im2colConv2D", "PointwiseConv2D"}, names
    assert "Im2colConv2D" in names


@pytest.mark.parametrize("seed", range(10))
def test_random_convolutions_match_the_reference_on_host(seed, tmp_path):
    g = random_conv_chain(seed)
    _kernels_are_fast(g)
    host_exact(g, tmp_path, seed=seed)


@pytest.mark.parametrize("seed", range(2))
def test_int8_weight_im2col_matches_the_reference_on_host(seed, tmp_path):
    g = random_conv_chain(50 + seed)
    _kernels_are_fast(g, TIGHT_FLASH)
    host_exact(g, tmp_path, TIGHT_FLASH, seed=seed)


def _shaped(name, x_shape, out_c, **kw) -> Graph:
    b = GraphBuilder(name, np.random.default_rng(len(name)))
    return b.finish(b.conv(b.input(x_shape), out_c, **kw))


SHAPES = {
    # VWW's stem and KWS's first layer (10x4 stride 2 SAME on one channel: TinyEngine cannot)
    "vww-stem": ((1, 96, 96, 3), 8, dict(kernel=(3, 3), stride=(2, 2), activation=Activation.RELU)),
    "kws-conv1": ((1, 49, 10, 1), 64, dict(kernel=(10, 4), stride=(2, 2), activation=Activation.RELU)),
    "5x5-rgb": ((1, 15, 13, 3), 6, dict(kernel=(5, 5), stride=(2, 2))),
    "7x7-rgb": ((1, 16, 16, 3), 5, dict(kernel=(7, 7), stride=(2, 2))),
    "1x1-padded": ((1, 4, 5, 6), 3, dict(kernel=(1, 1), padding=Padding2D(1, 0, 2, 1))),
    "dilated": ((1, 11, 10, 4), 7, dict(kernel=(3, 3), dilation=(2, 3))),
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_model_shapes_match_the_reference_on_host(name, tmp_path):
    x_shape, out_c, kw = SHAPES[name]
    g = _shaped(name, x_shape, out_c, **kw)
    assert chosen(g) == ["Im2colConv2D"]
    host_exact(g, tmp_path)


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_model_shapes_match_the_reference_on_qemu(name, tmp_path):
    qemu_available()
    x_shape, out_c, kw = SHAPES[name]
    g = _shaped(name, x_shape, out_c, **kw)
    for board in BOARDS:
        qemu_exact(g, board, tmp_path / board)


@pytest.mark.parametrize("seed", range(6))
def test_random_convolutions_match_the_reference_on_qemu(seed, tmp_path):
    qemu_available()
    g = random_conv_chain(seed)
    qemu_exact(g, BOARDS[seed % 2], tmp_path, TIGHT_FLASH if seed >= 4 else None, seed=seed)
