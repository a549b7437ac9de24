"""Which layers of an architecture store 4-bit weights, from a quant spec's ``weights``.

``dtype: int4`` gives every convolution, depthwise and classifier filter TFLite's INT4 (values
-7..7 at scale ``max|w| / 7``, as ai-edge-quantizer's symmetric int4: its clip range is -8..7,
but the max-abs scale never reaches -8); ``keep_int8: [first, last]`` keeps the stem
convolution and the classifier at int8, as the MCUNet paper does. Both families name those
layers ``stem`` and ``fc``.
"""

from __future__ import annotations

from dataclasses import dataclass

#: ``keep_int8`` entries -> the layer names both families give them
NAMED_LAYERS = {"first": "stem", "last": "fc"}
QMAX = {8: 127, 4: 7}


@dataclass(frozen=True)
class WeightBits:
    """Weight bits per layer: ``bits`` for all but the ``int8`` layer names."""

    bits: int = 8
    int8: frozenset = frozenset()

    @classmethod
    def from_quant(cls, quant) -> "WeightBits":
        """A quant spec's (None: int8 everywhere)."""
        weights = getattr(quant, "weights", None) or {}
        if weights.get("dtype", "int8") == "int8":
            return cls()
        return cls(4, frozenset(NAMED_LAYERS[k] for k in weights.get("keep_int8") or ()))

    def of(self, layer: str) -> int:
        return 8 if layer in self.int8 else self.bits

    def qmax(self, layer: str) -> int:
        """The largest weight magnitude of ``layer`` (127 or 7)."""
        return QMAX[self.of(layer)]

    def dtype(self, layer: str) -> str:
        return f"int{self.of(layer)}"

    def to_json(self) -> dict:
        return {"bits": self.bits, "int8_layers": sorted(self.int8)}
