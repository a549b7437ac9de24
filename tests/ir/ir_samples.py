"""Hand-built IR graphs for the IR tests (no importer involved)."""

from __future__ import annotations

import numpy as np

from mcunet_core.ir import Activation, Graph, Padding2D, QuantParams, Tensor
from mcunet_core.ir import ops as O
from mcunet_core.ir.tensor import DType


def q(scale, zp=0, axis=None):
    return QuantParams(np.atleast_1d(np.float32(scale)), np.atleast_1d(zp), axis)


def every_op_graph(seed: int = 0) -> Graph:
    """One op of every class, wired into a valid (and runnable) graph."""
    rng = np.random.default_rng(seed)
    g = Graph("every_op")

    def act(name, shape, scale=0.05, zp=-3, dtype=DType.INT8):
        return g.add_tensor(Tensor(name, tuple(shape), dtype, None if dtype is DType.FLOAT32 else q(scale, zp))).name

    def const(name, data, quant=None, dtype=DType.INT8):
        return g.add_tensor(Tensor(name, np.shape(data), dtype, quant, np.asarray(data))).name

    x = act("image", (1, 8, 8, 3), dtype=DType.FLOAT32)
    xq = act("xq", (1, 8, 8, 3), 0.02, 5)
    g.inputs, g.ops = [x], [O.Quantize((x,), (xq,))]
    wscale = np.float32(rng.uniform(0.002, 0.01, 4))
    w = const("w", rng.integers(-127, 128, (4, 3, 3, 3)), QuantParams(wscale, np.zeros(4, np.int64), 0))
    b = const("b", rng.integers(-300, 300, 4), QuantParams(np.float32(0.02) * wscale, np.zeros(4, np.int64), 0), DType.INT32)
    c1 = act("c1", (1, 4, 4, 4), 0.04, -128)
    g.ops.append(O.Conv2D((xq, w, b), (c1,), stride=(2, 2), dilation=(1, 1), padding=Padding2D(0, 1, 0, 1),
                          activation=Activation.RELU6))
    dw = const("dw", rng.integers(-127, 128, (1, 3, 3, 8)), q(0.01))
    d1 = act("d1", (1, 4, 4, 8), 0.05, 2)
    g.ops.append(O.DepthwiseConv2D((c1, dw, ""), (d1,), stride=(1, 1), dilation=(2, 2), padding=Padding2D(2, 2, 2, 2),
                                   depth_multiplier=2, activation=Activation.RELU_N1_TO_1))
    p1 = act("p1", (1, 2, 2, 8), 0.05, 2)
    g.ops.append(O.AveragePool2D((d1,), (p1,), filter=(2, 2), stride=(2, 2), padding=Padding2D()))
    m1 = act("m1", (1, 2, 2, 8), 0.05, 2)
    g.ops.append(O.MaxPool2D((d1,), (m1,), filter=(3, 3), stride=(2, 2), padding=Padding2D(0, 1, 0, 1),
                             activation=Activation.RELU))
    a1 = act("a1", (1, 2, 2, 8), 0.07, -1)
    g.ops.append(O.Add((p1, m1), (a1,), activation=Activation.NONE))
    k = const("k", rng.integers(-128, 128, (8,)), q(0.03, 4))
    u1 = act("u1", (1, 2, 2, 8), 0.02, 0)
    g.ops.append(O.Mul((a1, k), (u1,)))
    h1 = act("h1", (1, 2, 2, 8), 0.03, -20)
    g.ops.append(O.HardSwish((u1,), (h1,)))
    sl = act("sl", (1, 1, 2, 8), 0.03, -20)
    g.ops.append(O.Slice((h1,), (sl,), begin=(0, 1, 0, 0)))
    ps = act("ps", (1, 2, 2, 8), 0.03, -20)
    g.ops.append(O.Paste((h1, sl), (ps,), origin=(0, 0, 0, 0)))
    pd = act("pd", (1, 3, 4, 8), 0.03, -20)
    g.ops.append(O.Pad((ps,), (pd,), paddings=((0, 0), (1, 0), (0, 2), (0, 0))))
    tr = act("tr", (1, 8, 3, 4), 0.03, -20)
    g.ops.append(O.Transpose((pd,), (tr,), perm=(0, 3, 1, 2)))
    rs = act("rs", (1, 6, 8, 4), 0.03, -20)
    g.ops.append(O.ResizeNearestNeighbor((tr,), (rs,), align_corners=False, half_pixel_centers=True))
    cc = act("cc", (1, 6, 8, 8), 0.03, -20)
    g.ops.append(O.Concatenation((rs, rs), (cc,), axis=-1))
    mn = act("mn", (1, 8), 0.01, 7)
    g.ops.append(O.Mean((cc,), (mn,), axes=(1, -3, 2), keep_dims=False))
    lg = act("lg", (1, 8), 1 / 256, -128)
    g.ops.append(O.Logistic((mn,), (lg,)))
    fw = const("fw", rng.integers(-127, 128, (5, 8)), q(0.01, 2))
    fb = const("fb", rng.integers(-100, 100, (5,)), q(np.float32(1 / 256) * np.float32(0.01)), DType.INT32)
    fc = act("fc", (1, 5), 0.02, 0)
    g.ops.append(O.FullyConnected((lg, fw, fb), (fc,), activation=Activation.RELU, keep_num_dims=True))
    rq = act("rq", (1, 5), 0.03, 9)
    g.ops.append(O.Quantize((fc,), (rq,)))
    sm = act("sm", (1, 5), 1 / 256, -128)
    g.ops.append(O.Softmax((rq,), (sm,), beta=0.75))
    r2 = act("r2", (5,), 1 / 256, -128)
    g.ops.append(O.Reshape((sm,), (r2,)))
    out = act("probs", (5,), dtype=DType.FLOAT32)
    g.ops.append(O.Dequantize((r2,), (out,)))
    g.outputs = [out, c1]
    g.meta = {"note": "hand-built", "numbers": [1, 2.5]}
    g.validate()
    return g
