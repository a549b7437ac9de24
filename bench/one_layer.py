"""What the per-kernel benchmarks share: one layer (``Graph.op_graph``) generated, built and
run on the emulated board against the reference interpreter."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mcunet_core import engine
from mcunet_core.device.generated import build_generated
from mcunet_core.device.runners.qemu import QemuRunner
from mcunet_core.ir import Graph
from mcunet_core.ir.reference import run as reference_run


def run_layer(g: Graph, x: np.ndarray, board, target: engine.Target, opt: str, workdir: Path,
              decisions: engine.GraphDecisions | None = None) -> tuple[int, bool]:
    """(instructions, bit-exact) of one run of the one-layer graph ``g`` on ``x``."""
    engine.generate(g, target, workdir / "gen", plot=False, decisions=decisions)
    fw = build_generated(board, workdir / "gen", workdir / "fw", opt=opt)
    run = QemuRunner(board, timeout_s=300).run(fw.elf, np.ascontiguousarray(x).tobytes()).raise_for_status()
    out = g.tensors[g.outputs[0]]
    got = np.asarray(run.output).view(np.int8).reshape(out.shape)
    return run.count, bool(np.array_equal(got, reference_run(g, [x])[g.outputs[0]]))
