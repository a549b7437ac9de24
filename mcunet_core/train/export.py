"""A trained, calibrated network (``ArchNet``, ``DsCnnNet``) -> the int8 IR graph, through ``arch_to_graph``.

The quant spec's weights (``arch.WeightBits``) say which filters become int4 tensors (values
-7..7, stored packed); activations stay int8 either way. An int4 layer whose requantization
multiplier would reach 0.5 (``quantize.right_shifts_only``: the engine's fast kernels need a
right shift) is exported with int8 weights instead, and named in ``TorchWeights.kept_int8``.

``TorchWeights`` is the ``WeightSource`` the exporter hands to ``arch_to_graph``: the graph
the NAS measured with ``RandomWeights`` and the deployed graph are built by the same
function, so their ops, shapes and memory plans are the same (constant bytes differ by about
1 %: the engine's requantization records and softmax table depend on the values). The int8
graph's accuracy is measured with the reference interpreter, bit-exact with the firmware.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from ..arch import WeightBits, arch_to_graph
from ..arch.to_ir import LayerValues
from ..errors import UserError
from ..ir import Activation, DType, Graph, QuantParams, Tensor
from ..ir import ops as O
from ..ir import reference
from ..ir.reference.quantize import affine_quantize
from .net import ConvBNAct, IrNet
from .qat import qat_finetune
from .quantize import (WEIGHT_MAX, Ranges, activation_qparams, bias_safe_scales, calibrate, calibration_batches,
                       layer_weights, right_shifts_only, quantize_bias, quantize_weights, weight_scales)
from .train import CLASSIFICATION, TrainSettings

_TO_IR_LAYOUT = {"conv": (0, 2, 3, 1), "depthwise": (1, 2, 3, 0), "fc": (0, 1)}


class TorchWeights:
    """Folded, per-channel int8 (or int4, by ``bits``) weights and calibrated activation ranges of a trained net."""

    def __init__(self, net: IrNet, ranges: Ranges, bits: WeightBits = WeightBits()):
        self.layers = net.ir_layers()
        self.ranges = ranges
        self.bits = bits
        self.kept_int8: list[str] = []  # int4 layers exported at int8 (right_shifts_only)

    def _output(self, name: str) -> QuantParams:
        return activation_qparams(*self.ranges[name])

    def input_quant(self) -> QuantParams:
        return self._output("input")

    def layer(self, name, kind, weight_shape, x, activation) -> LayerValues:
        module = self.layers[name]
        if isinstance(module, ConvBNAct) and (module.kind, module.activation) != (kind, Activation(activation)):
            raise ValueError(f"layer {name}: the network has {module.kind}/{module.activation.value}, "
                             f"the graph wants {kind}/{Activation(activation).value}")
        w, b = layer_weights(module)
        qmax, dtype = self.bits.qmax(name), self.bits.dtype(name)
        scales = bias_safe_scales(weight_scales(w, qmax), b, x.single_scale)
        q = quantize_weights(w, scales, qmax)
        live = q.reshape(q.shape[0], -1).abs().amax(dim=1).numpy() > 0
        if dtype == "int4" and not right_shifts_only(x.single_scale, scales.numpy(), self._output(name).single_scale,
                                                     live):
            self.kept_int8.append(name)
            qmax, dtype = WEIGHT_MAX, "int8"
            scales = bias_safe_scales(weight_scales(w, qmax), b, x.single_scale)
            q = quantize_weights(w, scales, qmax)
        q = q.permute(*_TO_IR_LAYOUT[kind]).numpy().astype(np.int8)
        if q.shape != tuple(weight_shape):
            raise ValueError(f"layer {name}: weights {q.shape}, the graph wants {tuple(weight_shape)}")
        s = scales.numpy()
        return LayerValues(q, s, quantize_bias(b.numpy(), x.single_scale, s), self._output(name), dtype)

    def add(self, name, a, b) -> QuantParams:
        return self._output(name)


def export_graph(net: IrNet, ranges: Ranges, bits: WeightBits = WeightBits()) -> Graph:
    return arch_to_graph(net.arch, TorchWeights(net, ranges, bits))


def quantize_net(net: IrNet, calibration_data, quant, *, qat_data=None, settings: TrainSettings | None = None,
                 progress: bool = True, objective=CLASSIFICATION) -> Graph:
    """The int8 graph of a trained net under ``quant`` (a QuantSpec): min/max calibration on
    ``quant.calibration.samples`` inputs of ``calibration_data``, then, when ``qat_data`` is
    given, ``quant.qat`` quantization-aware fine-tuning on it, on the weight grids of
    ``quant.weights`` (int8 or int4 filters). Write it with ``save_graph``."""
    cal = quant.calibration
    if cal.get("method", "minmax") != "minmax":
        raise UserError(f"quantization {quant.name}: calibration method {cal['method']!r} is not supported (minmax)")
    net.eval()
    bits = WeightBits.from_quant(quant)
    ranges = calibrate(net, calibration_batches(calibration_data, int(cal["samples"]), int(cal["batch_size"])))
    if qat_data is not None:
        ranges = qat_finetune(net, qat_data, ranges, quant.qat, settings or TrainSettings(), progress=progress,
                              bits=bits, objective=objective)
    return export_graph(net, ranges, bits)


def int8_filters(graph: Graph) -> list[str]:
    """The layers whose filters are int8 (under int4: ``keep_int8`` and ``right_shifts_only``'s)."""
    return [graph.tensors[op.inputs[1]].name.removesuffix(":w") for op in graph.ops
            if isinstance(op, (O.Conv2D, O.DepthwiseConv2D, O.FullyConnected))
            and graph.tensors[op.inputs[1]].dtype is DType.INT8]


def with_batch(graph: Graph, n: int) -> Graph:
    """The same graph on ``n`` samples at once: every kernel of the reference interpreter
    treats batch rows independently, so each row's result is the one-sample result."""
    tensors = {name: t if t.is_constant else dataclasses.replace(t, shape=(n, *t.shape[1:]))
               for name, t in graph.tensors.items()}
    return dataclasses.replace(graph, tensors=tensors, ops=list(graph.ops))


def quantize_input(graph: Graph, x: torch.Tensor) -> np.ndarray:
    """NCHW float batch (the task's preprocessing) -> the graph's int8 NHWC input, as a
    TFLite QUANTIZE op would compute it."""
    q = graph.tensors[graph.inputs[0]].quant
    nhwc = x.detach().permute(0, 2, 3, 1).numpy()
    return affine_quantize(nhwc, q.single_scale, q.single_zero_point, -128, 127).astype(np.int8)


def int8_outputs(graph: Graph, x: torch.Tensor, *, keep_all: bool = False) -> dict[str, np.ndarray]:
    """Run the int8 graph on a float batch with the reference interpreter."""
    return reference.run(with_batch(graph, x.shape[0]), [quantize_input(graph, x)], keep_all=keep_all)


def dequantize(t: Tensor, values: np.ndarray) -> np.ndarray:
    return (values.astype(np.float64) - t.quant.single_zero_point) * float(t.quant.single_scale)


def int8_predict(graph: Graph, data, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """(predicted class, label) of every sample of ``data`` by the int8 graph."""
    predicted, labels = [], []
    for x, y in torch.utils.data.DataLoader(data, batch_size=batch_size, shuffle=False):
        predicted.append(int8_outputs(graph, x)[graph.outputs[0]].argmax(axis=1))
        labels.append(y.numpy())
    return np.concatenate(predicted), np.concatenate(labels)


def int8_accuracy(graph: Graph, data, batch_size: int = 64) -> float:
    """Top-1 accuracy of the int8 graph on every sample of ``data``."""
    predicted, labels = int8_predict(graph, data, batch_size)
    return float((predicted == labels).mean()) if len(labels) else 0.0
