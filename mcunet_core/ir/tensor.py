"""Tensors of the int8 graph IR: shape, dtype, quantization and (for constants) data."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np


class DType(str, enum.Enum):
    INT8 = "int8"
    INT16 = "int16"
    INT32 = "int32"
    FLOAT32 = "float32"
    INT4 = "int4"  # constant filters only: values -8..7 held in int8, stored two per byte

    @property
    def numpy(self) -> np.dtype:
        """The array dtype of the tensor's values (int4: their int8 container)."""
        if self is DType.INT4:
            return np.dtype(np.int8)
        return np.dtype(self.value)

    @property
    def itemsize(self) -> int:
        return 1 if self is DType.INT4 else self.numpy.itemsize


@dataclass
class QuantParams:
    """Affine quantization: real = scale * (q - zero_point).

    ``scale`` and ``zero_point`` hold one value (per-tensor) or one per slice along
    ``axis`` (per-channel). Scales stay float32, exactly as the model stores them,
    because TFLite derives its fixed-point multipliers from those float32 values.
    """

    scale: np.ndarray
    zero_point: np.ndarray
    axis: int | None = None

    def __post_init__(self):
        self.scale = np.atleast_1d(np.asarray(self.scale, dtype=np.float32))
        self.zero_point = np.atleast_1d(np.asarray(self.zero_point, dtype=np.int64))
        if self.scale.shape != self.zero_point.shape:
            raise ValueError(f"scale {self.scale.shape} and zero_point {self.zero_point.shape} differ")

    @property
    def per_channel(self) -> bool:
        return self.scale.size > 1

    @property
    def single_scale(self) -> float:
        if self.per_channel:
            raise ValueError("per-channel tensor has no single scale")
        return float(self.scale[0])

    @property
    def single_zero_point(self) -> int:
        if self.zero_point.size != 1 and np.any(self.zero_point != self.zero_point[0]):
            raise ValueError("per-channel zero points differ")
        return int(self.zero_point[0])

    def __eq__(self, other):
        return (
            isinstance(other, QuantParams)
            and self.axis == other.axis
            and np.array_equal(self.scale, other.scale)
            and np.array_equal(self.zero_point, other.zero_point)
        )


@dataclass
class Tensor:
    """One tensor of the graph. Activations have ``data is None``; constants carry it.

    An int4 constant's ``data`` holds its values unpacked (int8 in -8..7); ``nbytes`` is
    its packed size (``ir/int4.py``)."""

    name: str
    shape: tuple[int, ...]
    dtype: DType
    quant: QuantParams | None = None
    data: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self):
        self.shape = tuple(int(d) for d in self.shape)
        self.dtype = DType(self.dtype)
        if self.data is not None:
            if self.dtype is DType.INT4:
                raw = np.asarray(self.data)
                if raw.size and (raw.min() < -8 or raw.max() > 7):
                    raise ValueError(f"tensor {self.name!r}: int4 values must lie in -8..7")
            self.data = np.asarray(self.data, dtype=self.dtype.numpy).reshape(self.shape)

    @property
    def is_constant(self) -> bool:
        return self.data is not None

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    @property
    def nbytes(self) -> int:
        if self.dtype is DType.INT4:
            return (self.size + 1) // 2
        return self.size * self.dtype.itemsize

    def __eq__(self, other):
        if not isinstance(other, Tensor):
            return NotImplemented
        same_data = (self.data is None and other.data is None) or (
            self.data is not None and other.data is not None and np.array_equal(self.data, other.data)
        )
        return (
            self.name == other.name
            and self.shape == other.shape
            and self.dtype == other.dtype
            and self.quant == other.quant
            and same_data
        )
