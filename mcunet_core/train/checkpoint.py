"""Training checkpoints: written atomically (an interrupted run never leaves half a file) and
tagged with what produced them, so a resumed run never continues someone else's training."""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from ..atomic import atomic_open
from ..errors import UserError


def save_checkpoint(path: str | Path, state: dict) -> None:
    with atomic_open(path, "wb") as fh:
        torch.save(state, fh)


def load_checkpoint(path: str | Path, fingerprint: dict) -> dict | None:
    """The checkpoint at ``path`` if there is one; it must carry ``fingerprint``. Its strings
    come back interned, as a fresh run's are (``interned``)."""
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
    return interned(state)


def interned(value):
    """``value`` with its dicts and lists rebuilt around interned strings. Pickle writes a string
    object once and refers back to it: a run resumed from a checkpoint saves byte for byte what
    an uninterrupted run saves only when its keys ("epoch", "lr", ...) are the same objects as
    the code's own literals, as in a fresh run."""
    if isinstance(value, str):
        return sys.intern(value)
    if isinstance(value, dict):
        rebuilt = {interned(k): interned(v) for k, v in value.items()}
        return type(value)(rebuilt) if type(value) is not dict else rebuilt
    if isinstance(value, list):
        return [interned(v) for v in value]
    return value
