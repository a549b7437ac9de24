"""TFLite's INT4 packing: two values per byte, flat over the tensor, low nibble first.

Element ``2i`` is the low nibble of byte ``i``, element ``2i + 1`` its high nibble; an odd
element count leaves the last byte's high nibble spare (written 0, ignored on reading),
as TFLite's ``tensor_utils::UnpackDenseInt4IntoInt8`` reads it. The IR holds int4
constants unpacked, as int8 values in -8..7; packing is a storage concern.
"""

from __future__ import annotations

import numpy as np

INT4_MIN, INT4_MAX = -8, 7


def packed_len(count: int) -> int:
    """Bytes of ``count`` packed int4 values."""
    return (int(count) + 1) // 2


def pack_int4(values) -> bytes:
    """int values in -8..7 (any shape, C order) -> packed bytes, low nibble first."""
    v = np.asarray(values, dtype=np.int64).reshape(-1)
    if v.size and (v.min() < INT4_MIN or v.max() > INT4_MAX):
        raise ValueError(f"int4 values must lie in {INT4_MIN}..{INT4_MAX}")
    if v.size % 2:
        v = np.append(v, 0)
    return ((v[0::2] & 0xF) | ((v[1::2] & 0xF) << 4)).astype(np.uint8).tobytes()


def unpack_int4(data: bytes, count: int) -> np.ndarray:
    """The first ``count`` int4 values of packed ``data`` as int8 (sign-extended)."""
    b = np.frombuffer(bytes(data), dtype=np.uint8)[: packed_len(count)].astype(np.int16)
    nibbles = np.stack([b & 0xF, b >> 4], axis=1).reshape(-1)[:count]
    return (((nibbles ^ 8) - 8)).astype(np.int8)
