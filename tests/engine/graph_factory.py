"""Test-side builders of small int8 IR graphs with random but realistic quantization.

Used by kernel unit tests (one op, many shapes) and by the randomized whole-graph tests.
Scales are chosen so accumulators land in the int8 output range most of the time
(otherwise every output saturates and a test checks nothing).
"""

from __future__ import annotations

import numpy as np

from mcunet_core.ir import Activation, Graph, Padding2D, QuantParams, Tensor
from mcunet_core.ir import ops as O


class GraphBuilder:
    def __init__(self, name: str, rng: np.random.Generator):
        self.g = Graph(name)
        self.rng = rng
        self._n = 0

    def _name(self, stem: str) -> str:
        self._n += 1
        return f"{stem}{self._n}"

    def activation(self, shape, scale=None, zero_point=None, name=None) -> str:
        scale = float(self.rng.uniform(0.01, 0.1)) if scale is None else scale
        zp = int(self.rng.integers(-128, 128)) if zero_point is None else zero_point
        t = Tensor(name or self._name("t"), tuple(shape), "int8", QuantParams([scale], [zp]))
        return self.g.add_tensor(t).name

    def input(self, shape, **kw) -> str:
        name = self.activation(shape, **kw)
        self.g.inputs.append(name)
        return name

    def weights(self, shape, channel_axis: int, per_channel=True) -> str:
        n = shape[channel_axis] if per_channel else 1
        scales = self.rng.uniform(0.002, 0.02, size=n)
        data = self.rng.integers(-127, 128, size=shape, dtype=np.int64)
        q = QuantParams(scales, np.zeros(n), channel_axis if per_channel else None)
        return self.g.add_tensor(Tensor(self._name("w"), tuple(shape), "int8", q, data)).name

    def bias(self, n: int, x: str, w: str) -> str:
        xs = self.g.tensors[x].quant.single_scale
        ws = self.g.tensors[w].quant.scale
        scales = (xs * np.broadcast_to(ws, (n,))).astype(np.float32)
        data = self.rng.integers(-3000, 3000, size=n)
        return self.g.add_tensor(Tensor(self._name("b"), (n,), "int32", QuantParams(scales, np.zeros(n), 0), data)).name

    def _out_scale(self, x: str, w: str, k: int) -> float:
        """An output scale that keeps a k-term accumulator mostly inside int8."""
        xs = self.g.tensors[x].quant.single_scale
        ws = float(np.mean(self.g.tensors[w].quant.scale))
        return float(xs * ws * 40.0 * np.sqrt(k) * self.rng.uniform(0.5, 2.0))

    def op(self, op: O.Op) -> str:
        self.g.ops.append(op)
        return op.outputs[0]

    def conv(self, x, out_c, kernel=(3, 3), stride=(1, 1), dilation=(1, 1), padding="SAME",
             activation=Activation.NONE, bias=True, per_channel=True) -> str:
        n, h, w_, c = self.g.tensors[x].shape
        w = self.weights((out_c, kernel[0], kernel[1], c), 0, per_channel)
        b = self.bias(out_c, x, w) if bias else ""
        pad = Padding2D.same((h, w_), kernel, stride, dilation) if padding == "SAME" else (padding or Padding2D())
        oh, ow = O.conv_output_hw((h, w_), kernel, stride, dilation, pad)
        y = self.activation((n, oh, ow, out_c), scale=self._out_scale(x, w, kernel[0] * kernel[1] * c))
        return self.op(O.Conv2D((x, w, b), (y,), stride=stride, dilation=dilation, padding=pad, activation=activation))

    def depthwise(self, x, kernel=(3, 3), stride=(1, 1), dilation=(1, 1), padding="SAME", multiplier=1,
                  activation=Activation.NONE, bias=True) -> str:
        n, h, w_, c = self.g.tensors[x].shape
        out_c = c * multiplier
        w = self.weights((1, kernel[0], kernel[1], out_c), 3)
        b = self.bias(out_c, x, w) if bias else ""
        pad = Padding2D.same((h, w_), kernel, stride, dilation) if padding == "SAME" else (padding or Padding2D())
        oh, ow = O.conv_output_hw((h, w_), kernel, stride, dilation, pad)
        y = self.activation((n, oh, ow, out_c), scale=self._out_scale(x, w, kernel[0] * kernel[1]))
        return self.op(O.DepthwiseConv2D((x, w, b), (y,), stride=stride, dilation=dilation, padding=pad,
                                         depth_multiplier=multiplier, activation=activation))

    def fully_connected(self, x, out_features, activation=Activation.NONE, bias=True, per_channel=False) -> str:
        shape = self.g.tensors[x].shape
        k = shape[-1]
        rows = int(np.prod(shape[:-1]))
        w = self.weights((out_features, k), 0, per_channel)
        b = self.bias(out_features, x, w) if bias else ""
        y = self.activation((rows, out_features), scale=self._out_scale(x, w, k))
        return self.op(O.FullyConnected((x, w, b), (y,), activation=activation))

    def pool(self, x, kind=O.AveragePool2D, filter=(2, 2), stride=(2, 2), padding="VALID") -> str:
        n, h, w_, c = self.g.tensors[x].shape
        src = self.g.tensors[x].quant
        pad = Padding2D.same((h, w_), filter, stride) if padding == "SAME" else Padding2D()
        oh, ow = O.conv_output_hw((h, w_), filter, stride, (1, 1), pad)
        y = self.activation((n, oh, ow, c), scale=src.single_scale, zero_point=src.single_zero_point)
        return self.op(kind((x,), (y,), filter=filter, stride=stride, padding=pad))

    def reshape(self, x, shape) -> str:
        src = self.g.tensors[x].quant
        y = self.activation(shape, scale=src.single_scale, zero_point=src.single_zero_point)
        return self.op(O.Reshape((x,), (y,)))

    def add(self, a, b, activation=Activation.NONE) -> str:
        ta, tb = self.g.tensors[a], self.g.tensors[b]
        scale = float(max(ta.quant.single_scale, tb.quant.single_scale) * self.rng.uniform(1.0, 2.0))
        y = self.activation(ta.shape, scale=scale)
        return self.op(O.Add((a, b), (y,), activation=activation))

    def mean(self, x, axes=(1, 2), keep_dims=True) -> str:
        shape = list(self.g.tensors[x].shape)
        for a in axes:
            shape[a] = 1
        if not keep_dims:
            shape = [d for i, d in enumerate(shape) if i not in axes]
        src = self.g.tensors[x].quant
        y = self.activation(shape, scale=src.single_scale * float(self.rng.uniform(0.5, 1.0)))
        return self.op(O.Mean((x,), (y,), axes=tuple(axes), keep_dims=keep_dims))

    def softmax(self, x) -> str:
        y = self.activation(self.g.tensors[x].shape, scale=1.0 / 256, zero_point=-128)
        return self.op(O.Softmax((x,), (y,)))

    def finish(self, *outputs: str) -> Graph:
        self.g.outputs = list(outputs)
        self.g.validate()
        return self.g


def random_input(graph: Graph, rng: np.random.Generator) -> list[np.ndarray]:
    return [rng.integers(-128, 128, size=graph.tensors[n].shape).astype(np.int8) for n in graph.inputs]


def random_mobilenet(rng: np.random.Generator, name: str = "mbnet") -> Graph:
    """A small MCUNet-style network: stem, inverted residual blocks (kernel 3/5/7, expand
    ratio, stride, residual ADD), global pooling, classifier and softmax."""
    b = GraphBuilder(name, rng)
    res = int(rng.choice([16, 20, 24, 31]))
    x = b.input((1, res, res, int(rng.choice([1, 3]))))
    c = int(rng.choice([4, 8, 12]))
    x = b.conv(x, c, kernel=(3, 3), stride=(2, 2), activation=Activation.RELU6)
    for _ in range(int(rng.integers(2, 5))):
        k = int(rng.choice([3, 5, 7]))
        stride = int(rng.choice([1, 2]))
        expand = int(rng.choice([1, 3, 4, 6]))
        out_c = c if stride == 1 and rng.random() < 0.6 else int(rng.choice([8, 12, 16, 20]))
        h = b.conv(x, c * expand, kernel=(1, 1), activation=Activation.RELU6) if expand > 1 else x
        h = b.depthwise(h, kernel=(k, k), stride=(stride, stride), activation=Activation.RELU6)
        h = b.conv(h, out_c, kernel=(1, 1))
        x = b.add(x, h) if stride == 1 and out_c == c else h
        c = out_c
    n, hh, ww, _ = b.g.tensors[x].shape
    if rng.random() < 0.5:
        x = b.pool(x, filter=(hh, ww), stride=(hh, ww))
    else:
        x = b.mean(x)
    x = b.reshape(x, (1, c))
    x = b.fully_connected(x, int(rng.integers(2, 12)))
    return b.finish(b.softmax(x))


def with_int4_weights(graph: Graph, rng: np.random.Generator) -> Graph:
    """``graph`` with every CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED filter redrawn as int4
    (-8..7, zero points 0; scales x 16 so the accumulators keep their int8-sized range; biases'
    scales follow)."""
    for op in graph.ops:
        if not isinstance(op, (O.Conv2D, O.DepthwiseConv2D, O.FullyConnected)):
            continue
        w = graph.tensors[op.inputs[1]]
        if w.data is None:
            continue
        data = rng.integers(-8, 8, size=w.shape)
        data.reshape(-1)[: min(2, data.size)] = (-8, 7)[: min(2, data.size)]
        q = QuantParams(w.quant.scale * 16, np.zeros(w.quant.scale.size), w.quant.axis)
        graph.tensors[w.name] = Tensor(w.name, w.shape, "int4", q, data)
        if len(op.inputs) > 2 and op.inputs[2]:
            b = graph.tensors[op.inputs[2]]
            b.quant = QuantParams(b.quant.scale * 16, b.quant.zero_point, b.quant.axis)
    return graph
