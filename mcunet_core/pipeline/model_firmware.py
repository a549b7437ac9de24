"""A graph -> a linked firmware for a board, outside SCons (benchmarks, tests, the cost fit):
the engine generates a folder, the device layer builds it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import engine
from ..device.generated import build_generated
from ..ir import Graph


@dataclass
class ModelFirmware:
    board: object
    model: engine.GeneratedModel
    firmware: object  # mcunet_core.device.toolchain.Firmware


def build_model_firmware(graph: Graph, board, workdir: str | Path, opt: str = "O2", variant: str = "emulator",
                         defines: dict | None = None, target: engine.Target | None = None,
                         decisions: engine.GraphDecisions | None = None,
                         postprocess: engine.YoloPostprocess | None = None) -> ModelFirmware:
    """Generate ``graph`` for ``board`` (or an explicit ``target`` within it) into
    ``workdir/gen`` and link it with the runtime into ``workdir/fw``; ``postprocess``: the
    detection post-processing after the network (the harness times it apart)."""
    workdir = Path(workdir)
    model = engine.generate(graph, target or engine.Target.from_board(board), workdir / "gen", plot=False,
                            decisions=decisions, postprocess=postprocess)
    fw = build_generated(board, workdir / "gen", workdir / "fw", opt=opt, variant=variant, defines=defines)
    return ModelFirmware(board, model, fw)
