"""Every generic elementwise / data-movement / nonlinear kernel in one firmware, on QEMU.

One multi-op graph (float32 in, float32 out) uses the C functions of this family: built
once per board profile (Cortex-M7 h743, Cortex-M4 f412) with the fast ADD/MUL kernels
(SMMLAR on the DSP path) and once with the generic ones, it must equal the reference
interpreter bit for bit, as must its host build (ASan/UBSan).
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from engine_runs import run_qemu
from graph_factory import GraphBuilder
from mcunet_core.engine.lowering import kernel_plans
from mcunet_core.engine.target import HOST
from mcunet_core.ir import Activation, Graph
from mcunet_core.ir import ops as O
from mcunet_core.ir.reference import run as reference_run
from test_generic_common import K3_FUNCTIONS, check_one, disable_fast_binary, const_tensor, float_input, float_tensor, mismatch

BOARDS = ("h743", "f412")  # Cortex-M7 and Cortex-M4 stand-ins


def all_generic_ops_graph(seed: int = 0) -> Graph:
    rng = np.random.default_rng(seed)
    b = GraphBuilder("generic_ops", rng)
    x = float_input(b, (1, 6, 5, 4))
    q0 = b.activation((1, 6, 5, 4), scale=0.04, zero_point=-7)
    b.op(O.Quantize((x,), (q0,)))
    h = b.op(O.HardSwish((q0,), (b.activation((1, 6, 5, 4), scale=0.03, zero_point=-100),)))
    hq = b.g.tensors[h].quant
    p = b.op(O.Pad((h,), (b.activation((1, 8, 7, 4), scale=hq.single_scale, zero_point=hq.single_zero_point),),
                   paddings=((0, 0), (1, 1), (1, 1), (0, 0))))
    r = b.op(O.ResizeNearestNeighbor((p,), (b.activation((1, 16, 13, 4), scale=hq.single_scale,
                                                         zero_point=hq.single_zero_point),), half_pixel_centers=True))
    m = b.op(O.Mean((r,), (b.activation((1, 1, 1, 4), scale=0.02, zero_point=3),), axes=(1, 2), keep_dims=True))
    a = b.op(O.Add((r, m), (b.activation((1, 16, 13, 4), scale=0.05, zero_point=-20),), activation=Activation.RELU6))
    k = const_tensor(b, (4,), rng, 0.02, 5)
    mu = b.op(O.Mul((a, k), (b.activation((1, 16, 13, 4), scale=0.004, zero_point=10),)))
    t = b.op(O.Transpose((mu,), (b.activation((1, 4, 16, 13), scale=0.004, zero_point=10),), perm=(0, 3, 1, 2)))
    lg = b.op(O.Logistic((t,), (b.activation((1, 4, 16, 13), scale=1 / 256, zero_point=-128),)))
    c = const_tensor(b, (2, 16, 13), rng, 1 / 256, -128)
    cr = b.op(O.Reshape((c,), (b.activation((1, 2, 16, 13), scale=1 / 256, zero_point=-128),)))  # a copy
    cc = b.op(O.Concatenation((lg, cr), (b.activation((1, 6, 16, 13), scale=1 / 256, zero_point=-128),), axis=1))
    rq = b.op(O.Quantize((cc,), (b.activation((1, 6, 16, 13), scale=0.01, zero_point=-60),)))
    mm = b.op(O.Mean((rq,), (b.activation((1, 6, 13), scale=0.008, zero_point=-80),), axes=(2,), keep_dims=False))
    s = b.op(O.Softmax((mm,), (b.activation((1, 6, 13), scale=1 / 256, zero_point=-128),), beta=12.0))
    y = float_tensor(b, (1, 6, 13))
    b.op(O.Dequantize((s,), (y,)))
    return b.finish(y)


def _input(g: Graph, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=g.tensors[g.inputs[0]].shape) * 2.5).astype(np.float32)]


def test_the_graph_uses_every_generic_function(monkeypatch):
    g = all_generic_ops_graph()
    used = {kp.function for kp in kernel_plans(g, HOST)}
    disable_fast_binary(monkeypatch)
    used |= {kp.function for kp in kernel_plans(g, HOST)}
    assert set(K3_FUNCTIONS) <= used, sorted(set(K3_FUNCTIONS) - used)


def test_all_generic_ops_on_the_host(tmp_path, variant):
    g = all_generic_ops_graph()
    check_one(g, _input(g, 1), tmp_path)


@pytest.mark.parametrize("board", BOARDS)
def test_all_generic_ops_on_qemu(board, tmp_path, variant):
    pytest.importorskip("mcunet_core.device.runners.qemu")
    if not (shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc")):
        pytest.skip("qemu-system-arm / arm-none-eabi-gcc not installed")
    g = all_generic_ops_graph()
    inputs = _input(g, 2)
    (got,), run = run_qemu(g, inputs, board, tmp_path)
    want = reference_run(g, inputs)[g.outputs[0]]
    assert mismatch(got, want) is None, mismatch(got, want)
