"""Depthwise channel-plane kernels (K = 3/5/7, strides 1/2, in place): bit-exact with the
reference interpreter.

Host builds run the plain-C paths under ASan/UBSan (they also check that every read of the
strips and accumulators stays in the scratch the plan reserves); QEMU builds run the DSP
assembly on an M7 (h743) and an M4 (f412) profile. Cases: random shapes with odd sizes,
channel counts that are not multiples of 4, extreme zero points, every activation,
per-channel and per-tensor weights, depth multipliers, SAME/VALID/explicit padding; the
planner's in-place layout and a separate (out of place) one; every strip layout (1/2/4
planes, sliding and whole-plane strips); the three requantization epilogues.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from engine_runs import run_host
from graph_factory import GraphBuilder, random_input
from mcunet_core.engine.codegen.render import render
from mcunet_core.engine.compile import write_generated
from mcunet_core.paths import KERNEL_DIR
from mcunet_core.device.host import build_host
from mcunet_core.engine.kernels import depthwise as dw
from mcunet_core.engine.kernels import select_kernel
from mcunet_core.engine.decisions import GraphDecisions, decide, live_activation_bytes
from mcunet_core.engine.kernels.base import InPlace, LoweringContext
from mcunet_core.engine.lowering import kernel_plans, lower, plan_memory
from mcunet_core.engine.target import HOST, Target
from mcunet_core.ir import Activation, Graph, Padding2D, QuantParams
from mcunet_core.ir.ops import DepthwiseConv2D, conv_output_hw
from mcunet_core.ir.reference import run as reference_run

BOARDS = ("h743", "f412")  # Cortex-M7 and Cortex-M4 stand-ins
ACTIVATIONS = [Activation.NONE, Activation.RELU, Activation.RELU6, Activation.RELU_N1_TO_1]


# ---- helpers ---------------------------------------------------------------------------

def set_quant(g: Graph, name: str, scale: float | None = None, zp: int | None = None) -> None:
    t = g.tensors[name]
    t.quant = QuantParams([t.quant.single_scale if scale is None else scale],
                          [t.quant.single_zero_point if zp is None else zp])


def kernels_chosen(g: Graph, target: Target = HOST) -> list[str]:
    return [type(select_kernel(LoweringContext(g, op, i, target, decide(g, target)))).__name__ for i, op in enumerate(g.ops)]


def dw_indices(g: Graph) -> list[int]:
    return [i for i, op in enumerate(g.ops) if isinstance(op, DepthwiseConv2D)]


def assert_fast(g: Graph, target: Target = HOST) -> None:
    names = kernels_chosen(g, target)
    assert all(names[i] == "DepthwisePlanes" for i in dw_indices(g)), names


def expected(g: Graph, inputs) -> list[np.ndarray]:
    ref = reference_run(g, inputs)
    return [ref[n] for n in g.outputs]


def assert_exact(got, want) -> None:
    for a, b in zip(got, want):
        assert a.shape == b.shape
        if not np.array_equal(a, b):
            bad = np.argwhere(a != b)
            raise AssertionError(f"{len(bad)} of {a.size} values differ, first at {bad[0].tolist()}: "
                                 f"{a[tuple(bad[0])]} != {b[tuple(bad[0])]}")


def separate_plan(g: Graph, target: Target):
    """The planner's plan with every tensor and scratch buffer at its own offset: the
    kernels run out of place (what they must also do when the planner declines InPlace)."""
    plan = plan_memory(g, target)
    off = 0
    offsets, scratch = {}, {}
    for name in sorted(plan.tensor_offsets):
        offsets[name] = off
        off = (off + g.tensors[name].nbytes + 15) // 16 * 16 + 8  # odd multiples of 8 apart
    for i, kp in enumerate(kernel_plans(g, target)):
        if kp.scratch_bytes:
            scratch[i] = (off + 7) // 8 * 8
            off = scratch[i] + kp.scratch_bytes
    plan.tensor_offsets, plan.scratch_offsets = offsets, scratch
    plan.tensor_pools, plan.scratch_pools = {}, {}  # everything in the first pool
    plan.pool_bytes = {plan.pools[0].name: off}
    return plan


def host_exact(g: Graph, workdir: Path, target: Target = HOST, seed: int = 0, plan=None,
               decisions: GraphDecisions | None = None) -> None:
    inputs = random_input(g, np.random.default_rng(seed))
    if plan is None:
        got = run_host(g, inputs, workdir, target, decisions=decisions)
    else:
        write_generated(g, render(g, lower(g, target, decisions).calls, plan), workdir, plot=False)
        got = build_host(workdir).run(inputs, workdir)
    assert_exact(got, expected(g, inputs))


def qemu_available() -> None:
    pytest.importorskip("mcunet_core.device.runners.qemu")
    if not (shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc")):
        pytest.skip("qemu-system-arm / arm-none-eabi-gcc not installed")


def qemu_exact(g: Graph, board_name: str, workdir: Path, seed: int = 0, plan=None, opt: str = "O2",
               layouts=None):
    """``layouts``: a function of (graph, target) giving the decisions to lower with."""
    from mcunet_core.device.runners.qemu import QemuRunner
    from mcunet_core.device.toolchain import build_firmware
    from mcunet_core.spec import load_board

    board = load_board(board_name)
    target = Target.from_board(board)
    assert_fast(g, target)
    lowered = lower(g, target, layouts(g, target) if layouts else None)
    model = render(g, lowered.calls, plan or lowered.plan)
    gen = workdir / "gen"
    model.write(gen)
    sources = [gen / "model.c", gen / "weights.c"] + [KERNEL_DIR / s for s in model.kernel_sources]
    fw = build_firmware(board, sources, workdir / "fw", opt=opt, include_dirs=[gen, KERNEL_DIR / "include"])
    inputs = random_input(g, np.random.default_rng(seed))
    run = QemuRunner(board).run(fw.elf, np.ascontiguousarray(inputs[0]).tobytes()).raise_for_status()
    out = g.tensors[g.outputs[0]]
    assert_exact([np.asarray(run.output).view(out.dtype.numpy).reshape(out.shape)], expected(g, inputs))
    return run


def forced_layout(g: Graph, target: Target = HOST, groups: int | None = None, batch_rows: int | None = None,
                  transposed: bool = False) -> GraphDecisions:
    """The graph's decisions with every depthwise layer given these planes per group / output
    rows per batch (transposed: whole transposed planes, for any shape)."""
    decided = decide(g, target)
    layouts = {}
    for i, layout in decided.depthwise_layouts.items():
        if transposed:  # the transposed candidates of the layer seen with rows and columns swapped
            op = g.ops[i]
            _, h, w, c = g.tensors[op.inputs[0]].shape
            _, oh, ow, _ = g.tensors[op.outputs[0]].shape
            k = g.tensors[op.inputs[1]].shape[1]
            swapped = dw.layout_candidates(k, tuple(op.stride)[::-1], (w, h), c, (ow, oh), op.padding.left,
                                           op.padding.top, op.depth_multiplier)
            layout = dataclasses.replace(next(c for c in swapped if not c.transposed), transposed=True)
            nquads = -(-layout.out_w // 4)
            row_len = max(layout.pad_left + layout.in_w, 4 * layout.stride_h * nquads + k - 1)
            layout = dataclasses.replace(layout, batch_rows=layout.out_h, nquads=nquads, row_len=row_len + (row_len & 1))
        gr = dw._groups(layout.channels, groups) if groups else layout.groups
        b = min(batch_rows, layout.out_h) if batch_rows and not layout.transposed else layout.batch_rows
        layouts[i] = dataclasses.replace(layout, groups=gr, batch_rows=b)
    return dataclasses.replace(decided, depthwise_layouts=layouts)


def random_depthwise_graph(seed: int, chain: bool | None = None) -> Graph:
    """One depthwise op with random everything, alone or between pointwise convolutions."""
    rng = np.random.default_rng(seed)
    b = GraphBuilder(f"dw{seed}", rng)
    h, w = (int(v) for v in rng.integers(1, 15, size=2))
    c = int(rng.integers(1, 14))
    zp = int(rng.choice([-128, 127, int(rng.integers(-128, 128))]))
    t = b.input((1, h, w, c), zero_point=zp)
    chain = bool(rng.random() < 0.4) if chain is None else chain
    if chain:
        c = int(rng.integers(1, 14))
        t = b.conv(t, c, kernel=(1, 1))
    k = int(rng.choice(dw.KERNEL_SIZES))
    stride = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    choice = rng.random()
    if choice < 0.6:
        padding = "SAME"
    elif choice < 0.8:
        padding = None  # VALID
    else:
        padding = Padding2D(*(int(v) for v in rng.integers(0, k, size=4)))
    pads = padding if isinstance(padding, Padding2D) else Padding2D()
    if padding != "SAME" and min(conv_output_hw((h, w), (k, k), stride, (1, 1), pads)) < 1:
        padding = "SAME"
    t = b.depthwise(t, kernel=(k, k), stride=stride, padding=padding, multiplier=int(rng.choice([1, 1, 1, 2, 3])),
                    activation=ACTIVATIONS[int(rng.integers(len(ACTIVATIONS)))], bias=bool(rng.random() < 0.85))
    if rng.random() < 0.5:  # the full int8 range is the activation range: the SSAT epilogue
        set_quant(b.g, t, zp=-128)
    elif rng.random() < 0.3:
        set_quant(b.g, t, zp=int(rng.choice([-128, 127])))
    if rng.random() < 0.3:  # per-tensor weights
        wname = b.g.ops[-1].inputs[1]
        wt = b.g.tensors[wname]
        wt.quant = QuantParams([float(np.mean(wt.quant.scale))], [0], None)
    if chain:
        t = b.conv(t, int(rng.integers(1, 9)), kernel=(1, 1), activation=Activation.RELU)
    return b.finish(t)


# ---- constants and plans -------------------------------------------------------------------

def _decode(block: np.ndarray, k: int, s: int) -> np.ndarray:
    """Doubled weights [K, K] of one channel's block, read the way dw_weight() reads them."""
    wpr = dw.words_per_row(k, s)
    words = block[1:].astype(np.int64).reshape(k, wpr) & 0xFFFFFFFF
    lo = ((words & 0xFFFF) ^ 0x8000) - 0x8000
    hi = ((words >> 16) ^ 0x8000) - 0x8000
    out = np.zeros((k, k), dtype=np.int64)
    for kx in range(k):
        if s == 1 and kx == k - 1:
            out[:, kx] = hi[:, k - 2]
        else:
            out[:, kx] = (hi if kx & 1 else lo)[:, kx >> 1]
    return out


@pytest.mark.parametrize("k", dw.KERNEL_SIZES)
@pytest.mark.parametrize("s", dw.STRIDES)
def test_packed_weights_hold_the_doubled_weights_in_the_kernels_order(k, s):
    rng = np.random.default_rng(k * 10 + s)
    w = rng.integers(-128, 128, size=(k, k, 5)).astype(np.int8)
    bias2 = rng.integers(-(1 << 20), 1 << 20, size=5)
    block = dw.pack_weights(w, bias2, k, s)
    assert block.dtype == np.int32 and block.shape == (5, 1 + k * dw.words_per_row(k, s))
    for c in range(5):
        assert block[c, 0] == bias2[c]
        np.testing.assert_array_equal(_decode(block[c], k, s), 2 * w[:, :, c].astype(np.int64))
    if s == 1:  # the assembly's (w1,w2) words: high half of the last word of a row is w[K-1]
        row = block[0, 1 : 1 + dw.words_per_row(k, s)].astype(np.int64) & 0xFFFFFFFF
        assert ((row[-1] >> 16) ^ 0x8000) - 0x8000 == 2 * int(w[0, k - 1, 0])


def test_buffer_sizes_of_the_c_kernels_match_the_python_plans(tmp_path):
    cases = []
    rng = np.random.default_rng(0)
    for i in range(24):
        k, s = int(rng.choice(dw.KERNEL_SIZES)), int(rng.choice(dw.STRIDES))
        h, w, c = int(rng.integers(1, 50)), int(rng.integers(1, 50)), int(rng.integers(1, 70))
        pad = Padding2D.same((h, w), (k, k), (s, s))
        oh, ow = conv_output_hw((h, w), (k, k), (s, s), (1, 1), pad)
        budget = None if i % 3 else int(rng.integers(100, 5000))
        layout = dw.choose_layout(k, (s, s), (h, w), c, (oh, ow), pad.top, pad.left, 1, budget, 0,
                                  int(rng.integers(0, 10000)))
        args = ", ".join(str(a) for a in layout.buffer_size_args())
        cases.append((f"{layout.function}_get_buffer_size({args})", layout.scratch_bytes))
    # and the plan of a lowered layer
    b = GraphBuilder("bs", rng)
    g = b.finish(b.depthwise(b.input((1, 13, 11, 6)), kernel=(5, 5), stride=(2, 1)))
    layout = dw.layout_of(LoweringContext(g, g.ops[0], 0, HOST, decide(g, HOST)))
    cases.append((f"{layout.function}_get_buffer_size({', '.join(map(str, layout.buffer_size_args()))})",
                  kernel_plans(g, HOST)[0].scratch_bytes))
    main = tmp_path / "sizes.c"
    main.write_text('#include <stdio.h>\n#include "mcunet_depthwise.h"\nint main(void)\n{\n'
                    + "".join(f'    printf("%ld\\n", (long){call});\n' for call, _ in cases) + "    return 0;\n}\n")
    sources = [main] + sorted((KERNEL_DIR / "depthwise").glob("*.c"))
    exe = tmp_path / "sizes"
    subprocess.run(["gcc", "-std=c11", "-Wall", "-Werror", f"-I{KERNEL_DIR / 'include'}", *map(str, sources),
                    "-o", str(exe)], check=True)
    printed = [int(v) for v in subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.split()]
    assert printed == [want for _, want in cases]


def _clobbers(layout: dw.DwLayout, batch_rows: int) -> bool:
    """Replay the kernel's order (mcunet_dw_planes_run: widen the rows a batch needs, then write its
    outputs) on one channel of an in-place buffer: is an input row overwritten before it
    was widened while a later output row still needs it?"""
    h, w, k, sv, pt = layout.in_h, layout.in_w, layout.k, layout.stride_v, layout.pad_top
    needed_by = [-1] * h  # last output row reading each input row
    for oy in range(layout.out_h):
        for r in range(oy * sv - pt, oy * sv - pt + k):
            if 0 <= r < h:
                needed_by[r] = oy
    widened = 0  # input rows [0, widened) are in the strip
    for oy0 in range(0, layout.out_h, batch_rows):
        n = min(batch_rows, layout.out_h - oy0)
        widened = max(widened, min(h, (oy0 + n - 1) * sv + k - pt))
        for oy in range(oy0, oy0 + n):
            last_pixel = min((oy + 1) * layout.out_w, h * w) - 1
            if last_pixel >= 0 and any(needed_by[r] >= oy0 for r in range(widened, last_pixel // w + 1)):
                return True
    return False


def test_in_place_rule_is_sound_for_the_kernels_write_order():
    rng = np.random.default_rng(1)
    declared = 0
    for _ in range(3000):
        k, sv, sh = int(rng.choice(dw.KERNEL_SIZES)), int(rng.choice(dw.STRIDES)), int(rng.choice(dw.STRIDES))
        h, w = int(rng.integers(1, 30)), int(rng.integers(1, 30))
        pads = Padding2D(*(int(v) for v in rng.integers(0, k + 2, size=4))) if rng.random() < 0.5 else \
            Padding2D.same((h, w), (k, k), (sv, sh))
        oh, ow = conv_output_hw((h, w), (k, k), (sv, sh), (1, 1), pads)
        if oh < 1 or ow < 1:
            continue
        layout = dw.choose_layout(k, (sv, sh), (h, w), 4, (oh, ow), pads.top, pads.left)
        if layout.transposed:  # whole planes: every input row is widened before the first write
            assert dw.in_place_safe(layout)
            continue
        if dw.in_place_safe(layout):
            declared += 1
            for batch in {1, layout.batch_rows, oh}:
                assert not _clobbers(layout, batch), (layout, batch)
    assert declared > 1000


def test_same_and_valid_padding_run_in_place_at_stride_1_and_2():
    for k in dw.KERNEL_SIZES:
        for s in ((1, 1), (2, 2), (1, 2), (2, 1)):
            for padding in ("SAME", None):
                b = GraphBuilder("ip", np.random.default_rng(k))
                x = b.input((1, 17, 12, 5))
                g = b.finish(b.depthwise(x, kernel=(k, k), stride=s, padding=padding))
                assert kernel_plans(g, HOST)[0].memory == InPlace(0, 0), (k, s, padding)
                plan = plan_memory(g, HOST)
                assert plan.tensor_offsets[g.inputs[0]] == plan.tensor_offsets[g.outputs[0]]
    b = GraphBuilder("dm", np.random.default_rng(0))
    g = b.finish(b.depthwise(b.input((1, 6, 6, 3)), multiplier=2))
    assert kernel_plans(g, HOST)[0].memory is None  # output larger than input: never in place


def test_layout_policy_respects_the_ram_budget_and_the_peak():
    # MLPerf VWW's second block: the stride-2 depthwise sits at the activation peak
    b = GraphBuilder("vwwish", np.random.default_rng(0))
    t = b.input((1, 48, 48, 8))
    t = b.depthwise(t, kernel=(3, 3))
    t = b.conv(t, 16, kernel=(1, 1))
    peak = b.depthwise(t, kernel=(3, 3), stride=(2, 2))
    g = b.finish(b.conv(peak, 32, kernel=(1, 1)))
    free, at_peak = (dw.layout_of(LoweringContext(g, g.ops[i], i, HOST, decide(g, HOST))) for i in (0, 2))
    live = live_activation_bytes(g)
    assert live[2] == max(live) == 48 * 48 * 16
    assert at_peak.scratch_bytes < 2048 < free.scratch_bytes
    assert at_peak.groups == 4
    # a hard RAM budget wins over speed; nothing fits: the smallest layout
    tight = Target("tight", ram_budget=live[0] + 600)
    small = dw.layout_of(LoweringContext(g, g.ops[0], 0, tight, decide(g, tight)))
    assert live[0] + small.scratch_bytes <= tight.ram_budget
    none = dw.layout_of(LoweringContext(g, g.ops[0], 0, Target("none", ram_budget=1), decide(g, Target("none", ram_budget=1))))
    assert (none.groups, none.batch_rows) == (1, 1)
    for layout in (free, at_peak, small, none):
        assert layout.strip_rows == layout.k + layout.stride_v * (layout.batch_rows - 1)
        assert layout.row_len % 2 == 0 and layout.row_len >= layout.pad_left + layout.in_w


def test_unsupported_shapes_fall_back_to_the_generic_kernel():
    b = GraphBuilder("fb", np.random.default_rng(0))
    x = b.input((1, 9, 9, 4))
    y1 = b.depthwise(x, kernel=(3, 3), dilation=(2, 2))
    y2 = b.depthwise(y1, kernel=(3, 5))
    y3 = b.depthwise(y2, kernel=(1, 1))
    y4 = b.depthwise(y3, kernel=(3, 3), stride=(3, 3))
    g = b.finish(y4)
    assert kernels_chosen(g) == ["GenericDepthwiseConv2D"] * 4
    # a bias that could push the doubled accumulator past int32 also falls back
    b = GraphBuilder("bias", np.random.default_rng(0))
    g = b.finish(b.depthwise(b.input((1, 4, 4, 2)), kernel=(3, 3)))
    g.tensors[g.ops[0].inputs[2]].data = np.array([1 << 30, 5], dtype=np.int32)
    assert kernels_chosen(g) == ["GenericDepthwiseConv2D"]


# ---- host: plain-C paths under ASan/UBSan -----------------------------------------------

@pytest.mark.parametrize("seed", range(24))
def test_random_depthwise_matches_the_reference_on_host(seed, tmp_path):
    g = random_depthwise_graph(seed)
    assert_fast(g)
    host_exact(g, tmp_path, seed=seed)


@pytest.mark.parametrize("groups,batch_rows", [(1, 1), (2, 1), (4, 1), (4, 2), (2, 3), (1, 100), (4, 100)])
def test_every_strip_layout_matches_the_reference_on_host(groups, batch_rows, tmp_path):
    # channels 7 = 4 + 2 + 1: every group size; 19 rows: sliding strips with partial batches
    b = GraphBuilder("strips", np.random.default_rng(groups * 10 + batch_rows))
    t = b.input((1, 19, 9, 7), zero_point=127)
    t = b.depthwise(t, kernel=(3, 3), stride=(2, 2), activation=Activation.RELU6)
    t = b.depthwise(t, kernel=(5, 5), activation=Activation.RELU)
    t = b.depthwise(t, kernel=(7, 7), stride=(1, 2), padding=Padding2D(2, 4, 3, 1))
    g = b.finish(t)
    decisions = forced_layout(g, HOST, groups, batch_rows)
    host_exact(g, tmp_path, decisions=decisions)


@pytest.mark.parametrize("groups", [1, 2, 4])
def test_transposed_planes_match_the_reference_on_host(groups, tmp_path):
    # odd and even top padding (pairs of input rows start at even plane columns), odd heights
    b = GraphBuilder("transposed", np.random.default_rng(groups))
    t = b.input((1, 25, 5, 7), zero_point=-128)
    t = b.depthwise(t, kernel=(3, 3), activation=Activation.RELU)
    t = b.depthwise(t, kernel=(5, 5), stride=(2, 1), padding=Padding2D(2, 1, 0, 3))
    t = b.depthwise(t, kernel=(7, 7), stride=(1, 2), multiplier=2)
    g = b.finish(t)
    decisions = forced_layout(g, HOST, groups, transposed=True)
    assert all(dw.layout_of(LoweringContext(g, op, i, HOST, decisions)).transposed for i, op in enumerate(g.ops))
    host_exact(g, tmp_path, decisions=decisions)


def _unread_columns_graph(groups: int) -> Graph:
    # VALID, stride 2 across 6 columns: outputs read columns 0-4 only; widening column 5 too
    # would run past its plane into the next one
    b = GraphBuilder("unread", np.random.default_rng(groups))
    return b.finish(b.depthwise(b.input((1, 23, 6, 9)), kernel=(3, 3), stride=(1, 2), padding=None))


@pytest.mark.parametrize("groups", [1, 4])
def test_transposed_planes_skip_input_columns_no_output_reads(groups, tmp_path):
    g = _unread_columns_graph(groups)
    decisions = forced_layout(g, HOST, groups, transposed=True)
    layout = dw.layout_of(LoweringContext(g, g.ops[0], 0, HOST, decisions))
    assert layout.transposed and layout.strip_rows < layout.pad_top + layout.in_h
    host_exact(g, tmp_path, decisions=decisions)
    if shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc"):
        qemu_exact(g, "h743", tmp_path / "qemu", layouts=lambda g, t: forced_layout(g, t, groups, transposed=True))


def test_narrow_layers_are_transposed():
    b = GraphBuilder("kws", np.random.default_rng(0))
    x = b.input((1, 25, 5, 64))
    g = b.finish(b.conv(b.depthwise(x, kernel=(3, 3)), 8, kernel=(1, 1)))
    layout = dw.layout_of(LoweringContext(g, g.ops[0], 0, HOST, decide(g, HOST)))
    assert layout.transposed and (layout.in_h, layout.in_w, layout.out_w) == (5, 25, 25)
    assert kernel_plans(g, HOST)[0].memory == InPlace(0, 0)


@pytest.mark.parametrize("seed", range(4))
def test_out_of_place_layout_matches_the_reference_on_host(seed, tmp_path):
    g = random_depthwise_graph(100 + seed, chain=True)
    host_exact(g, tmp_path, plan=separate_plan(g, HOST), seed=seed)


def _requant_graph(mode: str) -> Graph:
    b = GraphBuilder(f"rq-{mode}", np.random.default_rng(3))
    t = b.input((1, 7, 10, 6), zero_point=-128)
    t = b.depthwise(t, kernel=(3, 3), activation=Activation.RELU6 if mode == "clamp" else Activation.NONE)
    if mode == "tflite":  # output scale below input * weight scale: a left shift, out of the fast range
        x_scale = b.g.tensors[b.g.inputs[0]].quant.single_scale
        w_scale = float(np.max(b.g.tensors[b.g.ops[0].inputs[1]].quant.scale))
        set_quant(b.g, t, scale=x_scale * w_scale / 1.7, zp=3)
    elif mode == "ssat":
        set_quant(b.g, t, zp=-128)
    else:
        set_quant(b.g, t, zp=-20)
    return b.finish(t)


@pytest.mark.parametrize("mode", ["ssat", "clamp", "tflite"])
def test_each_requantization_epilogue_matches_the_reference_on_host(mode, tmp_path):
    g = _requant_graph(mode)
    struct = lower(g, HOST).calls[0].structs[0]
    want = {"ssat": dw.REQUANT_FAST_SSAT, "clamp": dw.REQUANT_FAST_CLAMP, "tflite": dw.REQUANT_TFLITE}[mode]
    assert dict(struct.fields)["requant_mode"] == want
    host_exact(g, tmp_path)


# ---- the DSP assembly under QEMU -----------------------------------------------------------

def _qemu_chain(seed: int) -> Graph:
    """Every kernel variant in one model (one firmware build): K 3/5/7 x strides 1/2, odd
    sizes, 7 channels (groups of 4 + 2 + 1), a depth multiplier, every epilogue."""
    rng = np.random.default_rng(seed)
    b = GraphBuilder(f"chain{seed}", rng)
    t = b.input((1, 23, 21, 7), zero_point=int(rng.choice([-128, 127])))
    for k, s, act in ((3, (1, 1), Activation.RELU6), (5, (2, 2), Activation.NONE), (7, (1, 2), Activation.RELU),
                      (3, (2, 1), Activation.RELU_N1_TO_1), (7, (2, 2), Activation.NONE), (5, (1, 1), Activation.RELU6)):
        t = b.depthwise(t, kernel=(k, k), stride=s, activation=act)
        if rng.random() < 0.6:
            set_quant(b.g, t, zp=-128)
    t = b.depthwise(t, kernel=(3, 3), multiplier=2)
    return b.finish(t)


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("seed", range(2))
def test_dsp_kernels_match_the_reference_on_emulated_boards(board, seed, tmp_path):
    qemu_available()
    qemu_exact(_qemu_chain(seed), board, tmp_path, seed=seed)


@pytest.mark.parametrize("groups,batch_rows,transposed", [(1, 1, False), (2, 2, False), (4, 1, False),
                                                         (4, 100, False), (4, None, True), (2, None, True),
                                                         (1, None, True)])
def test_dsp_strip_layouts_match_the_reference_on_an_emulated_m7(groups, batch_rows, transposed, tmp_path):
    qemu_available()
    qemu_exact(_qemu_chain(7), "h743", tmp_path, layouts=lambda g, t: forced_layout(g, t, groups, batch_rows, transposed))


@pytest.mark.parametrize("board", BOARDS)
def test_dsp_out_of_place_and_fallback_epilogues_on_emulated_boards(board, tmp_path):
    qemu_available()
    g = random_depthwise_graph(5, chain=True)
    qemu_exact(g, board, tmp_path / "separate", plan=separate_plan(g, Target.from_board(_board(board))))
    for mode in ("clamp", "tflite"):
        qemu_exact(_requant_graph(mode), board, tmp_path / mode)


def _board(name):
    from mcunet_core.spec import load_board

    return load_board(name)


def _pair_tail_graph(k: int, s: int) -> Graph:
    """Two layers of one variant whose rows end in a pair: 10 outputs (2 left after two
    quads), then 5 or 9 (1 left: half the pair is thrown away)."""
    b = GraphBuilder(f"pairs{k}{s}", np.random.default_rng(k * 10 + s))
    t = b.input((1, 6, 10 * s, 6), zero_point=-128)
    t = b.depthwise(t, kernel=(k, k), stride=(1, s), activation=Activation.RELU6)
    set_quant(b.g, t, zp=-128)
    padding = "SAME" if s == 2 else Padding2D(1, 1, (k - 2) // 2, k - 2 - (k - 2) // 2)
    t = b.depthwise(t, kernel=(k, k), stride=(1, s), padding=padding)
    set_quant(b.g, t, zp=-128)
    g = b.finish(t)
    widths = [g.tensors[op.outputs[0]].shape[2] for op in g.ops]
    assert widths == [10, 5 if s == 2 else 9], widths
    return g


@pytest.mark.parametrize("k", dw.KERNEL_SIZES)
@pytest.mark.parametrize("s", dw.STRIDES)
def test_pair_tails_match_the_reference(k, s, tmp_path):
    g = _pair_tail_graph(k, s)
    for i, op in enumerate(g.ops):
        assert dw.layout_of(LoweringContext(g, op, i, HOST, decide(g, HOST))).pair_tail
    host_exact(g, tmp_path / "host")
    if shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc"):
        qemu_exact(g, "h743", tmp_path / "qemu")


@pytest.mark.parametrize("seed", range(6))
def test_random_depthwise_on_an_emulated_m7(seed, tmp_path):
    qemu_available()
    qemu_exact(random_depthwise_graph(200 + seed), "h743", tmp_path, seed=seed)


#: MLPerf VWW and KWS depthwise layers (input shape, stride)
MODEL_LAYERS = {
    "vww-48x48x8": ((1, 48, 48, 8), 1), "vww-48x48x16-s2": ((1, 48, 48, 16), 2),
    "vww-24x24x32": ((1, 24, 24, 32), 1), "vww-6x6x128": ((1, 6, 6, 128), 1),
    "vww-3x3x256": ((1, 3, 3, 256), 1), "kws-25x5x64": ((1, 25, 5, 64), 1),
}


@pytest.mark.slow
@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("name", sorted(MODEL_LAYERS))
def test_model_layer_shapes_on_emulated_boards(board, name, tmp_path):
    qemu_available()
    shape, s = MODEL_LAYERS[name]
    b = GraphBuilder(name, np.random.default_rng(len(name)))
    t = b.depthwise(b.input(shape, zero_point=-128), kernel=(3, 3), stride=(s, s), activation=Activation.RELU6)
    set_quant(b.g, t, scale=6 / 255, zp=-128)
    qemu_exact(b.finish(t), board, tmp_path)
