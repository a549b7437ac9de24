"""A detection source as a torch Dataset: each sample letterboxed (augmented for training)
into the input size and normalised as the task says, with its boxes in input pixels."""

from __future__ import annotations

import numpy as np
import torch

from ..metrics import Truth
from .letterbox import Geometry


class DetectionDataset(torch.utils.data.Dataset):
    """``ds[i]`` -> (float (C, H, W), float (M, 7) target rows ``class, x0, y0, x1, y1,
    difficult, crowd`` in input pixels); ``ds.truth(i)``: the image's ``Truth`` in input
    pixels (a fresh draw of the augmentation where there is one, so score unaugmented sets)."""

    def __init__(self, source, geometry: Geometry, mean, std, color_jitter: float = 0.0):
        self.source, self.geometry, self.classes = source, geometry, source.classes
        self.mean = torch.tensor(mean, dtype=torch.float32).reshape(-1, 1, 1)
        self.std = torch.tensor(std, dtype=torch.float32).reshape(-1, 1, 1)
        self.color_jitter = color_jitter

    def __len__(self) -> int:
        return len(self.source)

    @staticmethod
    def collate(batch):
        """The training loader's batches (its ``collate_fn``): boxes vary per image."""
        return collate(batch)

    def sample(self, i: int) -> tuple[np.ndarray, Truth]:
        """The uint8 input image (H, W, C) and its truth."""
        image, truth, _ = self.geometry(self.source.image(i), self.source.truth(i))
        return image, truth

    def truth(self, i: int) -> Truth:
        return self.sample(i)[1]

    def __getitem__(self, i: int):
        image, truth = self.sample(i)
        x = torch.from_numpy(np.array(image)).permute(2, 0, 1).to(torch.float32) / 255.0
        if self.color_jitter:
            x = _jitter(x, self.color_jitter)
        target = np.concatenate([truth.classes[:, None], truth.boxes, truth.difficult[:, None], truth.crowd[:, None]], 1)
        return (x - self.mean) / self.std, torch.from_numpy(target.astype(np.float32))


def collate(batch):
    """(images (B, C, H, W), target rows (K, 8): image index in the batch, then a target row)."""
    images = torch.stack([b[0] for b in batch])
    rows = [torch.cat([torch.full((len(t), 1), float(i)), t], 1) for i, (_, t) in enumerate(batch)]
    return images, torch.cat(rows) if rows else torch.zeros(0, 8)


def _jitter(x: torch.Tensor, j: float) -> torch.Tensor:
    """Brightness, contrast and saturation each scaled by a factor in [1 - j, 1 + j]
    (the classification data's colour jitter)."""
    b, c, s = (1 + (torch.rand(3) * 2 - 1) * j).tolist()
    x = x * b
    x = (x - x.mean()) * c + x.mean()
    if x.shape[0] == 3:
        grey = (0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2])[None]
        x = (x - grey) * s + grey
    return x.clamp(0, 1)


class DetectionSubset(torch.utils.data.Subset):
    """Some images of a ``DetectionDataset`` (a search's held-out part of train), with what the
    training loop and the scoring read: ``truth``, ``geometry``, ``classes``, ``collate``."""

    def __init__(self, dataset: DetectionDataset, indices):
        super().__init__(dataset, [int(i) for i in indices])
        self.geometry, self.classes = dataset.geometry, dataset.classes

    def truth(self, i: int):
        return self.dataset.truth(self.indices[i])

    collate = staticmethod(collate)
