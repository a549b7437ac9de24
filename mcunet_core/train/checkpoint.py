"""Training checkpoints: written atomically (an interrupted run never leaves half a file) and
tagged with what produced them, so a resumed run never continues someone else's training."""

from __future__ import annotations

from pathlib import Path

import torch

from ..atomic import atomic_open
from ..errors import UserError


def save_checkpoint(path: str | Path, state: dict) -> None:
    with atomic_open(path, "wb") as fh:
        torch.save(state, fh)


def load_checkpoint(path: str | Path, fingerprint: dict) -> dict | None:
    """The checkpoint at ``path`` if there is one; it must carry ``fingerprint``."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises several types for a damaged file
        raise UserError(f"checkpoint {path} is unreadable ({type(e).__name__}); delete it to start over") from None
    if state.get("fingerprint") != fingerprint:
        raise UserError(f"checkpoint {path} belongs to another training run (other network or settings); "
                        "delete it to start over")
    return state
