"""Fast DEPTHWISE_CONV_2D: 16-bit channel planes, SMLAD on weight pairs, in place.

The C side is ``firmware/kernels/depthwise/`` (scheme in ``mcunet_depthwise.h``): a layer
is one call of a driver (strips or transposed planes) given the job kernel of its kernel size
K in {3, 5, 7} and stride S in {1, 2} along the plane rows; the other stride (1 or 2) and the
depth multiplier are parameters. The generic kernel handles the rest
(dilation, other kernel sizes, batches > 1, int32 accumulator overflow).

Memory: instead of TinyEngine's whole padded plane per channel, each plane is a *strip* of
``strip_rows = K + stride_v * (batch_rows - 1)`` padded rows, filled just in time and slid
down as output rows are produced (a strip of all the rows never slides); ``groups`` channels
are widened together (4 makes the int8 -> int16 widening cheapest). ``batch_rows`` (output
rows per kernel call) and ``groups`` trade instructions for scratch RAM; :func:`choose_layout`
picks them from a small cost model, the board's RAM budget (a hard limit) and whether the
layer sits at the model's activation peak (then each byte of scratch raises the peak and is
charged ``PEAK_BYTE_COST`` instructions). Layers much taller than wide whose rows end in
partial quads (KWS's 25x5) can run *transposed*: the planes hold input columns as rows and
the quads run down the columns (whole planes only).

In place: a write of output channel c only touches input bytes of channel c, and the kernel
has widened every input row such a write can reach before it computes that output row; the
output may then start at the input's address (``InPlace(0, 0)``) whenever the last input row
reached by output row ``oy`` is one the strip already holds. That holds for SAME padding with
stride 1 and 2 and for VALID; :func:`in_place_safe` checks it exactly per layer.

Taps in flash (``tap_format``): int16 pair blocks (w16, the job kernels read them as stored:
7 words per channel for 3x3 stride 1), or the taps themselves, widened at run time: int8 as
stored (w8, K x K bytes + the folded bias word; chosen under flash pressure by
``engine/decisions.py``) and int4 packed (w4, issue 14). The same drivers (``*_w8``, ``*_w4``)
widen each channel group's weight blocks into scratch once, before its first strip batch, so
the job kernels and every bit they compute are the w16 layers'.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...ir import DType
from ...ir.int4 import pack_int4
from ...ir.ops import DepthwiseConv2D
from ..requant import MAX_ABS_ACC, fast_requant_constants
from .base import (
    ConstArg,
    ConstArray,
    ConstStruct,
    InPlace,
    IntArg,
    Kernel,
    KernelCall,
    KernelPlan,
    LoweringContext,
    ScratchArg,
    StructArg,
    TensorArg,
    Work,
)
from .quantized import AccumulatorRequant, bias_or_zeros, narrows_range
from .registry import register

KERNEL_SIZES = (3, 5, 7)
#: C requantization for the clamp and TFLite modes (linked only where a layer uses it).
EPILOGUE_FUNCTION = "mcunet_dw_epilogue"
STRIDES = (1, 2)

REQUANT_FAST_SSAT = 0
REQUANT_FAST_CLAMP = 1
REQUANT_TFLITE = 2

#: Instructions one byte of peak SRAM is worth when a layer's scratch raises the model's
#: activation peak: 1 KB ~ 32 k instructions (~0.3 % of MLPerf VWW's 10 M budget).
PEAK_BYTE_COST = 32

# Cost model of the parts of a layer that depend on the layout (instructions, emulated M7;
# calibrated on VWW/KWS layers): a quad of outputs by (K, stride along the row) and a plane
# row of outputs, widening per element by planes per group (transposed: by the C loops),
# per kernel call per channel and per group, strip slides per moved word.
_QUAD_COST = {(3, 1): 37, (3, 2): 41, (5, 1): 85, (5, 2): 92, (7, 1): 168, (7, 2): 175}
_PAIR_COST = {(3, 1): 26, (3, 2): 26, (5, 1): 54, (5, 2): 60, (7, 1): 104, (7, 2): 108}
_ROW_COST = 12
_WIDEN_COST = {4: 1.9, 2: 2.4, 1: 3.8}
_WIDEN_COST_TRANSPOSED = {4: 2.6, 2: 3.8, 1: 6.3}
_CALL_COST_PER_CHANNEL = 60
_CALL_COST_PER_GROUP = 150
_MOVE_COST_PER_WORD = 0.6
_BATCH_CHOICES = (1, 2, 3, 4, 6, 8, 12, 16)


def function_name(k: int, s: int) -> str:
    return f"mcunet_dwconv_s8_k{k}s{s}"


def words_per_row(k: int, s: int) -> int:
    return k - 1 if s == 1 else (k + 1) // 2


@dataclass(frozen=True)
class DwLayout:
    """Shape-only facts of one layer on the plane kernel, in the plane's frame: when
    ``transposed``, plane rows are the input's columns (heights/widths, strides and pads
    swapped against the op's)."""

    k: int
    stride_h: int  # along a plane row: picks the C function
    stride_v: int  # between plane rows
    in_h: int
    in_w: int
    channels: int
    out_h: int
    out_w: int
    depth_multiplier: int
    pad_top: int
    pad_left: int
    groups: int
    batch_rows: int
    nquads: int
    row_len: int
    transposed: bool = False

    @property
    def pair_tail(self) -> bool:
        """Rows end in a pair of outputs, not a partial quad (== dw_pair_tail() in C)."""
        return self.out_w > 4 and self.out_w % 4 in (1, 2)

    @property
    def strip_rows(self) -> int:
        return self.k + self.stride_v * (self.batch_rows - 1)

    @property
    def function(self) -> str:
        """The C driver of the layer (its scratch is the layer's)."""
        return "mcunet_dw_transposed" if self.transposed else "mcunet_dw_strips"

    @property
    def job_function(self) -> str:
        """The job kernel (assembly) the driver is given."""
        return function_name(self.k, self.stride_h)

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(f"depthwise/{f}.c" for f in (self.function, self.job_function, EPILOGUE_FUNCTION))

    def buffer_size_args(self) -> tuple[int, int, int, int, int]:
        """Arguments of the C ``<function>_get_buffer_size()`` twin."""
        return (self.groups, self.strip_rows, self.row_len, self.batch_rows, self.nquads)

    @property
    def scratch_bytes(self) -> int:
        # == dw_buffer_size() in mcunet_dw_planes.h
        return self.groups * self.strip_rows * self.row_len * 2 + self.batch_rows * self.nquads * 16


def _groups(channels: int, max_groups: int) -> int:
    for g in (4, 2, 1):
        if g <= max_groups and channels >= g:
            return g
    return 1


def layout_cost(layout: DwLayout) -> float:
    """Instructions of the layout-dependent work (requantization does not depend on it)."""
    c_in, c_out = layout.channels, layout.channels * layout.depth_multiplier
    groups = -(-c_in // layout.groups)
    batches = -(-layout.out_h // layout.batch_rows)
    quads = layout.nquads - layout.pair_tail
    row = quads * _QUAD_COST[layout.k, layout.stride_h] + layout.pair_tail * _PAIR_COST[layout.k, layout.stride_h]
    cost = layout.out_h * c_out * (row + _ROW_COST)
    widen = _WIDEN_COST_TRANSPOSED if layout.transposed else _WIDEN_COST
    cost += layout.in_h * layout.in_w * c_in * widen[layout.groups]
    cost += batches * (c_out * _CALL_COST_PER_CHANNEL + groups * _CALL_COST_PER_GROUP)
    if batches > 1:  # every batch after the first slides the strip by K - stride_v rows
        moved = (layout.k - layout.stride_v) * layout.row_len // 2
        cost += (batches - 1) * groups * layout.groups * moved * _MOVE_COST_PER_WORD
    return cost


def layout_candidates(
    k: int, stride: tuple[int, int], in_hw: tuple[int, int], channels: int, out_hw: tuple[int, int],
    pad_top: int, pad_left: int, depth_multiplier: int = 1,
) -> list[DwLayout]:
    """Every layout the kernels can run a layer with: planes per group x output rows per
    batch, and, for layers taller than wide with partial quads, transposed whole planes."""
    sv, sh = stride
    in_h, in_w = in_hw
    out_h, out_w = out_hw
    group_choices = sorted({_groups(channels, m) for m in (4, 2, 1)}, reverse=True)

    def frame(sh, sv, in_h, in_w, out_h, out_w, pad_top, pad_left, transposed):
        nquads = -(-out_w // 4)
        # columns: interior at [pad_left, pad_left + in_w); the last quad reads up to
        # 4 * sh * nquads + k - 1 (partial quads compute throwaway outputs on border columns)
        row_len = max(pad_left + in_w, 4 * sh * nquads + k - 1)
        row_len += row_len & 1  # even: rows stay word aligned for LDM/LDRD
        # a transposed strip holds the whole plane (all input is widened before any write)
        batches = [out_h] if transposed else sorted({b for b in _BATCH_CHOICES if b < out_h} | {out_h})
        return [DwLayout(k, sh, sv, in_h, in_w, channels, out_h, out_w, depth_multiplier, pad_top, pad_left, g, b,
                         nquads, row_len, transposed)
                for g in group_choices for b in batches]

    candidates = frame(sh, sv, in_h, in_w, out_h, out_w, pad_top, pad_left, False)
    if out_w % 4 and out_h > out_w:  # partial quads along short rows: quads down the columns
        candidates += frame(sv, sh, in_w, in_h, out_w, out_h, pad_left, pad_top, True)
    return candidates


def choose_layout(
    k: int, stride: tuple[int, int], in_hw: tuple[int, int], channels: int, out_hw: tuple[int, int],
    pad_top: int, pad_left: int, depth_multiplier: int = 1, ram_budget: int | None = None,
    live_bytes: int = 0, peak_bytes: int | None = None,
) -> DwLayout:
    """The layout of a layer among :func:`layout_candidates`.

    Minimizes :func:`layout_cost` plus ``PEAK_BYTE_COST`` per byte by which
    ``live_bytes + scratch`` exceeds ``peak_bytes`` (the model's activation peak without
    this layer's scratch; ``None``: scratch is free), among layouts whose
    ``live_bytes + scratch`` fits ``ram_budget`` (else the smallest layout). Typical
    outcome: 4 planes and a strip of all rows for small layers; at MLPerf VWW's peak
    (48x48x16 stride 2) 4 planes and one output row per batch (1.3 KB instead of 3 KB,
    +10 % on that layer); KWS's 25x5 layers transposed (-28 %).
    """
    candidates = layout_candidates(k, stride, in_hw, channels, out_hw, pad_top, pad_left, depth_multiplier)

    def score(layout: DwLayout) -> float:
        over = 0 if peak_bytes is None else max(0, live_bytes + layout.scratch_bytes - peak_bytes)
        return layout_cost(layout) + PEAK_BYTE_COST * over

    fitting = [c for c in candidates if ram_budget is None or live_bytes + c.scratch_bytes <= ram_budget]
    if not fitting:
        return min(candidates, key=lambda c: (c.scratch_bytes, layout_cost(c)))
    return min(fitting, key=lambda c: (score(c), c.scratch_bytes))


def in_place_safe(layout: DwLayout) -> bool:
    """May the output start at the input's address? (depth multiplier 1 only.)

    Output row ``oy`` writes pixels [oy * out_w, (oy + 1) * out_w) of the NHWC buffer, i.e.
    input rows up to ``((oy + 1) * out_w - 1) // in_w``; when it is written the strip holds
    input rows up to ``oy * stride_v + k - 1 - pad_top``. Writes beyond the input's last
    row only touch bytes the output alone owns.
    """
    if layout.depth_multiplier != 1:
        return False
    if layout.transposed:  # a group's whole plane is widened before its first write
        return True
    h, w = layout.in_h, layout.in_w
    for oy in range(layout.out_h):
        reached = min(h - 1, ((oy + 1) * layout.out_w - 1) // w)
        filled = oy * layout.stride_v + layout.k - 1 - layout.pad_top
        if filled < h - 1 and reached > filled:
            return False
    return True


def layout_of(ctx: LoweringContext) -> DwLayout:
    """The layer's layout, decided for the whole graph (``engine/decisions.py``: it depends on
    where the model's activation peak is)."""
    return ctx.decisions.depthwise_layout(ctx.index)


def pack_weights(w: np.ndarray, bias2: np.ndarray, k: int, s: int) -> np.ndarray:
    """Per output channel: [bias2, K rows x WPR packed pairs of doubled weights] as int32.

    ``w`` is [K, K, out_c] int8 (TFLite's [1, K, K, out_c] without the 1).
    """
    oc = w.shape[2]
    w2 = 2 * w.astype(np.int64).transpose(2, 0, 1)  # [oc, ky, kx], doubled for the fast requant
    zero = np.zeros((oc, k, 1), dtype=np.int64)
    if s == 1:
        lo = np.concatenate([w2[:, :, 0 : k - 1 : 2], w2[:, :, 1 : k - 1 : 2]], axis=2)
        hi = np.concatenate([w2[:, :, 1 : k - 1 : 2], w2[:, :, 2:k:2]], axis=2)
    else:
        lo = w2[:, :, 0:k:2]
        hi = np.concatenate([w2[:, :, 1:k:2], zero], axis=2)
    words = ((hi & 0xFFFF) << 16) | (lo & 0xFFFF)
    words = np.where(words >= 1 << 31, words - (1 << 32), words)
    block = np.concatenate([bias2.astype(np.int64)[:, None], words.reshape(oc, -1)], axis=1)
    assert block.shape[1] == 1 + k * words_per_row(k, s)
    return block.astype(np.int32)


#: Tap formats of a layer's weights in flash: int16 pair blocks (the fastest: the job kernels
#: read them as stored), int8 taps as stored, int4 taps packed (both widened at run time).
W16, W8, W4 = "w16", "w8", "w4"


#: int32 words of a requantization record the job kernels read (M, C, s); flash keeps 2 of them
#: for w8 / w4 layers (C follows from s and the output zero point).
RECORD_WORDS, PACKED_RECORD_WORDS = 3, 2


def widened_words(layout: DwLayout) -> int:
    """int32 words a w8 / w4 layer widens per channel group (its extra scratch): the group's
    weight blocks, then its requantization records."""
    block = 1 + layout.k * words_per_row(layout.k, layout.stride_h)
    return layout.groups * layout.depth_multiplier * (block + RECORD_WORDS)


def widened_layer_words(layout: DwLayout) -> int:
    """int32 words a w8 / w4 layer widens in all (every channel's block and record once)."""
    block = 1 + layout.k * words_per_row(layout.k, layout.stride_h)
    return layout.channels * layout.depth_multiplier * (block + RECORD_WORDS)


#: Instructions per weight-block word widened from the taps in flash (emulated M7; the int4
#: figure from ``bench/int4_kernel_fit.py``, the int8 one from ``bench/dw_lean_fit.py``).
W4_WIDEN_COST_PER_WORD = 20.4
W8_WIDEN_COST_PER_WORD = 11.4
WIDEN_COST_PER_WORD = {W8: W8_WIDEN_COST_PER_WORD, W4: W4_WIDEN_COST_PER_WORD}


def widen_cost(layout: DwLayout, fmt: str) -> float:
    """Modelled instructions of a w8 / w4 layer's block widening (0 for w16): every channel's
    block once per layer, the drivers widening a group's blocks before its first strip batch
    (layout-cost units, so the depthwise families' coefficients apply)."""
    return 0.0 if fmt == W16 else WIDEN_COST_PER_WORD[fmt] * widened_layer_words(layout)


def w4_widen_cost(layout: DwLayout) -> float:
    return widen_cost(layout, W4)


def tap_format(ctx: LoweringContext) -> str:
    """The layer's taps in flash: w4 for int4 weights, else the whole-graph decision (w16
    without flash pressure, w8 where the budget wants the bytes: ``engine/decisions.py``)."""
    if ctx.inputs[1].dtype is DType.INT4:
        return W4
    return ctx.decisions.depthwise_format(ctx.index)


def _accumulator_bound(w: np.ndarray, bias: np.ndarray) -> int:
    """A bound of |accumulator| / 2 over every partial sum the kernels form: the folded bias
    |bias - zp * sum(w)| plus raw int8 inputs |x| <= 128 (the true accumulator's |x - zp| <=
    255 is covered by the same bound)."""
    wsum = np.abs(w.astype(np.int64)).reshape(-1, w.shape[-1]).sum(axis=0)
    return int(np.max(np.abs(bias.astype(np.int64)) + 256 * wsum))


@register
class DepthwisePlanes(Kernel):
    """Depthwise K x K (K = 3, 5, 7), strides 1/2, any depth multiplier, no dilation, batch 1."""

    OP = DepthwiseConv2D
    PRIORITY = 10
    LATENCY_FAMILY = "depthwise"

    def supports(self, ctx: LoweringContext) -> bool:
        op = ctx.op
        x, w = ctx.inputs[0], ctx.inputs[1]
        b = ctx.inputs[2] if len(ctx.inputs) > 2 else None
        (y,) = ctx.outputs
        if x.dtype is not DType.INT8 or y.dtype is not DType.INT8 or w.dtype not in (DType.INT8, DType.INT4):
            return False
        if len(x.shape) != 4 or x.shape[0] != 1 or len(w.shape) != 4:
            return False
        k = w.shape[1]
        if w.shape[2] != k or k not in KERNEL_SIZES:
            return False
        if tuple(op.dilation) != (1, 1) or any(s not in STRIDES for s in op.stride):
            return False
        if w.quant is None or np.any(w.quant.zero_point != 0):
            return False
        if b is not None and b.dtype is not DType.INT32:
            return False
        if w.data is not None:  # accumulators (doubled) must fit an int32: pathological biases fall back
            bias = bias_or_zeros(b, w.shape[3]) if (b is None or b.data is not None) else np.zeros(w.shape[3])
            if _accumulator_bound(w.data[0], bias) >= MAX_ABS_ACC:
                return False
        return True

    def plan(self, ctx: LoweringContext) -> KernelPlan:
        layout = layout_of(ctx)
        memory = InPlace(0, 0) if in_place_safe(layout) else None
        fmt = tap_format(ctx)
        if fmt == W16:
            return KernelPlan(layout.function, layout.sources, layout.scratch_bytes, memory, layout.buffer_size_args())
        # the same driver on taps in flash, a channel group's blocks widened into scratch
        function, (_, *parts) = f"{layout.function}_{fmt}", layout.sources
        widened = widened_words(layout)
        return KernelPlan(function, (f"depthwise/{function}.c", *parts), layout.scratch_bytes + 4 * widened, memory,
                          (*layout.buffer_size_args(), widened))

    def work(self, ctx: LoweringContext, plan: KernelPlan) -> Work:
        """The layout cost model (quads, widening, calls, strip slides) as one count, plus the
        per-output requantization it leaves out; one family per kernel size and stride."""
        layout = layout_of(ctx)
        outputs = ctx.outputs[0].size
        family = f"{self.LATENCY_FAMILY}_k{ctx.inputs[1].shape[1]}s{max(ctx.op.stride)}"
        cost = layout_cost(layout) + widen_cost(layout, tap_format(ctx))
        return Work(family, ("layout_cost", "outputs", "clamped", "transposed", "layer"),
                    (cost, outputs, outputs if narrows_range(ctx) else 0, outputs if layout.transposed else 0, 1))

    def lower(self, ctx: LoweringContext) -> KernelCall:
        op = ctx.op
        x, w = ctx.inputs[0], ctx.inputs[1]
        b = ctx.inputs[2] if len(ctx.inputs) > 2 else None
        (y,) = ctx.outputs
        layout = layout_of(ctx)
        k, s = layout.k, layout.stride_h
        out_c = y.shape[3]
        rq = AccumulatorRequant.of(x, w, y, op.activation, out_c)
        wk = np.asarray(w.data)[0]  # [K, K, out_c]
        if layout.transposed:  # plane rows are input columns: kernel rows are kernel columns
            wk = wk.transpose(1, 0, 2)
        bias = bias_or_zeros(b, out_c).astype(np.int64)
        bias_folded = bias - rq.input_zp * wk.astype(np.int64).sum(axis=(0, 1))
        block = pack_weights(wk, 2 * bias_folded, k, s)
        fmt = tap_format(ctx)
        if fmt != W16:  # flash keeps word 0 of each block; the taps as stored (widened per group in C)
            block = block[:, :1]

        fast = fast_requant_constants(rq.multiplier, rq.shift, rq.output_zp)
        if fast is None:
            mode = REQUANT_TFLITE
            requant = np.stack([rq.multiplier, np.zeros_like(rq.multiplier), rq.shift], axis=1)
        else:
            mode = REQUANT_FAST_SSAT if (rq.act_min, rq.act_max) == (-128, 127) else REQUANT_FAST_CLAMP
            requant = np.stack([fast.multiplier, fast.rounding, fast.shift], axis=1)
        if fmt != W16:  # (M, s) / (multiplier, shift): the middle word is widened per group
            requant = requant[:, [0, 2]]
        p = ctx.prefix
        consts = [
            ConstArray(f"{p}_wblock", "int32_t", block.reshape(-1)),
            ConstArray(f"{p}_requant", "int32_t", requant.astype(np.int64).astype(np.int32).reshape(-1)),
        ]
        fields = (
            ("k", k), ("block_words", block.shape[1]),
            ("in_h", x.shape[1]), ("in_w", x.shape[2]), ("in_c", layout.channels),
            ("out_h", y.shape[1]), ("out_w", y.shape[2]), ("out_c", out_c),
            ("depth_multiplier", layout.depth_multiplier), ("stride_v", layout.stride_v),
            ("pad_top", op.padding.top), ("pad_left", op.padding.left),
            ("input_zp", rq.input_zp), ("output_zp", rq.output_zp),
            ("act_min", rq.act_min), ("act_max", rq.act_max),
            ("requant_mode", mode), ("transposed", int(layout.transposed)),
            ("groups", layout.groups), ("strip_rows", layout.strip_rows),
            ("row_len", layout.row_len), ("batch_rows", layout.batch_rows), ("nquads", layout.nquads),
            ("wblock", f"{p}_wblock"), ("requant", f"{p}_requant"),
        )
        if fmt != W16:  # channel-major [out_c][K][K] in the plane's frame, int8 or two int4 taps per byte
            taps = wk.transpose(2, 0, 1)
            data = (np.frombuffer(pack_int4(taps), dtype=np.uint8) if fmt == W4
                    else np.ascontiguousarray(taps.astype(np.int8)).reshape(-1))
            consts.append(ConstArray(f"{p}_{fmt}", "uint8_t" if fmt == W4 else "int8_t", data))
            fields = tuple((n, 1 + k * words_per_row(k, s)) if n == "block_words" else (n, v) for n, v in fields)
            fields += (("taps", f"{p}_{fmt}"), ("tap_stride", s))
        struct = ConstStruct(f"{p}_params", "mcunet_dw_params_t", fields)
        args = [StructArg(struct.name), TensorArg(x.name, const=True), TensorArg(y.name), ScratchArg("int16_t"),
                ConstArg(layout.job_function), IntArg(0) if mode == REQUANT_FAST_SSAT else ConstArg(EPILOGUE_FUNCTION)]
        plan = self.plan(ctx)
        label = {W16: "", W8: " int8 taps", W4: " int4 packed"}[fmt]
        comment = (f"{op.OPCODE} {k}x{k} s{tuple(op.stride)}{label} planes={layout.groups} "
                   f"strip={layout.strip_rows}"
                   f"{' transposed' if layout.transposed else ''} {ctx.shapes()}")
        return KernelCall(ctx.index, plan, args, consts, [struct], comment=comment)
