"""A user's NumPy archive: ``x`` (uint8 images (N, H, W, C), or audio (N, samples) int16 or
float), ``y`` (class indices) and optionally ``split`` (a name per sample, matched against
the task's ``dataset.splits``; without it every sample belongs to every split)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import UserError


def load_npz(path: Path, split_name: str) -> tuple[np.ndarray, np.ndarray]:
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in ("x", "y") if k not in z.files]
            if missing:
                raise UserError(f"{path}: no array {', '.join(missing)} (has: {', '.join(z.files)})")
            x, y = z["x"], z["y"].astype(np.int64)
            if "split" in z.files:
                keep = z["split"].astype(str) == split_name
                if not keep.any():
                    raise UserError(f"{path}: no sample has split {split_name!r} (splits: {', '.join(sorted(set(z['split'].astype(str))))})")
                x, y = x[keep], y[keep]
    except (OSError, ValueError) as e:
        raise UserError(f"cannot read {path}: {e}") from None
    if len(x) != len(y):
        raise UserError(f"{path}: x has {len(x)} samples, y has {len(y)}")
    return x, y
