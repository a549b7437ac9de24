"""Box-aware geometry: letterbox an image into the network's input (aspect kept, centred on a
grey pad) and, for training, flip it and jitter its scale and place, boxes following.

A placement is a scale per axis then a pad: input pixel = image pixel * scale + pad.
Randomness comes from torch's global generator, as in the classification data, so the
training loop's per-epoch seed makes a run reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from ..metrics import Truth

MIN_SIDE = 2.0  # px: a box cut smaller than this by a crop is dropped
MIN_KEPT = 0.25  # of its area: so is a box the crop left less of


@dataclass(frozen=True)
class Placement:
    scale_x: float
    scale_y: float
    pad_x: float
    pad_y: float

    def boxes_to_input(self, boxes: np.ndarray) -> np.ndarray:
        return boxes * np.array([self.scale_x, self.scale_y] * 2) + np.array([self.pad_x, self.pad_y] * 2)

    def boxes_to_image(self, boxes: np.ndarray) -> np.ndarray:
        """Back to the original image's pixels (detections on the input -> the user's image)."""
        return ((np.asarray(boxes, dtype=np.float64) - np.array([self.pad_x, self.pad_y] * 2))
                / np.array([self.scale_x, self.scale_y] * 2))


@dataclass(frozen=True)
class Geometry:
    """Letterbox into ``width`` x ``height``; with augmentation, a horizontal flip (p = 0.5) and
    the scale times a factor in [1 - scale_jitter, 1 + scale_jitter] at a random place (a
    larger image is cropped, a smaller one lands anywhere on the pad)."""

    width: int
    height: int
    pad: int = 114
    horizontal_flip: bool = False
    scale_jitter: float = 0.0

    def __call__(self, image: np.ndarray, truth: Truth) -> tuple[np.ndarray, Truth, Placement]:
        h, w = image.shape[:2]
        boxes = truth.boxes.copy()
        if self.horizontal_flip and torch.rand(()) < 0.5:
            image = image[:, ::-1]
            boxes[:, [0, 2]] = w - boxes[:, [2, 0]]
        scale = min(self.width / w, self.height / h)
        if self.scale_jitter:
            scale *= 1 + float(torch.empty(()).uniform_(-self.scale_jitter, self.scale_jitter))
        sw, sh = max(1, round(w * scale)), max(1, round(h * scale))
        if self.scale_jitter:
            px, py = (_uniform(self.width - sw), _uniform(self.height - sh))
        else:
            px, py = (self.width - sw) // 2, (self.height - sh) // 2
        placement = Placement(sw / w, sh / h, px, py)
        out = _paste(_resize(image, sw, sh), self.width, self.height, px, py, self.pad)
        moved = placement.boxes_to_input(boxes) if len(boxes) else boxes
        return out, _clip(truth, moved, self.width, self.height, cropped=bool(self.scale_jitter)), placement


def _uniform(room: int) -> int:
    """An offset in [min(0, room), max(0, room)]."""
    lo, hi = min(0, room), max(0, room)
    return int(torch.randint(lo, hi + 1, ()))


def _resize(image: np.ndarray, w: int, h: int) -> np.ndarray:
    if image.shape[1] == w and image.shape[0] == h:
        return np.ascontiguousarray(image)
    im = Image.fromarray(np.ascontiguousarray(image[..., 0] if image.shape[2] == 1 else image))
    out = np.asarray(im.resize((w, h), Image.BILINEAR))
    return out[..., None] if out.ndim == 2 else out


def _paste(image: np.ndarray, width: int, height: int, px: int, py: int, pad: int) -> np.ndarray:
    canvas = np.full((height, width, image.shape[2]), pad, dtype=np.uint8)
    y0, x0 = max(py, 0), max(px, 0)
    y1, x1 = min(py + image.shape[0], height), min(px + image.shape[1], width)
    if y1 > y0 and x1 > x0:
        canvas[y0:y1, x0:x1] = image[y0 - py:y1 - py, x0 - px:x1 - px]
    return canvas


def _area(boxes: np.ndarray) -> np.ndarray:
    return np.clip(boxes[:, 2] - boxes[:, 0], 0, None) * np.clip(boxes[:, 3] - boxes[:, 1], 0, None)


def _clip(truth: Truth, boxes: np.ndarray, width: int, height: int, cropped: bool) -> Truth:
    """Boxes clipped to the input; after a random crop, those it cut below MIN_SIDE or to
    less than MIN_KEPT of their area are dropped."""
    clipped = np.clip(boxes, 0, [width, height, width, height]) if len(boxes) else boxes
    keep = np.ones(len(boxes), bool)
    if cropped and len(boxes):
        sides = np.minimum(clipped[:, 2] - clipped[:, 0], clipped[:, 3] - clipped[:, 1])
        keep = (sides >= MIN_SIDE) & (_area(clipped) >= MIN_KEPT * np.maximum(_area(boxes), 1e-9))
    return Truth(clipped[keep], truth.classes[keep], truth.difficult[keep], truth.crowd[keep])
