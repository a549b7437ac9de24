"""Generated model + kernels -> firmware for a board, outside SCons (benchmarks, tests)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..ir import Graph
from .codegen.render import KERNEL_DIR, GeneratedModel
from .compile import compile_graph
from .target import Target


@dataclass
class ModelFirmware:
    board: object
    model: GeneratedModel
    firmware: object  # mcunet_core.device.toolchain.Firmware


def build_model_firmware(graph: Graph, board, workdir: str | Path, opt: str = "O2", variant: str = "emulator",
                         defines: dict | None = None, target: Target | None = None) -> ModelFirmware:
    """Compile ``graph`` for ``board`` (or an explicit ``target`` within it) and link it with the runtime."""
    from ..device.toolchain import build_firmware

    workdir = Path(workdir)
    model = compile_graph(graph, target or Target.from_board(board))
    gen = workdir / "gen"
    model.write(gen)
    sources = [gen / "model.c", gen / "weights.c"] + [KERNEL_DIR / s for s in model.kernel_sources]
    fw = build_firmware(board, sources, workdir / "fw", opt=opt, variant=variant, defines=defines,
                        include_dirs=[gen, KERNEL_DIR / "include"])
    return ModelFirmware(board, model, fw)
