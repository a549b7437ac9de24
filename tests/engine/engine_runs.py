"""Run a graph through the whole engine (lower, plan, render) and a host or QEMU build."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mcunet_core.engine.compile import compile_graph
from mcunet_core.engine.host_build import build_host
from mcunet_core.engine.target import HOST, Target
from mcunet_core.ir import Graph


def run_host(graph: Graph, inputs: list[np.ndarray], workdir: Path, target: Target = HOST, sanitize=True) -> list[np.ndarray]:
    model = compile_graph(graph, target)
    program = build_host(model, graph, workdir, sanitize=sanitize)
    return program.run(inputs, workdir)


def run_qemu(graph: Graph, inputs: list[np.ndarray], board_name: str, workdir: Path, opt: str = "O2"):
    """Build for the board and run once on its QEMU stand-in: (outputs, RunResult)."""
    from mcunet_core.device.runners.qemu import QemuRunner
    from mcunet_core.engine.firmware_build import build_model_firmware
    from mcunet_core.spec import load_board

    board = load_board(board_name)
    built = build_model_firmware(graph, board, workdir, opt)
    (x,) = inputs
    run = QemuRunner(board).run(built.firmware.elf, np.ascontiguousarray(x).tobytes()).raise_for_status()
    out = graph.tensors[graph.outputs[0]]
    return [np.asarray(run.output).view(out.dtype.numpy).reshape(out.shape)], run
