"""int4 weights kept packed in flash (issue 14 part 2): the w4 kernels bit-exact with the
reference interpreter on the host (plain C under ASan/UBSan) and on QEMU (the SMLAD paths on
an M7 and an M4 stand-in).

Under a flash budget too small for int16 pre-widened weights (``TIGHT_FLASH``) every 1x1,
im2col and fully connected int4 layer runs its w4 kernel; depthwise int4 layers always run
the *_w4 drivers. With flash to spare the 1x1/im2col layers take the w16 core (an exact
widening, as for int8 weights). No int4 layer is widened to int8 by a fast kernel.
"""

from __future__ import annotations

import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from graph_factory import GraphBuilder, random_mobilenet, with_int4_weights
from test_conv_im2col import random_conv_chain
from test_depthwise import forced_layout, random_depthwise_graph
from test_depthwise import host_exact as dw_host_exact
from test_fc import random_fc
from test_pointwise import BOARDS, TIGHT_FLASH, host_exact, qemu_available, qemu_exact, random_pointwise_chain

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "importers"))

from engine_runs import run_host  # noqa: E402
from random_models import GENERATORS  # noqa: E402
from test_pointwise import assert_exact, expected  # noqa: E402

from mcunet_core.engine.lowering import kernel_plans, lower
from mcunet_core.engine.target import HOST
from mcunet_core.importers import import_tflite
from mcunet_core.ir import Activation, DType, Graph

W4_FUNCTIONS = {
    "mcunet_pw_conv_s8_oc2px2_w4", "mcunet_conv_s8_im2col_oc2px2_w4", "mcunet_fc_s8_w4_smlad",
    "mcunet_dw_strips_w4", "mcunet_dw_transposed_w4",
}


def int4(g: Graph, seed: int) -> Graph:
    return with_int4_weights(g, np.random.default_rng(seed))


def functions(g: Graph, target=TIGHT_FLASH) -> list[str]:
    return [p.function for p in kernel_plans(g, target)]


def wide_pointwise(seed: int) -> Graph:
    """1x1 layers of more than 32 input channels (the core's looping variants), clamped or not,
    and odd output channel counts."""
    rng = np.random.default_rng(seed)
    b = GraphBuilder(f"wide{seed}", rng)
    t = b.input((1, 3, 5, 37))
    t = b.conv(t, 41, kernel=(1, 1), activation=Activation.RELU6)
    t = b.conv(t, 9, kernel=(1, 1))
    return int4(b.finish(t), seed)


CASES = {
    "pointwise": lambda s: int4(random_pointwise_chain(s), s),
    "wide_pointwise": wide_pointwise,
    "im2col": lambda s: int4(random_conv_chain(s), s),
    "fully_connected": lambda s: int4(random_fc(s), s),
    "depthwise": lambda s: int4(random_depthwise_graph(s), s),
    "mobilenet": lambda s: int4(random_mobilenet(np.random.default_rng(s), f"net{s}"), s),
}


@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize("case", sorted(CASES))
def test_int4_layers_match_the_reference_on_host(case, seed, tmp_path):
    g = CASES[case](seed)
    assert any(t.dtype is DType.INT4 for t in g.tensors.values())
    fns = functions(g)
    assert not any(f.startswith(("mcunet_pw_conv_s8_oc2px2_w8", "mcunet_conv_s8_im2col_oc2px2_w8", "mcunet_fc_s8_smlad"))
                   for f in fns if f), fns  # never widened to int8 by a fast kernel
    assert W4_FUNCTIONS & set(fns), fns
    host_exact(g, tmp_path / "tight", TIGHT_FLASH, seed=seed)
    host_exact(g, tmp_path / "host", HOST, seed=seed)  # w16 for the 1x1/im2col layers


@pytest.mark.parametrize("seed", range(2))
def test_int4_depthwise_layouts_match_the_reference_on_host(seed, tmp_path):
    """Transposed planes, sliding strips of one output row, 2 planes per group."""
    g = CASES["depthwise"](seed)
    dw_host_exact(g, tmp_path / "t", seed=seed, decisions=forced_layout(g, transposed=True))
    dw_host_exact(g, tmp_path / "b", seed=seed, decisions=forced_layout(g, groups=2, batch_rows=1))
    assert "mcunet_dw_transposed_w4" in [c.plan.function for c in lower(g, HOST, forced_layout(g, transposed=True)).calls]


@pytest.mark.parametrize("family", ["conv_int4", "depthwise_int4", "fully_connected_int4"])
def test_imported_int4_models_run_packed_on_host(family, tmp_path):
    for seed in range(3):
        case = GENERATORS[family](np.random.default_rng([zlib.crc32(family.encode()), 2000 + seed]))
        g = import_tflite(case.model)
        assert_exact(run_host(g, case.inputs, tmp_path / str(seed), TIGHT_FLASH), expected(g, case.inputs))


def test_packed_weights_are_what_flash_holds():
    """The w4 constants: half a byte per weight (+ per-record words); about half the w8 ones."""
    g8 = random_mobilenet(np.random.default_rng(3), "net8")
    g4 = with_int4_weights(random_mobilenet(np.random.default_rng(3), "net4"), np.random.default_rng(3))
    c8, c4 = lower(g8, TIGHT_FLASH).constant_bytes, lower(g4, TIGHT_FLASH).constant_bytes
    weights8 = sum(t.nbytes for t in g8.tensors.values() if t.is_constant and t.dtype is DType.INT8)
    weights4 = sum(t.nbytes for t in g4.tensors.values() if t.is_constant and t.dtype is DType.INT4)
    assert weights4 * 2 >= weights8 - 8
    assert c4 < c8 - weights8 // 3, (c4, c8, weights8)
    fc = lower(g4, TIGHT_FLASH).calls[-2]  # the classifier (softmax last)
    (w,) = [c for c in fc.constants if c.name.endswith("_w")]
    out_c, k = g4.tensors[g4.ops[-2].inputs[1]].shape
    assert w.data.nbytes == out_c * ((k + 1) // 2)


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_int4_layers_match_the_reference_on_qemu(case, board, tmp_path):
    qemu_available()
    seed = 11 + BOARDS.index(board)
    g = CASES[case](seed)
    qemu_exact(g, board, tmp_path / "tight", TIGHT_FLASH, seed=seed)
    if case in ("mobilenet", "im2col"):
        qemu_exact(g, board, tmp_path / "board", None, seed=seed)


def test_int4_depthwise_transposed_and_sliding_on_qemu(tmp_path):
    qemu_available()
    from test_depthwise import qemu_exact as dw_qemu_exact

    for seed, board in ((3, "h743"), (6, "f412")):
        g = CASES["depthwise"](seed)
        dw_qemu_exact(g, board, Path(tmp_path) / f"t{seed}", seed=seed,
                      layouts=lambda gg, t: forced_layout(gg, t, transposed=True))
        dw_qemu_exact(g, board, Path(tmp_path) / f"b{seed}", seed=seed,
                      layouts=lambda gg, t: forced_layout(gg, t, groups=2, batch_rows=1))


@pytest.mark.parametrize("task, width, resolution, seed", [("vww", 0.4, 80, 7), ("kws", 0.4, None, 8)])
def test_cost_model_predicts_int4_networks_on_the_emulator(tmp_path, task, width, resolution, seed):
    """Held-out int4 search-space networks (not bench/int4_kernel_fit.py's), lean flash: the
    fitted w4 families predict the emulator's instructions; the code sizes cover the build."""
    import dataclasses

    from mcunet_core import engine
    from mcunet_core.nas.constraints import estimate_graph
    from mcunet_core.nas.space import SearchSpace
    from mcunet_core.pipeline.emulator_costs import measure_on_emulator
    from mcunet_core.spec import load_board, load_search, load_task

    qemu_available()
    board = load_board("h743")
    space = SearchSpace.from_specs(load_search("mcunet"), load_task(task), width, resolution)
    graph = int4(estimate_graph(space.sample(np.random.default_rng(seed))), seed)
    weights = sum(t.nbytes for t in graph.tensors.values() if t.is_constant)
    target = dataclasses.replace(engine.Target.from_board(board), flash_budget=weights + 16 * 1024)
    lowered = engine.lower(graph, target)
    assert W4_FUNCTIONS & {p.function for p in lowered.plans}
    real = measure_on_emulator(graph, board, tmp_path, target=target)
    assert abs(lowered.instructions() / real.instructions - 1) <= 0.05
    assert real.code_bytes <= lowered.footprint().flash - lowered.constant_bytes + 512
