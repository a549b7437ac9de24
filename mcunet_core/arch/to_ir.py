"""Architecture -> int8 IR graph (int4 filters where the source says), with the values of a ``WeightSource``.

One mapping from architecture to operators serves two callers: the NAS builds graphs with
``RandomWeights`` (shapes are what matter: the engine's planner gives the exact peak SRAM and
its lowering the exact constant bytes), and the exporter builds the deployed graph with the
trained, quantized values. Layer names are how a source tells the layers apart: mbv2
("stem", "b3.expand", "b3.dw", "b3.project", "b3.add", "head", "fc") and DS-CNN ("stem",
"b3.dw", "b3.pw", "fc").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..ir import Activation, Graph, Padding2D, QuantParams, Tensor
from ..ir import ops as O
from .arch import Arch
from .bits import WeightBits
from .dscnn import DsCnnArch, pair
from .family import AnyArch


@dataclass
class LayerValues:
    """A conv / depthwise / fully connected layer's int8 (or int4) weights, int32 bias and output quantization."""

    weights: np.ndarray  # int8 values, IR layout: conv [O,KH,KW,I], depthwise [1,KH,KW,C], FC [O,I]
    weight_scales: np.ndarray  # float32, one per output channel
    bias: np.ndarray  # int32, one per output channel
    output: QuantParams  # per-tensor
    dtype: str = "int8"  # the weights' IR dtype: "int4" holds values -8..7


class WeightSource(Protocol):
    def input_quant(self) -> QuantParams: ...

    def layer(self, name: str, kind: str, weight_shape: tuple[int, ...], x: QuantParams,
              activation: Activation) -> LayerValues: ...

    def add(self, name: str, a: QuantParams, b: QuantParams) -> QuantParams: ...


class RandomWeights:
    """Plausible random values: enough for memory, flash and latency figures, not for accuracy.

    Requantization multipliers ``s_x * s_w / s_y`` are those of a layer whose output scale
    grows like ``sqrt(fan_in)`` (accumulators land mostly inside int8, so kernels are chosen
    as for a trained model). Output scales are what min/max calibration gives a trained
    network where the kernels' constants depend on them: a ReLU6 output at most 6/255 (its
    range never narrows int8, so no clamp records), logits over [-6, 6] (the softmax keeps its
    whole exp table); elsewhere the input's, so scales do not compound through deep networks
    and overflow float32. With 4-bit ``bits`` a layer's int8 values are rescaled to -7..7 (its
    scales by 127 / 7): the int8 graph's random stream, so an int8 search measures what it did."""

    #: logits of a trained classifier span about [-6, 6] (the exp table is whole below a span of 15)
    LOGIT_SCALE = 12.0 / 255

    def __init__(self, seed: int = 0, bits: WeightBits = WeightBits()):
        self.rng = np.random.default_rng(seed)
        self.bits = bits

    def input_quant(self) -> QuantParams:
        return QuantParams([1.0 / 255], [-128])

    def layer(self, name, kind, weight_shape, x, activation) -> LayerValues:
        channels = weight_shape[3] if kind == "depthwise" else weight_shape[0]
        fan_in = int(np.prod(weight_shape)) // channels
        scales = self.rng.uniform(0.002, 0.02, channels).astype(np.float32)
        gain = float(np.mean(scales)) * 40.0 * np.sqrt(fan_in)  # output scale / input scale
        zp = -128 if activation in (Activation.RELU, Activation.RELU6) else 0
        out_scale = x.single_scale
        if activation is Activation.RELU6:
            out_scale = min(out_scale, 6.0 / 255)
        if kind == "fc":
            out_scale = self.LOGIT_SCALE
        values = self.rng.integers(-127, 128, weight_shape).astype(np.int8)
        scales = (scales / np.float32(gain) * np.float32(out_scale / x.single_scale)).astype(np.float32)
        bias = self.rng.integers(-2000, 2000, channels).astype(np.int32)
        qmax = self.bits.qmax(name)
        if qmax != 127:
            values = np.rint(values * (qmax / 127)).astype(np.int8)
            scales = (scales * np.float32(127 / qmax)).astype(np.float32)
        return LayerValues(values, scales, bias, QuantParams([out_scale], [zp]), self.bits.dtype(name))

    def add(self, name, a, b) -> QuantParams:
        return QuantParams([max(a.single_scale, b.single_scale) * 1.5], [0])


class _Builder:
    def __init__(self, arch: AnyArch, source: WeightSource):
        self.g = Graph(arch.name)
        self.src = source

    def tensor(self, name, shape, quant, data=None, dtype="int8") -> str:
        return self.g.add_tensor(Tensor(name, shape, dtype, quant, data)).name

    def conv(self, name: str, x: str, out_c: int, kernel, stride: int, kind: str, activation) -> str:
        """``kernel``: one size (square) or (kh, kw)."""
        xt = self.g.tensors[x]
        _, h, w, c = xt.shape
        kh, kw = pair(kernel)
        if kind == "depthwise":
            wshape = (1, kh, kw, c)
            out_c = c
        else:
            wshape = (out_c, kh, kw, c)
        v = self.src.layer(name, kind, wshape, xt.quant, activation)
        axis = 3 if kind == "depthwise" else 0
        wt = self.tensor(f"{name}:w", wshape, QuantParams(v.weight_scales, np.zeros(out_c), axis), v.weights, v.dtype)
        bias_scales = (np.float32(xt.quant.single_scale) * v.weight_scales).astype(np.float32)
        bt = self.tensor(f"{name}:b", (out_c,), QuantParams(bias_scales, np.zeros(out_c), 0), v.bias, "int32")
        pad = Padding2D.same((h, w), (kh, kw), (stride, stride))
        oh, ow = O.conv_output_hw((h, w), (kh, kw), (stride, stride), (1, 1), pad)
        y = self.tensor(f"{name}:out", (1, oh, ow, out_c), v.output)
        cls = O.DepthwiseConv2D if kind == "depthwise" else O.Conv2D
        self.g.ops.append(cls((x, wt, bt), (y,), stride=(stride, stride), padding=pad, activation=activation))
        return y

    def add(self, name: str, a: str, b: str) -> str:
        ta, tb = self.g.tensors[a], self.g.tensors[b]
        y = self.tensor(f"{name}:out", ta.shape, self.src.add(name, ta.quant, tb.quant))
        self.g.ops.append(O.Add((a, b), (y,)))
        return y

    def classifier(self, x: str, num_classes: int) -> str:
        xt = self.g.tensors[x]
        _, h, w, c = xt.shape
        pooled = self.tensor("pool:out", (1, 1, 1, c), xt.quant)
        self.g.ops.append(O.AveragePool2D((x,), (pooled,), filter=(h, w), stride=(h, w)))
        flat = self.tensor("flatten:out", (1, c), xt.quant)
        self.g.ops.append(O.Reshape((pooled,), (flat,)))
        v = self.src.layer("fc", "fc", (num_classes, c), xt.quant, Activation.NONE)
        wt = self.tensor("fc:w", (num_classes, c), QuantParams(v.weight_scales, np.zeros(num_classes), 0), v.weights,
                         v.dtype)
        bias_scales = (np.float32(xt.quant.single_scale) * v.weight_scales).astype(np.float32)
        bt = self.tensor("fc:b", (num_classes,), QuantParams(bias_scales, np.zeros(num_classes), 0), v.bias, "int32")
        logits = self.tensor("fc:out", (1, num_classes), v.output)
        self.g.ops.append(O.FullyConnected((flat, wt, bt), (logits,)))
        probs = self.tensor("softmax:out", (1, num_classes), QuantParams([1.0 / 256], [-128]))
        self.g.ops.append(O.Softmax((logits,), (probs,)))
        return probs


def arch_to_graph(arch, source: WeightSource | None = None) -> Graph:
    """The int8 IR of ``arch`` (either family, or a ``DetectionArch``: its heads' outputs,
    ``detection_ir``), SAME padding everywhere."""
    from .detection import DetectionArch

    if isinstance(arch, DetectionArch):
        from .detection_ir import detection_to_graph

        return detection_to_graph(arch, source)
    b = _Builder(arch, source or RandomWeights())
    x = b.tensor("input", (1, *arch.input_shape), b.src.input_quant())
    b.g.inputs = [x]
    x = _FEATURES[type(arch)](b, arch, x)
    b.g.outputs = [b.classifier(x, arch.num_classes)]
    b.g.validate()
    return b.g


def _mbv2_features(b: _Builder, arch: Arch, x: str) -> str:
    """ReLU6 after stem/expand/depthwise, linear project, residual adds, optional 1x1 head."""
    x = b.conv("stem", x, arch.stem_channels, arch.stem_kernel, arch.stem_stride, "conv", Activation.RELU6)
    for i, blk in enumerate(arch.blocks):
        h = x
        if blk.expand != 1:
            h = b.conv(f"b{i}.expand", h, blk.hidden, 1, 1, "conv", Activation.RELU6)
        h = b.conv(f"b{i}.dw", h, blk.hidden, blk.kernel, blk.stride, "depthwise", Activation.RELU6)
        h = b.conv(f"b{i}.project", h, blk.out_channels, 1, 1, "conv", Activation.NONE)
        x = b.add(f"b{i}.add", x, h) if blk.residual else h
    if arch.head_channels:
        x = b.conv("head", x, arch.head_channels, 1, 1, "conv", Activation.RELU6)
    return x


def _dscnn_features(b: _Builder, arch: DsCnnArch, x: str) -> str:
    """ReLU (not ReLU6) after the stem and after every depthwise and pointwise convolution."""
    x = b.conv("stem", x, arch.stem_channels, arch.stem_kernel, arch.stem_stride, "conv", Activation.RELU)
    for i, (cin, cout) in enumerate(zip(arch.block_inputs(), arch.block_channels)):
        x = b.conv(f"b{i}.dw", x, cin, arch.block_kernel, 1, "depthwise", Activation.RELU)
        x = b.conv(f"b{i}.pw", x, cout, 1, 1, "conv", Activation.RELU)
    return x


#: each family's layers between the input and the classifier
_FEATURES = {Arch: _mbv2_features, DsCnnArch: _dscnn_features}
