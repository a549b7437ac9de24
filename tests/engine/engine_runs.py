"""Run a graph through the whole engine (lower, plan, render) and a host or QEMU build."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mcunet_core import engine
from mcunet_core.device.host import build_host
from mcunet_core.engine import HOST, Target
from mcunet_core.ir import Graph


def run_host(graph: Graph, inputs: list[np.ndarray], workdir: Path, target: Target = HOST, sanitize=True,
             decisions: engine.GraphDecisions | None = None) -> list[np.ndarray]:
    engine.generate(graph, target, workdir, plot=False, decisions=decisions)
    program = build_host(workdir, sanitize=sanitize)
    return program.run(inputs, workdir)


def run_qemu(graph: Graph, inputs: list[np.ndarray], board_name: str, workdir: Path, opt: str = "O2"):
    """Build for the board and run once on its QEMU stand-in: (outputs, RunResult)."""
    from mcunet_core.device.runners.qemu import QemuRunner
    from mcunet_core.pipeline.model_firmware import build_model_firmware
    from mcunet_core.spec import load_board

    board = load_board(board_name)
    built = build_model_firmware(graph, board, workdir, opt)
    (x,) = inputs
    run = QemuRunner(board).run(built.firmware.elf, np.ascontiguousarray(x).tobytes()).raise_for_status()
    out = graph.tensors[graph.outputs[0]]
    return [np.asarray(run.output).view(out.dtype.numpy).reshape(out.shape)], run
