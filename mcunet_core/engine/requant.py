"""The kernels' fast requantization, mirrored in Python, and when it is exact.

TFLite's MultiplyByQuantizedMultiplier (for a right shift s >= 1) is two roundings:
x = SRDHM(acc, M) = floor((acc*M + 2**30) / 2**31), then RoundingDivideByPOT(x, s), which
rounds half away from zero. Both collapse into one floor:

    r + zp = floor((acc*M + 2**30 + 2**(30+s) - [acc<0] * 2**31) / 2**(31+s)) + zp
           = (SMMLAR(2*acc, M, C) + ((2*acc) >> 31)) >> s,   C = 2**(s-1) + zp * 2**s

so a kernel needs one rounding multiply-accumulate, one add and one shift per output
(plus SSAT). The kernel feeds 2*acc (doubling folded into widened weights and bias, or
one shift). Valid for 1 <= s <= 24 (C must fit in int32) and |2*acc| < 2**31.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_SHIFT = 1
MAX_SHIFT = 24
#: |acc| must stay below this for 2*acc to fit an int32.
MAX_ABS_ACC = 1 << 30


@dataclass(frozen=True)
class FastRequant:
    """Per-channel constants of the fast form (arrays of equal length)."""

    multiplier: np.ndarray  # M, as TFLite's quantized multiplier (Q31, in [2**30, 2**31))
    rounding: np.ndarray  # C = 2**(s-1) + zp * 2**s
    shift: np.ndarray  # s = -tflite_shift, 1..24


def fast_requant_constants(multiplier, shift, output_zero_point: int) -> FastRequant | None:
    """Constants for the fast form, or None when some channel is outside its range.

    ``multiplier``/``shift`` are TFLite's (shift <= 0 means a right shift of -shift).
    Channels with a zero multiplier (all-zero weights) are exact as well: C alone.
    """
    mult = np.atleast_1d(np.asarray(multiplier, dtype=np.int64))
    right = -np.atleast_1d(np.asarray(shift, dtype=np.int64))
    zero_mult = mult == 0
    right = np.where(zero_mult, MIN_SHIFT, right)
    if np.any(right < MIN_SHIFT) or np.any(right > MAX_SHIFT):
        return None
    rounding = (np.int64(1) << (right - 1)) + np.int64(output_zero_point) * (np.int64(1) << right)
    return FastRequant(mult.astype(np.int64), rounding.astype(np.int64), right.astype(np.int64))


def smmlar(a, b, c) -> np.ndarray:
    """ARM SMMLAR: (c * 2**32 + a * b + 2**31) >> 32, truncated to int32."""
    a, b, c = (np.asarray(v, dtype=np.int64) for v in (a, b, c))
    # a*b fits in int64 for int32 operands; c << 32 may wrap, as on the core.
    total = (c << 32) + a * b + (1 << 31)
    r = total >> 32
    return ((r + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def fast_requant(acc, params: FastRequant, channel_axis_len: int | None = None) -> np.ndarray:
    """Requantize int32 accumulators (channels last) exactly as the C kernels do, before clamping."""
    acc2 = np.asarray(acc, dtype=np.int64) * 2
    t = smmlar(acc2, params.multiplier, params.rounding) + (acc2 >> 31)
    return t >> params.shift
