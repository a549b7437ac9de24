"""Where detection samples come from: anything with ``classes``, ``len()``, ``image(i)``
(uint8 (H, W, C)) and ``truth(i)`` (a ``Truth`` in that image's pixels), read when asked."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from ...errors import UserError
from ..metrics import Truth


def read_image(source, mode: str, where: str) -> np.ndarray:
    """uint8 (H, W, C) from a path or encoded bytes; a broken file is a UserError naming it."""
    try:
        with Image.open(source if isinstance(source, (str, Path)) else io.BytesIO(source)) as im:
            image = np.array(im.convert(mode))
    except OSError as e:
        raise UserError(f"cannot read image {where}: {e}") from None
    return image[..., None] if image.ndim == 2 else image


class ArraySource:
    """Images held in memory (an array (N, H, W, C) or a list) with their truths."""

    def __init__(self, images, truths: list[Truth], classes: list[str]):
        if len(images) != len(truths):
            raise ValueError(f"{len(images)} images, {len(truths)} truths")
        self.images, self.truths, self.classes = images, truths, list(classes)

    def __len__(self) -> int:
        return len(self.truths)

    def image(self, i: int) -> np.ndarray:
        return np.asarray(self.images[i])

    def truth(self, i: int) -> Truth:
        return self.truths[i]


class EncodedSource(ArraySource):
    """Encoded images (JPEG/PNG bytes in one buffer, image j at ``offsets[j]:offsets[j + 1]``),
    the ``indices``-th of them, decoded when read."""

    def __init__(self, buffer: np.ndarray, offsets: np.ndarray, indices, truths: list[Truth], classes: list[str],
                 mode: str, where: str):
        super().__init__(list(indices), truths, classes)
        self.buffer, self.offsets, self.mode, self.where = buffer, offsets, mode, where

    def image(self, i: int) -> np.ndarray:
        j = self.images[i]
        return read_image(self.buffer[self.offsets[j]:self.offsets[j + 1]].tobytes(), self.mode, f"{self.where}[{j}]")


class FileSource(ArraySource):
    """Image files on disk, decoded when read."""

    def __init__(self, files: list[Path], truths: list[Truth], classes: list[str], mode: str):
        super().__init__(files, truths, classes)
        self.mode = mode

    def image(self, i: int) -> np.ndarray:
        return read_image(self.images[i], self.mode, str(self.images[i]))
