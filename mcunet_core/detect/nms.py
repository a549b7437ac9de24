"""Greedy non-maximum suppression per class, in integers (a C version repeats it exactly).

Candidates arrive best first (``Decoder.candidates``). Each is kept unless a kept box of
its class overlaps it by more than the threshold: ``inter * 2^15 > iou_q * union`` in 64-bit
integers (areas of 1/16-pixel boxes), never a division. At most ``max_detections`` are kept.
"""

from __future__ import annotations

import numpy as np

Q = 15


def nms(rows: np.ndarray, iou_q: int, max_detections: int) -> np.ndarray:
    """Indices of the kept rows of int64 ``class, score, x0, y0, x1, y1``, in order."""
    rows = np.asarray(rows, dtype=np.int64)
    cls, boxes = rows[:, 0], rows[:, 2:6]
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    kept: list[int] = []
    for i in range(len(rows)):
        if len(kept) >= max_detections:
            break
        if kept:
            k = np.array(kept)
            k = k[cls[k] == cls[i]]
            if len(k):
                w = np.clip(np.minimum(boxes[k, 2], boxes[i, 2]) - np.maximum(boxes[k, 0], boxes[i, 0]), 0, None)
                h = np.clip(np.minimum(boxes[k, 3], boxes[i, 3]) - np.maximum(boxes[k, 1], boxes[i, 1]), 0, None)
                inter = w * h
                union = area[k] + area[i] - inter
                if np.any((inter << Q) > iou_q * union):
                    continue
        kept.append(i)
    return np.array(kept, dtype=np.int64)
