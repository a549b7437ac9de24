"""Where training runs: a torch device (``cpu`` or ``cuda``) and, on cuda, optional mixed
precision for the training steps. CPU and GPU run the same code; only tensors move.

    Compute.resolve("auto" | "cpu" | "cuda", amp=False) -> Compute   (UserError when impossible)
    compute.to(tensor_or_module), compute.autocast(), compute.scaler()
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch

from ..errors import UserError

#: what ``device=`` accepts: auto = cuda when torch sees a GPU, else cpu
DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class Compute:
    device: str = "cpu"  # "cpu" or "cuda" (resolved, never "auto")
    amp: bool = False  # float16 autocast + gradient scaling in training steps (cuda only)

    @classmethod
    def resolve(cls, device: str = "auto", amp: bool = False) -> "Compute":
        """The compute a ``device=`` / ``amp=`` choice means on this machine."""
        if device not in DEVICES:
            raise UserError(f"device={device}: not valid (valid values: {', '.join(DEVICES)})")
        has_cuda = torch.cuda.is_available()
        if device == "cuda" and not has_cuda:
            raise UserError("device=cuda: torch sees no CUDA GPU here (torch.cuda.is_available() is False, "
                            f"torch {torch.__version__}); use device=auto or device=cpu")
        resolved = "cuda" if device == "cuda" or (device == "auto" and has_cuda) else "cpu"
        if amp and resolved != "cuda":
            raise UserError(f"amp=on: mixed precision runs on cuda only, and device={device} trains on cpu here")
        return cls(resolved, bool(amp))

    def identity(self) -> str:
        """What a build's outputs depend on (an SCons value): cpu and cuda round differently."""
        return self.device + (" amp" if self.amp else "")

    @property
    def torch_device(self) -> torch.device:
        return torch.device(self.device)

    def to(self, x):
        """A tensor or module on this device (the same object when it is there already)."""
        return x.to(self.torch_device, non_blocking=True) if isinstance(x, torch.Tensor) else x.to(self.torch_device)

    def autocast(self):
        """The context a training step's forward pass runs in."""
        if self.amp:
            return torch.autocast("cuda", dtype=torch.float16)
        return contextlib.nullcontext()

    def scaler(self) -> "torch.amp.GradScaler | None":
        """A gradient scaler for float16 steps; None without amp (plain backward and step)."""
        return torch.amp.GradScaler("cuda") if self.amp else None


CPU = Compute()


def device_of(model: torch.nn.Module) -> torch.device:
    """The device a model's parameters (or buffers) are on; cpu for a model with neither."""
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return torch.device("cpu")
