"""The operators of the int8 graph IR, one dataclass per op.

Each op names its input and output tensors (by tensor name; ``""`` marks an absent
optional input such as a missing bias) and carries only typed attributes. Padding is
stored explicitly (top, bottom, left, right) so that a folded PAD op and TFLite's
SAME/VALID rules are the same thing to every later stage.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from typing import ClassVar

#: opcode name -> op class; filled by ``Op.__init_subclass__``.
OP_CLASSES: dict[str, type["Op"]] = {}


class Activation(str, enum.Enum):
    """A clamp fused into an op's output (in the output's quantized domain)."""

    NONE = "NONE"
    RELU = "RELU"
    RELU6 = "RELU6"
    RELU_N1_TO_1 = "RELU_N1_TO_1"


@dataclass(frozen=True)
class Padding2D:
    top: int = 0
    bottom: int = 0
    left: int = 0
    right: int = 0

    @property
    def is_zero(self) -> bool:
        return not (self.top or self.bottom or self.left or self.right)

    @classmethod
    def same(cls, in_hw, kernel_hw, stride_hw, dilation_hw=(1, 1)) -> "Padding2D":
        """TFLite's SAME rule: the extra row/column of an odd total goes after."""
        pads = []
        for size, k, s, d in zip(in_hw, kernel_hw, stride_hw, dilation_hw):
            out = (size + s - 1) // s
            eff_k = (k - 1) * d + 1
            total = max((out - 1) * s + eff_k - size, 0)
            pads.append((total // 2, total - total // 2))
        (t, b), (l, r) = pads
        return cls(t, b, l, r)


def conv_output_hw(in_hw, kernel_hw, stride_hw, dilation_hw, padding: Padding2D) -> tuple[int, int]:
    """Output height/width of a windowed op with explicit padding."""
    h = (in_hw[0] + padding.top + padding.bottom - ((kernel_hw[0] - 1) * dilation_hw[0] + 1)) // stride_hw[0] + 1
    w = (in_hw[1] + padding.left + padding.right - ((kernel_hw[1] - 1) * dilation_hw[1] + 1)) // stride_hw[1] + 1
    return h, w


@dataclass
class Op:
    """Base of every op. ``OPCODE`` is the TFLite builtin name the op corresponds to."""

    inputs: tuple[str, ...]
    outputs: tuple[str, ...]

    OPCODE: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.OPCODE:
            OP_CLASSES[cls.OPCODE] = cls

    def __post_init__(self):
        self.inputs = tuple(self.inputs)
        self.outputs = tuple(self.outputs)

    def attrs(self) -> dict:
        """The op's attributes (everything but its tensor names)."""
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.name not in ("inputs", "outputs")
        }


@dataclass
class Conv2D(Op):
    """inputs: (x [N,H,W,C], weights [O,KH,KW,C/groups], bias [O] int32 or "").

    Grouped when the filter depth divides the input depth (groups = C / filter depth).
    Padded positions contribute nothing (equivalently: padding with the input zero point).
    """

    stride: tuple[int, int] = (1, 1)
    dilation: tuple[int, int] = (1, 1)
    padding: Padding2D = Padding2D()
    activation: Activation = Activation.NONE
    OPCODE: ClassVar[str] = "CONV_2D"


@dataclass
class DepthwiseConv2D(Op):
    """inputs: (x [N,H,W,C], weights [1,KH,KW,C*M], bias [C*M] or "")."""

    stride: tuple[int, int] = (1, 1)
    dilation: tuple[int, int] = (1, 1)
    padding: Padding2D = Padding2D()
    depth_multiplier: int = 1
    activation: Activation = Activation.NONE
    OPCODE: ClassVar[str] = "DEPTHWISE_CONV_2D"


@dataclass
class FullyConnected(Op):
    """inputs: (x [..., K], weights [O, K], bias [O] or ""); output [rows, O] or kept dims.

    A per-tensor weights zero point is honoured; per-channel weights are symmetric.
    """

    activation: Activation = Activation.NONE
    keep_num_dims: bool = False
    OPCODE: ClassVar[str] = "FULLY_CONNECTED"


@dataclass
class AveragePool2D(Op):
    """Windows are clipped to the input; the average divides by the real element count."""

    filter: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    padding: Padding2D = Padding2D()
    activation: Activation = Activation.NONE
    OPCODE: ClassVar[str] = "AVERAGE_POOL_2D"


@dataclass
class MaxPool2D(Op):
    """Padding never wins the maximum (windows are clipped to the input)."""

    filter: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    padding: Padding2D = Padding2D()
    activation: Activation = Activation.NONE
    OPCODE: ClassVar[str] = "MAX_POOL_2D"


@dataclass
class Add(Op):
    """Elementwise with NumPy-style broadcasting (up to 4-D/5-D as TFLite)."""

    activation: Activation = Activation.NONE
    OPCODE: ClassVar[str] = "ADD"


@dataclass
class Mul(Op):
    activation: Activation = Activation.NONE
    OPCODE: ClassVar[str] = "MUL"


@dataclass
class Mean(Op):
    """inputs: (x,) only; the axes constant is folded into ``axes``."""

    axes: tuple[int, ...] = ()
    keep_dims: bool = False
    OPCODE: ClassVar[str] = "MEAN"


@dataclass
class Pad(Op):
    """inputs: (x,); ``paddings`` is one (before, after) pair per dimension; pads with the zero point."""

    paddings: tuple[tuple[int, int], ...] = ()
    OPCODE: ClassVar[str] = "PAD"


@dataclass
class Reshape(Op):
    """inputs: (x,); the target shape is the output tensor's shape."""

    OPCODE: ClassVar[str] = "RESHAPE"


@dataclass
class Softmax(Op):
    beta: float = 1.0
    OPCODE: ClassVar[str] = "SOFTMAX"


@dataclass
class Concatenation(Op):
    axis: int = -1
    activation: Activation = Activation.NONE
    OPCODE: ClassVar[str] = "CONCATENATION"


@dataclass
class ResizeNearestNeighbor(Op):
    """inputs: (x,); the target size is the output tensor's H and W."""

    align_corners: bool = False
    half_pixel_centers: bool = False
    OPCODE: ClassVar[str] = "RESIZE_NEAREST_NEIGHBOR"


@dataclass
class Transpose(Op):
    perm: tuple[int, ...] = ()
    OPCODE: ClassVar[str] = "TRANSPOSE"


@dataclass
class Quantize(Op):
    """float32 -> int8 at a model's input edge (or int8 -> int8 requantize)."""

    OPCODE: ClassVar[str] = "QUANTIZE"


@dataclass
class Dequantize(Op):
    """int8 -> float32 at a model's output edge."""

    OPCODE: ClassVar[str] = "DEQUANTIZE"


@dataclass
class Logistic(Op):
    OPCODE: ClassVar[str] = "LOGISTIC"


@dataclass
class HardSwish(Op):
    OPCODE: ClassVar[str] = "HARD_SWISH"


@dataclass
class Slice(Op):
    """inputs: (x,); the block of ``x`` starting at ``begin`` with the output's shape (TFLite
    SLICE with constant begin and size). Patch-based inference crops halos with it."""

    begin: tuple[int, ...] = ()
    OPCODE: ClassVar[str] = "SLICE"


@dataclass
class Paste(Op):
    """inputs: (canvas or "", patch); the canvas with ``patch`` written at ``origin`` (an
    absent canvas starts at the output's zero point). mcunet's own op: a patch stage's
    output assembled patch by patch, in place."""

    origin: tuple[int, ...] = ()
    OPCODE: ClassVar[str] = "MCUNET_PASTE"
