"""Pointwise 1x1 kernels on the 2x2 SMLAD core: bit-exact with the reference interpreter.

Host builds run the plain-C fallback under ASan/UBSan; QEMU builds run the DSP assembly
on an M7 (h743) and an M4 (f412) profile. Helpers here are shared with the im2col,
fully-connected and real-model kernel tests of the same core.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from engine_runs import run_host
from graph_factory import GraphBuilder, random_input
from mcunet_core.engine.codegen.render import render
from mcunet_core.engine.compile import write_generated
from mcunet_core.paths import KERNEL_DIR
from mcunet_core.device.host import build_host
from mcunet_core.engine.kernels import select_kernel
from mcunet_core.engine.decisions import decide
from mcunet_core.engine.kernels.base import InPlace, LoweringContext, StreamingOverlap
from mcunet_core.engine.kernels.pointwise import W8, W16, PointwiseConv2D, weight_format
from mcunet_core.engine.lowering import kernel_plans, lower, plan_memory
from mcunet_core.engine.target import HOST, Target
from mcunet_core.ir import Activation, Graph, QuantParams
from mcunet_core.ir.reference import run as reference_run

ACTIVATIONS = list(Activation)
#: No flash to spare for int16 weights: every layer takes the int8-weight (w8) core.
TIGHT_FLASH = Target("tight-flash", flash_budget=1)
BOARDS = ("h743", "f412")  # Cortex-M7 and Cortex-M4 stand-ins


# ---- helpers (also used by test_conv_im2col, test_fc_pointwise, test_pointwise_models) ----

def set_zero_point(g: Graph, name: str, zp: int) -> None:
    t = g.tensors[name]
    t.quant = QuantParams(t.quant.scale, [zp])


def chosen(g: Graph, target: Target = HOST) -> list[str]:
    return [type(select_kernel(LoweringContext(g, op, i, target, decide(g, target)))).__name__ for i, op in enumerate(g.ops)]


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


def host_exact(g: Graph, workdir: Path, target: Target = HOST, seed: int = 0, plan=None) -> None:
    inputs = random_input(g, np.random.default_rng(seed))
    if plan is None:
        got = run_host(g, inputs, workdir, target)
    else:
        write_generated(g, render(g, lower(g, target).calls, plan), workdir, plot=False)
        program = build_host(workdir)
        got = program.run(inputs, workdir)
    assert_exact(got, expected(g, inputs))


def qemu_available() -> None:
    pytest.importorskip("mcunet_core.device.runners.qemu")
    if not (shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc")):
        pytest.skip("qemu-system-arm / arm-none-eabi-gcc not installed")


def qemu_run(g: Graph, inputs, board_name: str, workdir: Path, target: Target | None = None, plan=None, opt="O2"):
    """Generated C on the board's QEMU stand-in, like engine_runs.run_qemu but with any target
    (e.g. a tight flash budget: the int8-weight core) and optionally a hand-made memory plan."""
    from mcunet_core.device.runners.qemu import QemuRunner
    from mcunet_core.device.toolchain import build_firmware
    from mcunet_core.spec import load_board

    board = load_board(board_name)
    target = target or Target.from_board(board)
    model = render(g, lower(g, target).calls, plan or plan_memory(g, target))
    gen = workdir / "gen"
    model.write(gen)
    sources = [gen / "model.c", gen / "weights.c"] + [KERNEL_DIR / s for s in model.kernel_sources]
    fw = build_firmware(board, sources, workdir / "fw", opt=opt, include_dirs=[gen, KERNEL_DIR / "include"])
    (x,) = inputs
    run = QemuRunner(board).run(fw.elf, np.ascontiguousarray(x).tobytes()).raise_for_status()
    out = g.tensors[g.outputs[0]]
    return [np.asarray(run.output).view(out.dtype.numpy).reshape(out.shape)], run


def qemu_exact(g: Graph, board_name: str, workdir: Path, target: Target | None = None, seed: int = 0, plan=None):
    inputs = random_input(g, np.random.default_rng(seed))
    got, run = qemu_run(g, inputs, board_name, workdir, target, plan)
    assert_exact(got, expected(g, inputs))
    return run


def tightest_plan(g: Graph, target: Target = HOST):
    """The planner's plan of a one-op graph, re-laid out so the output overlaps the input at
    exactly the kernel's bound (StreamingOverlap: the furthest offset it allows; InPlace: its offset)."""
    plan = plan_memory(g, target)
    rule = kernel_plans(g, target)[0].memory
    src, dst = g.ops[0].inputs[rule.input_index], g.ops[0].outputs[0]
    delta = rule.delta if isinstance(rule, InPlace) else rule.max_delta()
    base_in = max(0, -delta)
    offsets = {src: base_in, dst: base_in + delta}
    end = max(base_in + g.tensors[src].nbytes, base_in + delta + g.tensors[dst].nbytes)
    scratch = {}
    if plan.scratch_offsets:
        scratch[0] = (end + 7) // 8 * 8
        end = scratch[0] + kernel_plans(g, target)[0].scratch_bytes
    plan.tensor_offsets, plan.scratch_offsets = offsets, scratch
    plan.tensor_pools, plan.scratch_pools = {}, {}  # everything in the first pool
    plan.pool_bytes = {plan.pools[0].name: end}
    return plan, delta


# ---- pointwise cases ---------------------------------------------------------------------

def random_pointwise_chain(seed: int, layers: int = 3) -> Graph:
    """1x1 convolutions with odd sizes, channel tails, extreme zero points, every activation."""
    rng = np.random.default_rng(seed)
    b = GraphBuilder(f"pw{seed}", rng)
    h, w = (int(v) for v in rng.integers(1, 8, size=2))
    zp = int(rng.choice([-128, 127, int(rng.integers(-128, 128))]))
    t = b.input((1, h, w, int(rng.integers(1, 21))), zero_point=zp)
    for _ in range(layers):
        stride = (2, 2) if rng.random() < 0.25 else (1, 1)
        t = b.conv(t, int(rng.integers(1, 20)), kernel=(1, 1), stride=stride,
                   activation=ACTIVATIONS[int(rng.integers(len(ACTIVATIONS)))],
                   per_channel=bool(rng.random() < 0.7), bias=bool(rng.random() < 0.8))
        if rng.random() < 0.3:
            set_zero_point(b.g, t, int(rng.choice([-128, 127])))
    return b.finish(t)


@pytest.mark.parametrize("seed", range(8))
def test_random_pointwise_chains_match_the_reference_on_host(seed, tmp_path):
    g = random_pointwise_chain(seed)
    assert chosen(g) == ["PointwiseConv2D"] * len(g.ops)
    host_exact(g, tmp_path, seed=seed)


@pytest.mark.parametrize("seed", range(3))
def test_int8_weight_core_matches_the_reference_on_host(seed, tmp_path):
    g = random_pointwise_chain(100 + seed)
    ctx = LoweringContext(g, g.ops[0], 0, TIGHT_FLASH, decide(g, TIGHT_FLASH))
    assert weight_format(ctx) == W8 and "w8" in PointwiseConv2D().plan(ctx).function
    host_exact(g, tmp_path, TIGHT_FLASH, seed=seed)


def test_flash_budget_gives_int16_weights_to_the_largest_feature_maps_first():
    b = GraphBuilder("budget", np.random.default_rng(0))
    x = b.input((1, 16, 16, 32))
    y = b.conv(x, 32, kernel=(1, 1))  # 1024 weight bytes, 256 pixels
    z = b.conv(y, 32, kernel=(1, 1), stride=(2, 2))  # 1024 weight bytes, 64 pixels
    g = b.finish(z)
    from mcunet_core.engine.decisions import CODE_RESERVE_BYTES

    def formats(budget):
        target = Target("t", flash_budget=budget)
        return [weight_format(LoweringContext(g, op, i, target, decide(g, target))) for i, op in enumerate(g.ops)]

    def flash_per_op(budget):  # what the emitted arrays weigh
        return [sum(c.data.nbytes for c in call.constants) for call in lower(g, Target("t", flash_budget=budget)).calls]

    w16, w8 = flash_per_op(None), flash_per_op(1)
    assert formats(None) == [W16, W16] and formats(1) == [W8, W8]
    extra = [a - b for a, b in zip(w16, w8)]
    assert all(e > 1024 for e in extra)  # records widen too, not only the weights
    base = CODE_RESERVE_BYTES + sum(w8)
    assert formats(base + sum(extra)) == [W16, W16]
    assert formats(base + sum(extra) - 1) == [W16, W8]
    assert formats(base + extra[0]) == [W16, W8]
    assert formats(base + extra[0] - 1) == [W8, W8]


def test_chosen_weights_fit_the_flash_budget_with_the_code_reserve():
    """The choice is made on the arrays the code generator emits, not on the graph's weights:
    the depthwise blocks and requantisation records of a 7x7-heavy network weigh far more
    than its weights (mcunet-vww-80 on the F746 once chose formats that overflowed the 1 MB
    flash by 65,800 B)."""
    from mcunet_core.engine.decisions import CODE_RESERVE_BYTES
    from mcunet_core.nas.constraints import estimate_graph
    from mcunet_core.pipeline.train import arch_of_model
    from mcunet_core.spec import load_board, load_model, load_task

    g = estimate_graph(arch_of_model(load_model("mcunet-vww-80"), load_task("vww")))
    target = Target.from_board(load_board("f746"))
    calls = lower(g, target).calls
    constants = sum(c.data.nbytes for call in calls for c in call.constants)
    assert constants + CODE_RESERVE_BYTES <= target.flash_budget
    assert any("w16" in call.plan.function for call in calls if call.plan.function)  # the room left is used


def _dead_channel_layer() -> Graph:
    """VWW-like: channels with all-zero weights, biases of +-2**30 and right shifts near 31."""
    rng = np.random.default_rng(7)
    b = GraphBuilder("dead", rng)
    x = b.input((1, 3, 5, 12), zero_point=-128)
    y = b.conv(x, 9, kernel=(1, 1), activation=Activation.RELU)
    g = b.g
    w, bias = g.tensors[g.ops[0].inputs[1]], g.tensors[g.ops[0].inputs[2]]
    dead = [1, 4, 8]
    w.data[dead] = 0
    bias.data[dead] = [1 << 30, -(1 << 30), (1 << 30) - 64]
    scale = w.quant.scale.copy()
    scale[dead] = 1e-12
    w.quant = QuantParams(scale, np.zeros(9), 0)
    set_zero_point(g, y, -128)
    return b.finish(y)


def test_constant_channels_are_folded_exactly(tmp_path):
    g = _dead_channel_layer()
    assert chosen(g) == ["PointwiseConv2D"]
    host_exact(g, tmp_path)


def test_requantization_outside_the_fast_range_falls_back_to_the_generic_kernel():
    g = random_pointwise_chain(3, layers=1)
    w = g.tensors[g.ops[0].inputs[1]]
    scale = np.atleast_1d(w.quant.scale).copy()
    scale[0] *= 1e4  # a left shift: not the fast form, and not a constant channel
    w.quant = QuantParams(scale, np.zeros(scale.size), w.quant.axis)
    assert chosen(g) == ["GenericConv2D"]


# ---- memory rules at their tightest ------------------------------------------------------

def _one_op(kind: str) -> Graph:
    rng = np.random.default_rng({"expand": 1, "shrink": 2, "strided": 3, "fc": 4, "stem": 5, "tall": 6}[kind])
    b = GraphBuilder(kind, rng)
    if kind == "expand":
        y = b.conv(b.input((1, 5, 7, 6)), 13, kernel=(1, 1))
    elif kind == "shrink":
        y = b.conv(b.input((1, 7, 5, 19)), 5, kernel=(1, 1))
    elif kind == "strided":
        y = b.conv(b.input((1, 7, 9, 8)), 11, kernel=(1, 1), stride=(2, 2))
    elif kind == "fc":
        y = b.fully_connected(b.input((5, 24)), 7)
    elif kind == "stem":
        y = b.conv(b.input((1, 11, 9, 3)), 8, kernel=(3, 3), stride=(2, 2))
    else:  # kernel taller than the stride, padding on top
        y = b.conv(b.input((1, 13, 6, 2)), 6, kernel=(5, 2), stride=(2, 1))
    return b.finish(y)


OVERLAP_KINDS = ("expand", "shrink", "strided", "fc", "stem", "tall")


@pytest.mark.parametrize("kind", OVERLAP_KINDS)
def test_output_overlapping_the_input_at_the_rule_bound_is_exact_on_host(kind, tmp_path):
    g = _one_op(kind)
    plan, delta = tightest_plan(g)
    assert plan.tensor_offsets[g.outputs[0]] - plan.tensor_offsets[g.inputs[0]] == delta
    x, y = g.tensors[g.inputs[0]], g.tensors[g.outputs[0]]
    assert plan.arena_bytes - kernel_plans(g, HOST)[0].scratch_bytes < x.nbytes + y.nbytes  # they do overlap
    host_exact(g, tmp_path, plan=plan)


def test_expanding_layers_walk_backwards_and_grow_over_their_consumed_input():
    g = _one_op("expand")
    x, y = g.tensors[g.inputs[0]], g.tensors[g.outputs[0]]
    rule = kernel_plans(g, HOST)[0].memory
    assert isinstance(rule, InPlace) and -y.shape[-1] <= rule.delta <= 0  # output starts within a pixel below the input
    plan = plan_memory(g, HOST)
    assert plan.tensor_offsets[y.name] - plan.tensor_offsets[x.name] == rule.delta
    scratch = kernel_plans(g, HOST)[0].scratch_bytes
    assert plan.arena_bytes <= y.nbytes - rule.delta + scratch + 16
    assert y.nbytes - rule.delta < x.nbytes + y.nbytes
    assert isinstance(kernel_plans(_one_op("shrink"), HOST)[0].memory, StreamingOverlap)


def test_vww_peak_with_backward_expansions_is_about_its_largest_layer(shared_dir):
    """VWW's first layers: stem (27648 B in) -> depthwise -> 1x1 8 -> 16 channels (36864 B out).
    Forward order would need 18432 B below the 1x1's input, on top of the stem's overlap."""
    from mcunet_core.importers.tflite import import_tflite

    g = import_tflite(shared_dir / "models" / "vww_96_int8.tflite")
    g.ops = g.ops[:3]
    g.outputs = [g.ops[-1].outputs[0]]
    plans = kernel_plans(g, HOST)
    assert [type(p.memory).__name__ for p in plans][::2] == ["StreamingOverlap", "InPlace"]
    assert plan_memory(g, HOST).arena_bytes <= 36864 + 8 + max(p.scratch_bytes for p in plans) + 8


# ---- the DSP paths under QEMU ------------------------------------------------------------

def _mixed_graph(seed: int) -> Graph:
    """Pointwise (odd pixels, channel tails, stride 2, clamp), im2col and FC in one model."""
    rng = np.random.default_rng(seed)
    b = GraphBuilder(f"mixed{seed}", rng)
    t = b.input((1, 9, 7, 5), zero_point=127)
    t = b.conv(t, 7, kernel=(3, 3), stride=(2, 2), activation=Activation.RELU6)
    t = b.conv(t, 13, kernel=(1, 1), activation=Activation.RELU)
    t = b.conv(t, 6, kernel=(1, 1), stride=(2, 2), per_channel=False)
    t = b.conv(t, 9, kernel=(2, 3), activation=Activation.RELU_N1_TO_1)
    n = int(np.prod(b.g.tensors[t].shape))
    t = b.reshape(t, (1, n))
    t = b.fully_connected(t, 11)
    return b.finish(t)


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("target", ["board", "tight-flash"])
def test_dsp_paths_match_the_reference_on_emulated_boards(board, target, tmp_path):
    qemu_available()
    g = _mixed_graph(11)
    assert chosen(g) == ["Im2colConv2D", "PointwiseConv2D", "PointwiseConv2D", "Im2colConv2D", "ReshapeView",
                         "SmladFullyConnected"]
    for seed in range(2):
        qemu_exact(g, board, tmp_path / f"run{seed}", TIGHT_FLASH if target == "tight-flash" else None, seed=seed)


@pytest.mark.parametrize("seed", range(4))
def test_random_pointwise_chains_match_the_reference_on_qemu(seed, tmp_path):
    qemu_available()
    g = random_pointwise_chain(seed)
    qemu_exact(g, BOARDS[seed % 2], tmp_path, seed=seed)


@pytest.mark.parametrize("kind", OVERLAP_KINDS)
def test_output_overlapping_the_input_at_the_rule_bound_is_exact_on_qemu(kind, tmp_path):
    qemu_available()
    g = _one_op(kind)
    plan, _ = tightest_plan(g, Target("qemu"))
    qemu_exact(g, "h743", tmp_path, Target("qemu"), plan=plan)

