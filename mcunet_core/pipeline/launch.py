"""Start a long stage (``python -m mcunet_core.pipeline ...``) as a process of its own, so an
interrupt stops it at once (SCons itself only stops between actions) and it imports this
checkout's code; returns the exit status (0, 2 for a user's mistake, 130 when interrupted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

#: the folder holding this checkout's mcunet_core
CHECKOUT = Path(__file__).resolve().parents[2]


def stage_command(args: list[str]) -> list[str]:
    """The command line running ``python -m mcunet_core.pipeline <args>``."""
    return [sys.executable, "-m", "mcunet_core.pipeline", *args]


def compute_args(compute) -> list[str]:
    """``--device``/``--amp`` for a resolved ``Compute``."""
    return ["--device", compute.device] + (["--amp"] if compute.amp else [])


def run_stage(args: list[str]) -> int:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(CHECKOUT), env.get("PYTHONPATH")) if p)
    return subprocess.run(stage_command(args), env=env).returncode
