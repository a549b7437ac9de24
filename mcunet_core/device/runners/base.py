"""What every runner returns, and the errors that tell a test failure from a device problem."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...errors import UserError
from ..results import FirmwareInfo, ResultsBlock, format_fault

# Run statuses. ok/model_error/input_error/fault come from the firmware; hang from the
# runner's timeout; device_error when the emulator/probe/flash failed (not the program);
# app_error when an application's own image (run_app) exited non-zero or said less than expected.
STATUSES = ("ok", "model_error", "input_error", "fault", "hang", "device_error", "app_error")


def load_input_file(path):
    """An input file as runners take it: an int8 array (.npy) or raw bytes (any other file)."""
    if path is None:
        return None
    path = Path(path)
    if not path.is_file():
        raise UserError(f"input {path}: no such file")
    if path.suffix == ".npy":
        arr = np.load(path, allow_pickle=False)
        if arr.dtype != np.int8:
            raise UserError(f"input {path}: dtype {arr.dtype}; the firmware takes the quantised int8 input")
        return arr
    return path.read_bytes()


class DeviceError(UserError):
    """The device (emulator, probe, flash, target connection) failed; not a test failure."""


class NoProbeError(DeviceError):
    """No debug probe attached (or not the one asked for)."""


class RunFailure(UserError):
    """The firmware ran and the run failed: the test failed."""


class FaultError(RunFailure):
    """The firmware took a HardFault."""


class HangError(RunFailure):
    """The firmware did not finish within the timeout and was stopped."""


class ModelError(RunFailure):
    """mcunet_invoke() returned non-zero, or the firmware rejected its input."""


@dataclass
class RunResult:
    board: str
    runner: str  # "qemu" | "pyocd"
    status: str
    elf: Path
    clock_hz: int
    count: int | None = None  # instructions (emulator) or cycles (board) around invoke()
    count_kind: str | None = None  # "instructions" | "cycles"
    postprocess_count: int | None = None  # the detection post-processing's, apart from invoke()'s (same kind)
    stack_used: int | None = None
    stack_size: int | None = None
    output: np.ndarray | None = None
    fault: dict | None = None
    exit_code: int | None = None
    console: str = ""
    message: str = ""
    wall_s: float = 0.0
    info: FirmwareInfo | None = None
    block: ResultsBlock | None = None
    extra: dict = field(default_factory=dict)  # runner details (probe uid, SWD clock, machine)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def latency_ms(self) -> float | None:
        """Count / board clock: cycles on a board; on the emulator an estimate at 1 instruction/cycle."""
        if self.count is None or not self.clock_hz:
            return None
        return self.count / self.clock_hz * 1e3

    def describe(self) -> str:
        """One line for logs and error messages."""
        head = f"board {self.board} ({self.runner}): {self.status}"
        if self.status == "ok" and self.count is None:  # an application's run: no count of its own
            return head
        if self.status == "ok":
            post = "" if self.postprocess_count is None else f" + {self.postprocess_count} post-processing"
            return f"{head}, {self.count}{post} {self.count_kind}, stack {self.stack_used} B"
        if self.status == "fault" and self.fault and "cfsr" in self.fault:
            return f"{head}: HardFault {format_fault(self.fault)}"
        return f"{head}: {self.message}" if self.message else head

    def raise_for_status(self) -> "RunResult":
        """Return self if the run succeeded, else raise the error that matches its status."""
        if self.status == "ok":
            return self
        error = {
            "fault": FaultError,
            "hang": HangError,
            "model_error": ModelError,
            "input_error": ModelError,
            "device_error": DeviceError,
        }.get(self.status, RunFailure)
        raise error(self.describe())
