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
