"""Boxes as float arrays ``(N, 4)`` of ``x0, y0, x1, y1`` in pixels (x right, y down), corners
continuous: a box's area is ``(x1 - x0) * (y1 - y0)``, as COCO counts it (no "+1")."""

from __future__ import annotations

import numpy as np


def as_boxes(boxes) -> np.ndarray:
    """float64 (N, 4) from anything array-like of N boxes (an empty list included)."""
    b = np.asarray(boxes, dtype=np.float64)
    return b.reshape(0, 4) if b.size == 0 else b.reshape(-1, 4)


def area(boxes) -> np.ndarray:
    b = as_boxes(boxes)
    return np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)


def intersection(a, b) -> np.ndarray:
    """(len(a), len(b)) intersection areas."""
    a, b = as_boxes(a), as_boxes(b)
    w = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    h = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    return np.clip(w, 0, None) * np.clip(h, 0, None)


def iou(a, b, crowd=None) -> np.ndarray:
    """(len(a), len(b)) intersection over union of detections ``a`` with boxes ``b``; where
    ``crowd[j]`` is set, box j's overlap is the intersection over the detection's own area
    (COCO's rule for ``iscrowd`` regions: a detection inside a crowd overlaps it fully)."""
    a, b = as_boxes(a), as_boxes(b)
    inter = intersection(a, b)
    area_a, area_b = area(a)[:, None], area(b)[None, :]
    union = area_a + area_b - inter
    if crowd is not None:
        union = np.where(np.asarray(crowd, dtype=bool)[None, :], area_a, union)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def xywh_to_xyxy(boxes) -> np.ndarray:
    b = as_boxes(boxes).copy()
    b[:, 2:] += b[:, :2]
    return b


def xyxy_to_xywh(boxes) -> np.ndarray:
    b = as_boxes(boxes).copy()
    b[:, 2:] -= b[:, :2]
    return b
