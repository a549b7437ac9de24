"""What a model really costs on the emulated board: the measurements the engine's cost table
(latency coefficients, the firmware's RAM and code) is fitted to and checked against."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..engine import Target
from ..ir import Graph
from .model_firmware import build_model_firmware

PROFILE_DEFINES = {"MCUNET_PROFILE_LAYERS": "1"}


@dataclass(frozen=True)
class EmulatorCosts:
    instructions: int  # mcunet_invoke() of the plain build
    per_op: dict[int, int] | None  # op index -> instructions (profile build), if asked for
    arena_bytes: int
    constant_bytes: int
    stack_bytes: int  # painted-stack high-water mark
    other_static_ram_bytes: int  # static RAM besides the arena(s) and the stack reserve
    code_bytes: int  # flash besides the model's constants (code, structs, runtime)


def measure_on_emulator(graph: Graph, board, workdir: str | Path, target: Target | None = None,
                        per_op: bool = False, opt: str = "O2", seed: int = 0) -> EmulatorCosts:
    """Build ``graph`` for ``board`` (``target``: a budget within it), run it once on QEMU
    with a seeded random input; with ``per_op`` also a profile build for per-op counts."""
    from ..device.runners.qemu import QemuRunner

    workdir = Path(workdir)
    x = np.random.default_rng(seed).integers(-128, 128, graph.tensors[graph.inputs[0]].shape, dtype=np.int8)
    runner = QemuRunner(board)
    built = build_model_firmware(graph, board, workdir / "plain", opt, target=target)
    run = runner.run(built.firmware.elf, x.tobytes()).raise_for_status()
    counts = None
    if per_op:
        prof = build_model_firmware(graph, board, workdir / "profile", opt, defines=PROFILE_DEFINES, target=target)
        console = runner.run(prof.firmware.elf, x.tobytes()).raise_for_status().console
        counts = {int(i): int(c) for i, c in re.findall(r"MCUNET layer (\d+) (\d+)", console)}
    mem = built.firmware.memory
    arena = built.model.plan.arena_bytes
    return EmulatorCosts(
        instructions=int(run.count), per_op=counts, arena_bytes=arena, constant_bytes=built.model.const_bytes,
        stack_bytes=int(run.stack_used), other_static_ram_bytes=int(mem["static_ram_excl_stack_bytes"]) - arena,
        code_bytes=int(mem["flash_bytes"]) - built.model.const_bytes,
    )
