"""Start a long stage (``python -m mcunet_core.pipeline ...``) as a process of its own, so an
interrupt stops it at once (SCons itself only stops between actions) and it imports this
checkout's code; with ``procs`` > 1 (or torchrun options) through PyTorch's launcher,
``python -m torch.distributed.run``, one process per rank. Returns the exit status (0, 2 for
a user's mistake, 130 when interrupted)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError

#: the folder holding this checkout's mcunet_core
CHECKOUT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Launch:
    """How many processes train on this machine (``procs=``) and torchrun's options for
    several machines (``torchrun="--nnodes=2 --rdzv-backend=c10d --rdzv-endpoint=host:29400
    --rdzv-id=job7"``, passed through as given)."""

    procs: int = 1
    torchrun: tuple[str, ...] = ()

    @classmethod
    def parse(cls, procs: str | int | None, torchrun: str | None) -> "Launch":
        try:
            n = int(procs or 1)
        except ValueError:
            n = 0
        if n < 1:
            raise UserError(f"procs={procs}: needs a whole number of processes, at least 1")
        return cls(n, tuple(shlex.split(torchrun or "")))

    @property
    def distributed(self) -> bool:
        return self.procs > 1 or bool(self.torchrun)

    def identity(self) -> str:
        """What a stage's outputs depend on besides the device: the ranks' float sums differ."""
        return f" procs={self.procs} {shlex.join(self.torchrun)}".rstrip() if self.distributed else ""

    def command(self, args: list[str]) -> list[str]:
        """The command line running ``python -m mcunet_core.pipeline <args>`` (under torchrun)."""
        if not self.distributed:
            return [sys.executable, "-m", "mcunet_core.pipeline", *args]
        single = [] if any(o.startswith(("--nnodes", "--rdzv")) for o in self.torchrun) else ["--standalone"]
        return [sys.executable, "-m", "torch.distributed.run", *single, f"--nproc-per-node={self.procs}",
                *self.torchrun, "-m", "mcunet_core.pipeline", *args]


def compute_args(compute) -> list[str]:
    """``--device``/``--amp`` for a resolved ``Compute``."""
    return ["--device", compute.device] + (["--amp"] if compute.amp else [])


def run_stage(args: list[str], launch: Launch = Launch()) -> int:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(CHECKOUT), env.get("PYTHONPATH")) if p)
    return subprocess.run(launch.command(args), env=env).returncode
