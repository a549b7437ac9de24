"""A user's NumPy archive of boxes:

- images: ``x`` uint8 (N, H, W, C), or ``jpeg`` uint8 (bytes) with ``offsets`` int (N + 1)
  (image i is ``jpeg[offsets[i]:offsets[i + 1]]``, any format Pillow reads);
- ``boxes`` float (M, 4) ``x0, y0, x1, y1`` in pixels of their image, ``box_image`` int (M,)
  the image of each box, ``box_class`` int (M,) its class (may be left out for a one-class
  task), and optionally ``iscrowd`` / ``difficult`` (M,) flags;
- optionally ``split`` (N,): a name per image, matched against the task's ``dataset.splits``
  (without it every image belongs to every split).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import UserError
from ..metrics import Truth
from .source import ArraySource, EncodedSource


def load_detection_npz(path: Path, split_name: str, classes: list[str], mode: str = "RGB") -> ArraySource:
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError) as e:
        raise UserError(f"cannot read {path}: {e}") from None
    has = ", ".join(sorted(arrays))
    encoded = "jpeg" in arrays
    needed = ["boxes", "box_image"] + (["offsets"] if encoded else [] if "x" in arrays else ["x (or jpeg and offsets)"])
    if len(classes) > 1:
        needed.append("box_class")
    missing = [k for k in needed if k.split()[0] not in arrays]
    if missing:
        raise UserError(f"{path}: no array {', '.join(missing)} (has: {has})")
    if encoded:
        offsets = arrays["offsets"].astype(np.int64)
        n = len(offsets) - 1
        if n < 0 or np.any(np.diff(offsets) < 0) or offsets[0] < 0 or offsets[-1] > len(arrays["jpeg"]):
            raise UserError(f"{path}: offsets must rise from 0 to at most len(jpeg) = {len(arrays['jpeg'])}")
    else:
        x = arrays["x"]
        if x.ndim != 4 or x.dtype != np.uint8:
            raise UserError(f"{path}: x must be uint8 images (N, H, W, C), got {x.dtype} {x.shape}")
        n = len(x)
    boxes = arrays["boxes"].astype(np.float64)
    m = len(boxes)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise UserError(f"{path}: boxes must be (M, 4) x0, y0, x1, y1, got {boxes.shape}")
    if np.any(boxes[:, 2] < boxes[:, 0]) or np.any(boxes[:, 3] < boxes[:, 1]) or not np.isfinite(boxes).all():
        bad = int(np.flatnonzero(~((boxes[:, 2] >= boxes[:, 0]) & (boxes[:, 3] >= boxes[:, 1])))[0])
        raise UserError(f"{path}: boxes[{bad}] = {boxes[bad].tolist()} is not x0 <= x1, y0 <= y1")
    columns = {"box_image": None, "box_class": 0, "iscrowd": 0, "difficult": 0}
    per_box = {}
    for key, default in columns.items():
        v = arrays.get(key)
        if v is None:
            per_box[key] = np.full(m, default, np.int64)
            continue
        if v.shape != (m,):
            raise UserError(f"{path}: {key} must have one value per box ({m}), got shape {v.shape}")
        per_box[key] = v.astype(np.int64)
    if m and (per_box["box_image"].min() < 0 or per_box["box_image"].max() >= n):
        raise UserError(f"{path}: box_image must index the {n} images (0..{n - 1})")
    if m and (per_box["box_class"].min() < 0 or per_box["box_class"].max() >= len(classes)):
        raise UserError(f"{path}: box_class must be a class index 0..{len(classes) - 1} ({', '.join(classes)})")
    keep = np.arange(n)
    if "split" in arrays:
        split = arrays["split"].astype(str)
        if split.shape != (n,):
            raise UserError(f"{path}: split must have one name per image ({n}), got shape {split.shape}")
        keep = np.flatnonzero(split == split_name)
        if not len(keep):
            raise UserError(f"{path}: no image has split {split_name!r} (splits: {', '.join(sorted(set(split)))})")
    order = np.argsort(per_box["box_image"], kind="stable")
    starts = np.searchsorted(per_box["box_image"][order], np.arange(n + 1))
    truths = []
    for i in keep:
        sel = order[starts[i]:starts[i + 1]]
        truths.append(Truth(boxes[sel], per_box["box_class"][sel], per_box["difficult"][sel] != 0,
                            per_box["iscrowd"][sel] != 0))
    if encoded:
        return EncodedSource(arrays["jpeg"], arrays["offsets"].astype(np.int64), keep, truths, classes, mode, f"{path}: jpeg")
    return ArraySource(arrays["x"][keep], truths, classes)
