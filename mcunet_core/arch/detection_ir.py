"""A ``DetectionArch`` -> int8 IR graph: the mbv2 backbone's layers (``arch_to_graph``'s, up to
the last tapped block), then per level the head block and its prediction convolution; the
graph's outputs are the levels' raw int8 prediction maps (N, H, W, anchors x (5 + classes)),
finest first, which the host (and later the device) decodes with ``mcunet_core.detect``.
Layer names are ``DetectionNet``'s: "det<l>.dw", "det<l>.pw", "det<l>.pred"."""

from __future__ import annotations

from ..ir import Activation, Graph
from .detection import DetectionArch
from .to_ir import RandomWeights, WeightSource, _Builder


def detection_to_graph(arch: DetectionArch, source: WeightSource | None = None) -> Graph:
    bb = arch.backbone
    b = _Builder(bb, source or RandomWeights())
    x = b.tensor("input", (1, *bb.input_shape), b.src.input_quant())
    b.g.inputs = [x]
    x = b.conv("stem", x, bb.stem_channels, bb.stem_kernel, bb.stem_stride, "conv", Activation.RELU6)
    taps = arch.taps()
    features = {}
    for i, blk in enumerate(bb.blocks[:max(taps) + 1]):
        h = x
        if blk.expand != 1:
            h = b.conv(f"b{i}.expand", h, blk.hidden, 1, 1, "conv", Activation.RELU6)
        h = b.conv(f"b{i}.dw", h, blk.hidden, blk.kernel, blk.stride, "depthwise", Activation.RELU6)
        h = b.conv(f"b{i}.project", h, blk.out_channels, 1, 1, "conv", Activation.NONE)
        x = b.add(f"b{i}.add", x, h) if blk.residual else h
        features[i] = x
    outputs = []
    for level, (tap, width) in enumerate(zip(taps, arch.head_widths())):
        y = b.conv(f"det{level}.dw", features[tap], 0, 3, 1, "depthwise", Activation.RELU6)
        y = b.conv(f"det{level}.pw", y, width, 1, 1, "conv", Activation.RELU6)
        outputs.append(b.conv(f"det{level}.pred", y, arch.level_outputs(level), 1, 1, "conv", Activation.NONE))
    b.g.outputs = outputs
    b.g.validate()
    return b.g
