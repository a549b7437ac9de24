"""ImageFolder trees: ``<root>/<split>/<class>/*.jpg|png`` (real VWW, ImageNet-style data).

Classes are the task's labels when it names them (each must be a folder), else the sorted
folder names. Files are decoded with Pillow when a sample is loaded, not held in memory;
drawing a sample's random crop reads only its header (its size).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ...errors import UserError
from .images import ImageDraws, ImagePreprocess

EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".webp"}


class ImageFolder(torch.utils.data.Dataset):
    def __init__(self, root: Path, labels: list[str] | None, preprocess: ImagePreprocess, mode: str = "RGB"):
        root = Path(root)
        if not root.is_dir():
            raise UserError(f"image folder {root} does not exist")
        found = sorted(p.name for p in root.iterdir() if p.is_dir())
        self.classes = list(labels) if labels else found
        missing = [c for c in self.classes if c not in found]
        if missing:
            raise UserError(f"image folder {root}: no class folder {', '.join(missing)} (found: {', '.join(found) or 'none'})")
        self.files, labels_ = [], []
        for index, name in enumerate(self.classes):
            files = sorted(p for p in (root / name).rglob("*") if p.suffix.lower() in EXTENSIONS)
            self.files += files
            labels_ += [index] * len(files)
        if not self.files:
            raise UserError(f"image folder {root}: no images (*.jpg, *.png, ...) in its class folders")
        self.labels = np.array(labels_, dtype=np.int64)
        self.preprocess, self.mode = preprocess, mode

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int):
        return self.load(i, self.draw(i))

    def draw(self, i: int) -> ImageDraws:
        """Sample ``i``'s augmentation parameters; a random crop needs the image's size alone."""
        return self.preprocess.draw(self._size(i) if self.preprocess.random_resized_crop else None)

    def load(self, i: int, draws: ImageDraws):
        image = self._read(i, lambda im: np.array(im.convert(self.mode)))
        if image.ndim == 2:
            image = image[..., None]
        return self.preprocess.apply(image, draws), int(self.labels[i])

    def _size(self, i: int) -> tuple[int, int]:
        """(height, width) from the file's header, without decoding the pixels."""
        width, height = self._read(i, lambda im: im.size)
        return height, width

    def _read(self, i: int, what):
        try:
            with Image.open(self.files[i]) as im:
                return what(im)
        except OSError as e:
            raise UserError(f"cannot read image {self.files[i]}: {e}") from None
