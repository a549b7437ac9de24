"""Per-layer counts: a profile build reports one count per op and they add up to the run."""

import re

import numpy as np

from graph_factory import GraphBuilder, random_input
from mcunet_core.device.runners.qemu import QemuRunner
from mcunet_core.pipeline.model_firmware import build_model_firmware
from mcunet_core.ir.ops import AveragePool2D
from mcunet_core.ir.reference import run
from mcunet_core.spec import load_board


def test_profile_build_reports_every_layer(tmp_path):
    b = GraphBuilder("profiled", np.random.default_rng(0))
    x = b.input((1, 12, 12, 8))
    y = b.conv(x, 16, kernel=(3, 3))
    z = b.pool(y, AveragePool2D, filter=(2, 2), stride=(2, 2))
    g = b.finish(z)
    board = load_board("h743")
    xin = random_input(g, np.random.default_rng(1))[0]
    expected = run(g, [xin])[g.outputs[0]]
    counts = {}
    for name, defines in (("plain", None), ("profile", {"MCUNET_PROFILE_LAYERS": "1"})):
        built = build_model_firmware(g, board, tmp_path / name, defines=defines)
        result = QemuRunner(board).run(built.firmware.elf, xin.tobytes()).raise_for_status()
        np.testing.assert_array_equal(np.asarray(result.output).reshape(expected.shape), expected)
        counts[name] = (result.count, [int(c) for c in re.findall(r"MCUNET layer \d+ (\d+)", result.console)])
    plain_total, plain_layers = counts["plain"]
    profile_total, layers = counts["profile"]
    assert plain_layers == []
    assert len(layers) == len(g.ops)
    assert all(c > 0 for c in layers)
    # the marks cost a few instructions per op; the layers account for the whole run
    assert 0 <= profile_total - plain_total <= 40 * len(g.ops)
    assert abs(sum(layers) - plain_total) <= 40 * len(g.ops)
