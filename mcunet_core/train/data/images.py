"""Image preprocessing of a task spec (resize, centre crop, mean/std) and its training
augmentation (random resized crop, horizontal flip, colour jitter), on uint8 HWC arrays.

Randomness comes from torch's global generator, which the training loop seeds per epoch,
so a run is reproducible (with worker processes too: torch seeds each worker from it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

CROP_SCALE = (0.25, 1.0)  # of the image area (torchvision uses 0.08: too much for 0.5 % persons)
CROP_RATIO = (3 / 4, 4 / 3)


@dataclass(frozen=True)
class ImagePreprocess:
    resolution: int
    mean: tuple[float, ...] = (0.5, 0.5, 0.5)
    std: tuple[float, ...] = (0.5, 0.5, 0.5)
    resize: str = "bilinear"
    center_crop: float = 1.0
    random_resized_crop: bool = False
    horizontal_flip: bool = False
    color_jitter: float = 0.0

    @classmethod
    def from_task(cls, task, resolution: int | None = None, augment: bool = False) -> "ImagePreprocess":
        p = task.preprocessing
        aug = p.get("augment", {}) if augment else {}
        channels = task.input_shape[2]
        return cls(
            resolution=int(resolution or task.resolution),
            mean=tuple(p.get("mean", [0.5] * channels)), std=tuple(p.get("std", [0.5] * channels)),
            resize=p.get("resize", "bilinear"), center_crop=float(p.get("center_crop", 1.0)),
            random_resized_crop=bool(aug.get("random_resized_crop", False)),
            horizontal_flip=bool(aug.get("horizontal_flip", False)),
            color_jitter=float(aug.get("color_jitter", 0.0)),
        )

    def __call__(self, image: np.ndarray) -> torch.Tensor:
        """uint8 (H, W, C) -> float (C, res, res) in the task's normalisation."""
        x = torch.from_numpy(np.array(image)).permute(2, 0, 1).to(torch.float32) / 255.0  # a copy: the data may be read-only
        x = self._random_crop(x) if self.random_resized_crop else self._centre_crop(x)
        if self.horizontal_flip and torch.rand(()) < 0.5:
            x = x.flip(-1)
        if self.color_jitter:
            x = self._jitter(x)
        mean = torch.tensor(self.mean, dtype=torch.float32).reshape(-1, 1, 1)
        std = torch.tensor(self.std, dtype=torch.float32).reshape(-1, 1, 1)
        return (x - mean) / std

    def _resize(self, x: torch.Tensor, h: int, w: int) -> torch.Tensor:
        if tuple(x.shape[1:]) == (h, w):
            return x
        mode = self.resize
        kw = {"align_corners": False, "antialias": True} if mode in ("bilinear", "bicubic") else {}
        return F.interpolate(x[None], size=(h, w), mode=mode, **kw)[0].clamp(0, 1)

    def _centre_crop(self, x: torch.Tensor) -> torch.Tensor:
        """Shorter side to resolution / center_crop, then the centre square."""
        r = self.resolution
        h, w = x.shape[1:]
        scale = round(r / self.center_crop) / min(h, w)
        x = self._resize(x, max(r, round(h * scale)), max(r, round(w * scale)))
        top, left = (x.shape[1] - r) // 2, (x.shape[2] - r) // 2
        return x[:, top:top + r, left:left + r]

    def _random_crop(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[1:]
        for _ in range(10):
            area = h * w * float(torch.empty(()).uniform_(*CROP_SCALE))
            ratio = math.exp(float(torch.empty(()).uniform_(math.log(CROP_RATIO[0]), math.log(CROP_RATIO[1]))))
            cw, ch = round(math.sqrt(area * ratio)), round(math.sqrt(area / ratio))
            if 0 < cw <= w and 0 < ch <= h:
                top = int(torch.randint(0, h - ch + 1, ()))
                left = int(torch.randint(0, w - cw + 1, ()))
                return self._resize(x[:, top:top + ch, left:left + cw], self.resolution, self.resolution)
        return self._resize(x, self.resolution, self.resolution)

    def _jitter(self, x: torch.Tensor) -> torch.Tensor:
        """Brightness, contrast and saturation each scaled by a factor in [1 - j, 1 + j]."""
        j = self.color_jitter
        b, c, s = (1 + (torch.rand(3) * 2 - 1) * j).tolist()
        x = x * b
        x = (x - x.mean()) * c + x.mean()
        if x.shape[0] == 3:
            grey = (0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2])[None]
            x = (x - grey) * s + grey
        return x.clamp(0, 1)


class ImageArrayDataset(torch.utils.data.Dataset):
    """In-memory uint8 images (N, H, W, C) and labels, preprocessed on access."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, preprocess: ImagePreprocess, classes: list[str]):
        self.images, self.labels = images, np.asarray(labels, dtype=np.int64)
        self.preprocess, self.classes = preprocess, classes

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        return self.preprocess(self.images[i]), int(self.labels[i])
