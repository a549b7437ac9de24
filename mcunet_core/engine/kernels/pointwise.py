"""Pointwise (1x1) convolution on the register-blocked 2 output channels x 2 pixels core.

The same core (``firmware/kernels/pointwise/mcunet_pw_core_{w16,w8,w4}.c``) also runs KxK
convolutions through im2col (``conv_im2col.py``); fully connected layers are not on it,
because TFLite's reference FULLY_CONNECTED rescales in double precision
(``generic/fully_connected.py``); this module holds what they share: when the fast exact
requantization applies, the weight format for the board's flash, and the packed
per-output-channel-pair records the core reads (layout: ``mcunet_pointwise.h``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...ir import Tensor
from ...ir.ops import Conv2D
from ...quant import multiply_by_quantized_multiplier
from ..requant import MAX_ABS_ACC, fast_requant_constants
from .base import (
    ConstArray,
    ConstStruct,
    InPlace,
    Kernel,
    KernelCall,
    KernelPlan,
    LoweringContext,
    ScratchArg,
    StreamingOverlap,
    StructArg,
    TensorArg,
    Work,
)
from .quantized import AccumulatorRequant, bias_or_zeros, narrows_range
from .registry import register

W16, W8, W4 = "w16", "w8", "w4"
#: w4 cores accumulate 16 x (bias + dot): it must fit an int32 exactly.
MAX_ABS_ACC_W4 = 1 << 27


def groups_of(k: int) -> int:
    """Groups of 4 input channels (taps) the core walks; K is zero-padded to 4."""
    return (k + 3) // 4


#: Widened pixel pairs per core call are capped so their scratch stays about this small.
BATCH_SCRATCH_BYTES = 512
MAX_BATCH = 8


def batch_pairs(k: int, pixels: int) -> int:
    """Pixel pairs widened per core call. Batches save the per-call overhead (~50 instructions
    a pair), which matters only with few input channels (taps): up to 32 of them."""
    if groups_of(k) > 8:
        return 1
    return max(1, min(MAX_BATCH, BATCH_SCRATCH_BYTES // (16 * groups_of(k)), pixels // 2))


def pw_scratch_bytes(in_c: int, batch: int) -> int:
    """Mirror of mcunet_pw_conv_s8_oc2px2_*_get_buffer_size(in_c, batch)."""
    return batch * 16 * groups_of(in_c)


@dataclass(frozen=True)
class CoreLayer:
    """A layer as the core sees it: ``weights`` [O, K] against K-tap pixels."""

    weights: np.ndarray  # int64 [O, K], weight zero point already removed
    bias: np.ndarray  # int64 [O]
    rq: AccumulatorRequant

    @property
    def clamp(self) -> bool:
        return not (self.rq.act_min == -128 and self.rq.act_max == 127)


def core_layer(x: Tensor, w: Tensor, b: Tensor | None, y: Tensor, activation, weight_matrix: np.ndarray,
               rq: AccumulatorRequant | None = None) -> CoreLayer:
    out_c = weight_matrix.shape[0]
    if rq is None:
        rq = AccumulatorRequant.of(x, w, y, activation, out_c)
    return CoreLayer(weight_matrix.astype(np.int64), bias_or_zeros(b, out_c).astype(np.int64), rq)


def int8_tensors(*tensors: Tensor | None) -> bool:
    return all(t is None or t.dtype.value == "int8" for t in tensors)


def core_tensors(x: Tensor, w: Tensor, y: Tensor) -> bool:
    """int8 activations and int8 or int4 weights: what the core computes."""
    return int8_tensors(x, y) and w.dtype.value in ("int8", "int4")


@dataclass(frozen=True)
class CoreConstants:
    """Per-output-channel constants of the core (before packing)."""

    weights: np.ndarray  # int64 [O, K]; zero for constant channels
    bias: np.ndarray  # int64 [O]: bias - input_zp * sum(w), undoubled
    multiplier: np.ndarray  # fast requantization M, C, s per channel
    rounding: np.ndarray
    shift: np.ndarray


_INT32 = (-(1 << 31), (1 << 31) - 1)


def core_constants(layer: CoreLayer, fmt: str = W16) -> CoreConstants | None:
    """The core's constants, or None when it cannot compute this layer bit-exactly.

    Each channel's accumulator range follows from its weights and bias over every int8
    input; TFLite's requantization is monotone in the accumulator, so a channel whose
    range maps to one output value is constant-folded (weights dropped, M = 0). Real
    models have such channels (VWW: all-zero weights with biases of +-2**30 and right
    shifts up to 31). Every other channel needs the fast form's range: right shift
    1..24 and |acc| < 2**30 (2 * acc is what the core requantizes).
    """
    w = layer.weights
    if fmt == W8 and (w.min(initial=0) < -128 or w.max(initial=0) > 127):
        return None
    if fmt == W4 and (w.min(initial=0) < -8 or w.max(initial=0) > 7):
        return None
    if np.abs(w).max(initial=0) > 16383:  # doubled weights must fit int16
        return None
    rq = layer.rq
    zp = rq.input_zp
    lo_term, hi_term = w * (-128 - zp), w * (127 - zp)
    amin = layer.bias + np.minimum(lo_term, hi_term).sum(axis=1)
    amax = layer.bias + np.maximum(lo_term, hi_term).sum(axis=1)
    mult = rq.multiplier.astype(np.int64)
    shift = rq.shift.astype(np.int64)

    def out(acc):
        acc = np.clip(acc, *_INT32)
        return np.clip(multiply_by_quantized_multiplier(acc, mult, shift) + rq.output_zp, rq.act_min, rq.act_max)

    monotone = (amin >= _INT32[0]) & (amax <= _INT32[1]) & (shift <= 0)
    const = monotone & (out(amin) == out(amax))
    live = ~const
    bound = MAX_ABS_ACC_W4 if fmt == W4 else MAX_ABS_ACC
    if np.any(live & ((amin <= -bound) | (amax >= bound))):
        return None
    fast = fast_requant_constants(np.where(live, mult, 0), np.where(live, shift, -1), rq.output_zp)
    if fast is None:
        return None
    value = out(amin)  # the constant channels' output
    weights = np.where(live[:, None], w, 0)
    bias = np.where(live, layer.bias - zp * w.sum(axis=1), 0)
    multiplier = np.where(live, fast.multiplier, 0)
    rounding = np.where(live, fast.rounding, 2 * value + 1)  # (C + sign(0)) >> 1 = value
    shift_out = np.where(live, fast.shift, 1)
    return CoreConstants(weights, bias, multiplier, rounding, shift_out)


def core_supports(layer: CoreLayer, fmt: str = W16) -> bool:
    return core_constants(layer, fmt) is not None


def pack_records(layer: CoreLayer, fmt: str) -> np.ndarray:
    """The core's blob: one record per output-channel pair (int32 words, mcunet_pointwise.h)."""
    cc = core_constants(layer, fmt)
    assert cc is not None, "core_supports() must be checked first"
    out_c, k = cc.weights.shape
    g = groups_of(k)
    pairs = (out_c + 1) // 2
    wp = np.zeros((pairs * 2, g * 4), dtype=np.int64)
    wp[:out_c, :k] = cc.weights

    def padded(values, fill):
        v = np.full(pairs * 2, fill, dtype=np.int64)
        v[:out_c] = values
        return v.reshape(pairs, 2)

    # an odd last channel's partner has zero weights and is never stored
    shifts = padded(cc.shift, 1)
    if fmt == W16:
        bias = padded(2 * cc.bias, 0)
        # per group of 4 taps: {t0, t2, t1, t3} as int16 (SXTB16 even/odd order), doubled
        halves = (2 * wp).reshape(pairs, 2, g, 4)[..., [0, 2, 1, 3]]
        halves = halves.transpose(0, 2, 1, 3).reshape(pairs, g * 8) & 0xFFFF
        wwords = halves[:, 0::2] | (halves[:, 1::2] << 16)
        parts = [bias, bias, wwords, padded(cc.multiplier, 0), padded(cc.rounding, 0), shifts]
    elif fmt == W4:  # one word per group: byte t = oc0 tap t | oc1 tap t << 4; bias x 16 once
        nib = (wp & 0xF).reshape(pairs, 2, g, 4)
        wbytes = nib[:, 0] | (nib[:, 1] << 4)  # [pairs, g, 4]
        wwords = wbytes[..., 0] | (wbytes[..., 1] << 8) | (wbytes[..., 2] << 16) | (wbytes[..., 3] << 24)
        parts = [padded(16 * cc.bias, 0), wwords, padded(cc.multiplier, 0), padded(cc.rounding, 0),
                 (shifts[:, 0] | (shifts[:, 1] << 8))[:, None]]
    else:  # int8 weights in natural order; bias once; both shifts in one word (ASR reads the low byte)
        wbytes = wp.reshape(pairs, 2, g, 4).transpose(0, 2, 1, 3).reshape(pairs, g * 2, 4) & 0xFF
        wwords = wbytes[..., 0] | (wbytes[..., 1] << 8) | (wbytes[..., 2] << 16) | (wbytes[..., 3] << 24)
        parts = [padded(cc.bias, 0), wwords, padded(cc.multiplier, 0), padded(cc.rounding, 0),
                 (shifts[:, 0] | (shifts[:, 1] << 8))[:, None]]
    if layer.clamp:
        rq = layer.rq
        parts.append(np.full((pairs, 1), (rq.act_min & 0xFF) * 0x01010101, dtype=np.int64))
        parts.append(np.full((pairs, 1), (rq.act_max & 0xFF) * 0x01010101, dtype=np.int64))
    words = np.concatenate(parts, axis=1).reshape(-1) & 0xFFFFFFFF
    return words.astype(np.uint32).view(np.int32)


def weight_format(ctx: LoweringContext) -> str:
    """The layer's weight format, decided for the whole graph (``engine/decisions.py``):
    int16 pre-widened weights (fast, exact for int8 and int4 alike) unless the flash budget
    cannot hold them, else the weights as stored: int8, or int4 kept packed."""
    fmt = ctx.decisions.weight_format(ctx.index)
    if fmt == W8 and ctx.inputs[1] is not None and ctx.inputs[1].dtype.value == "int4":
        return W4
    return fmt


def core_work(ctx: LoweringContext, taps: int, batch: int) -> tuple[float, ...]:
    """Work counts of the 2 output channels x 2 pixels core: per pixel-pair batch, widen it,
    then run every channel pair over it (4 taps per inner iteration), requantize 4 outputs."""
    (y,) = ctx.outputs
    pairs = (y.shape[1] * y.shape[2] + 1) // 2
    oc_pairs = (y.shape[3] + 1) // 2
    blocks = pairs * oc_pairs
    return (blocks * groups_of(taps), blocks, blocks if narrows_range(ctx) else 0, pairs * groups_of(taps),
            math.ceil(pairs / batch) * oc_pairs, 1)


CORE_WORK_NAMES = ("taps", "outputs", "clamped", "widened", "calls", "layer")


# ---- the pointwise kernel ------------------------------------------------------------

def reverse_in_place_delta(in_unit: int, out_unit: int, units: int) -> int:
    """Lowest output offset (bytes from the input's) for a pixel-pair kernel that walks the
    pixels from the last to the first: the mirror image of the forward StreamingOverlap bound.

    Walking backwards, an expanding layer (out_unit > in_unit) grows its output upwards over
    input pixels it has already consumed, so output and input need about the output's bytes
    (VWW 48x48x8 -> 16: the output starts 8 bytes below the input).
    """
    if units <= 1:
        return 0  # the only pixel is read before anything is written
    mirrored = StreamingOverlap(0, in_unit, out_unit, units, units, dead_slope=1, dead_bias=1).max_delta()
    return units * (in_unit - out_unit) - mirrored


def pw_struct(name: str, out_hw: tuple[int, int], in_row_step: int, in_px_step: int, in_c: int, out_c: int,
              clamp: bool, blob: str, reverse: bool = False) -> ConstStruct:
    fields = (
        ("out_h", out_hw[0]), ("out_w", out_hw[1]),
        ("in_row_step", in_row_step), ("in_px_step", in_px_step),
        ("in_c", in_c), ("out_c", out_c), ("clamp", int(clamp)), ("reverse", int(reverse)),
        ("batch", batch_pairs(in_c, out_hw[0] * out_hw[1])), ("blob", blob),
    )
    return ConstStruct(name, "mcunet_pw_params_t", fields)


def pw_function(fmt: str) -> str:
    return f"mcunet_pw_conv_s8_oc2px2_{fmt}"


def pw_sources(fmt: str) -> tuple[str, ...]:
    return (f"pointwise/{pw_function(fmt)}.c", f"pointwise/mcunet_pw_core_{fmt}.c")


def pw_call(ctx: LoweringContext, plan: KernelPlan, layer: CoreLayer, fmt: str, out_hw, in_row_step, in_px_step,
            comment: str, reverse: bool = False) -> KernelCall:
    x, y = ctx.inputs[0], ctx.outputs[0]
    p = ctx.prefix
    blob = ConstArray(f"{p}_blob", "int32_t", pack_records(layer, fmt))
    in_c, out_c = layer.weights.shape[1], layer.weights.shape[0]
    struct = pw_struct(f"{p}_params", out_hw, in_row_step, in_px_step, in_c, out_c, layer.clamp, blob.name, reverse)
    args = [StructArg(struct.name), TensorArg(x.name, const=True), TensorArg(y.name), ScratchArg("int16_t")]
    return KernelCall(ctx.index, plan, args, [blob], [struct], comment=comment)


@register
class PointwiseConv2D(Kernel):
    """1x1 CONV_2D without padding, any stride: pixel pairs through the 2x2 core."""

    OP = Conv2D
    PRIORITY = 20
    LATENCY_FAMILY = "pointwise"

    @staticmethod
    def _shape_ok(ctx: LoweringContext) -> bool:
        op = ctx.op
        x, w, b = ctx.inputs
        (y,) = ctx.outputs
        if w is None or w.data is None or not core_tensors(x, w, y):
            return False
        if w.shape[1:3] != (1, 1) or w.shape[3] != x.shape[3] or not op.padding.is_zero:
            return False
        if np.any(w.quant.zero_point != 0):
            return False
        return x.shape[0] == 1 or tuple(op.stride) == (1, 1)

    def _layer(self, ctx: LoweringContext) -> CoreLayer:
        x, w, b = ctx.inputs
        (y,) = ctx.outputs
        return core_layer(x, w, b, y, ctx.op.activation, w.data.reshape(w.shape[0], -1))

    def supports(self, ctx: LoweringContext) -> bool:
        return self._shape_ok(ctx) and core_supports(self._layer(ctx), weight_format(ctx))

    @staticmethod
    def _reverse(ctx: LoweringContext) -> bool:
        """Expanding stride-1 layers walk the pixels backwards (output grows upwards)."""
        return tuple(ctx.op.stride) == (1, 1) and ctx.outputs[0].shape[3] > ctx.inputs[0].shape[3]

    def plan(self, ctx: LoweringContext) -> KernelPlan:
        x = ctx.inputs[0]
        (y,) = ctx.outputs
        n, h, w, c = x.shape
        _, oh, ow, oc = y.shape
        if self._reverse(ctx):
            rule = InPlace(0, reverse_in_place_delta(c, oc, n * h * w))
        elif tuple(ctx.op.stride) == (1, 1):  # pixel by pixel, a pair read before it is written
            rule = StreamingOverlap(0, c, oc, n * h * w, n * oh * ow, dead_slope=1, dead_bias=1)
        else:  # output row r reads input row r * stride_h and later ones
            rule = StreamingOverlap(0, w * c, ow * oc, h, oh, dead_slope=ctx.op.stride[0], dead_bias=0)
        fmt = weight_format(ctx)
        batch = batch_pairs(c, n * oh * ow)
        return KernelPlan(pw_function(fmt), pw_sources(fmt), pw_scratch_bytes(c, batch), rule, (c, batch))

    def work(self, ctx: LoweringContext, plan: KernelPlan) -> Work:
        taps, batch = plan.buffer_size_args
        return Work(f"{self.LATENCY_FAMILY}_{weight_format(ctx)}", CORE_WORK_NAMES, core_work(ctx, taps, batch))

    def lower(self, ctx: LoweringContext) -> KernelCall:
        x = ctx.inputs[0]
        (y,) = ctx.outputs
        n, h, w, c = x.shape
        _, oh, ow, _ = y.shape
        sh, sw = ctx.op.stride
        if (sh, sw) == (1, 1):
            out_hw, row_step, px_step = (1, n * oh * ow), 0, c
        else:
            out_hw, row_step, px_step = (oh, ow), sh * w * c, sw * c
        fmt = weight_format(ctx)
        reverse = self._reverse(ctx)
        order = ", last pixel first" if reverse else ""
        return pw_call(ctx, self.plan(ctx), self._layer(ctx), fmt, out_hw, row_step, px_step,
                       f"CONV_2D 1x1 ({fmt} weights{order}) {ctx.shapes()}", reverse)
