"""Image preprocessing of a task spec (resize, centre crop, mean/std) and its training
augmentation (random resized crop, horizontal flip, colour jitter), on uint8 HWC arrays.

Augmenting is two steps: ``draw`` takes a sample's random parameters (``ImageDraws``: a few
numbers) from torch's global generator, which the training loop seeds per epoch, and
``apply`` does the pixel work with them. The training loader draws every sample of a global
batch in the one-process order on every rank and applies only this rank's
(``train.batches``); ``preprocess(image)`` is ``apply(image, draw(size))``.
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
class ImageDraws:
    """One image's augmentation parameters (``ImagePreprocess.draw``)."""
    crop: tuple[int, int, int, int] | None = None  # top, left, height, width of a random resized crop
    flip: bool = False
    jitter: tuple[float, float, float] | None = None  # brightness, contrast, saturation factors


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
        """uint8 (H, W, C) -> float (C, res, res) in the task's normalisation, augmented."""
        return self.apply(image, self.draw(np.shape(image)[:2]))

    def draw(self, size: tuple[int, int] | None) -> ImageDraws:
        """The random parameters of one image of ``size`` (height, width), drawn from torch's
        global generator; ``size`` may be None unless ``random_resized_crop`` (it needs it)."""
        crop = self._draw_crop(*size) if self.random_resized_crop else None
        flip = bool(self.horizontal_flip and torch.rand(()) < 0.5)
        j = self.color_jitter
        jitter = tuple((1 + (torch.rand(3) * 2 - 1) * j).tolist()) if j else None
        return ImageDraws(crop, flip, jitter)

    def apply(self, image: np.ndarray, draws: ImageDraws) -> torch.Tensor:
        """uint8 (H, W, C) -> float (C, res, res) in the task's normalisation, augmented by ``draws``."""
        x = torch.from_numpy(np.array(image)).permute(2, 0, 1).to(torch.float32) / 255.0  # a copy: the data may be read-only
        if self.random_resized_crop:
            if draws.crop is not None:
                top, left, ch, cw = draws.crop
                x = x[:, top:top + ch, left:left + cw]
            x = self._resize(x, self.resolution, self.resolution)
        else:
            x = self._centre_crop(x)
        if draws.flip:
            x = x.flip(-1)
        if draws.jitter is not None:
            x = self._jitter(x, draws.jitter)
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

    def _draw_crop(self, h: int, w: int) -> tuple[int, int, int, int] | None:
        """A random resized crop's box (top, left, height, width): area and aspect ratio drawn
        up to 10 times until the box fits; None (the whole image) when none did."""
        for _ in range(10):
            area = h * w * float(torch.empty(()).uniform_(*CROP_SCALE))
            ratio = math.exp(float(torch.empty(()).uniform_(math.log(CROP_RATIO[0]), math.log(CROP_RATIO[1]))))
            cw, ch = round(math.sqrt(area * ratio)), round(math.sqrt(area / ratio))
            if 0 < cw <= w and 0 < ch <= h:
                top = int(torch.randint(0, h - ch + 1, ()))
                left = int(torch.randint(0, w - cw + 1, ()))
                return top, left, ch, cw
        return None

    @staticmethod
    def _jitter(x: torch.Tensor, factors: tuple[float, float, float]) -> torch.Tensor:
        """Brightness, contrast and saturation scaled by ``factors`` (each in [1 - j, 1 + j])."""
        b, c, s = factors
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
        return self.load(i, self.draw(i))

    def draw(self, i: int) -> ImageDraws:
        """Sample ``i``'s augmentation parameters (cheap: the pixels are not touched)."""
        return self.preprocess.draw(self.images[i].shape[:2])

    def load(self, i: int, draws: ImageDraws):
        return self.preprocess.apply(self.images[i], draws), int(self.labels[i])
