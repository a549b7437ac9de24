"""Runners: ``QemuRunner`` (emulated stand-in, the default) and ``PyocdRunner`` (real boards)."""

from ...errors import UserError
from .base import DeviceError, FaultError, HangError, ModelError, NoProbeError, RunFailure, RunResult, load_input_file

RUNNERS = ("qemu", "pyocd")


def make_runner(name: str, board, *, timeout_s: float | None = None, probe: str | None = None, hardware_map=None):
    """The runner called ``name`` for ``board``; probe/hardware_map only mean something to pyocd."""
    timeout = {} if timeout_s is None else {"timeout_s": timeout_s}
    if name == "qemu":
        from .qemu import QemuRunner

        return QemuRunner(board, **timeout)
    if name == "pyocd":
        from .pyocd import PyocdRunner

        return PyocdRunner(board, probe=probe, hardware_map=hardware_map, **timeout)
    raise UserError(f"unknown runner {name!r}; expected one of {', '.join(RUNNERS)}")


__all__ = [
    "RUNNERS",
    "make_runner",
    "DeviceError",
    "FaultError",
    "HangError",
    "ModelError",
    "NoProbeError",
    "RunFailure",
    "RunResult",
    "load_input_file",
]
