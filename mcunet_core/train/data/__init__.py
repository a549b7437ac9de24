"""Data sets of a task spec, all yielding ``(float tensor CHW in the task's preprocessing, label)``.

    make_dataset(task, split, resolution=None, augment=None) -> torch Dataset with .labels, .classes
    dataset.draw(i) -> drawn;  dataset.load(i, drawn) -> sample   (data[i] in two steps: ``draws``)

Where the data comes from follows ``task.dataset``: the embedded generators
(``synthetic-vww``, ``synthetic-kws``; splits train/val) when no path is set, else the
user's data in the declared format (``imagefolder``, ``speech_commands`` with splits
train/val/test, ``npz``). Augmentation defaults to on for the train split only.
"""

from __future__ import annotations

import numpy as np

from ...errors import UserError
from .audio import AudioAugment, AudioDataset
from .holdout import LabelledSubset, holdout_indices
from .imagefolder import ImageFolder
from .images import ImageArrayDataset, ImagePreprocess
from .mfcc import Mfcc
from .npz import load_npz
from .speech_commands import speech_commands
from .synthetic_kws import CLASSES as KWS_CLASSES
from .synthetic_kws import background_noise, synthetic_kws
from .synthetic_vww import synthetic_vww

VWW_CLASSES = ["no_person", "person"]

__all__ = ["make_dataset", "AudioAugment", "AudioDataset", "ImageArrayDataset", "ImageFolder", "ImagePreprocess",
           "LabelledSubset", "Mfcc", "holdout_indices", "synthetic_kws", "synthetic_vww"]


def _classes(task, generated: list[str]) -> list[str]:
    if task.classes != len(generated):
        raise UserError(f"task {task.name}: {task.classes} classes, but its data set has {len(generated)}")
    return list(task.labels or generated)


def _grey(images: np.ndarray) -> np.ndarray:
    luma = images.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return np.round(luma)[..., None].astype(np.uint8)


def make_dataset(task, split: str, *, resolution: int | None = None, augment: bool | None = None):
    if "detection" in task.raw:
        raise UserError(f"task {task.name} is a detection task: its data is mcunet_core.detect.data's, and the "
                        f"search and training of detectors are not built yet (issue 17)")
    augment = split == "train" if augment is None else augment
    ds = task.dataset
    root = ds.data_path()
    image = task.input_kind == "image"
    kind = "images" if image else "audio"
    if root is None:
        gen = ds.embedded["generator"]
        n, seed = ds.embedded["samples"], ds.embedded["seed"]
        if split not in ("train", "val"):
            raise UserError(f"the embedded {gen} data has splits train and val, not {split!r}")
        if gen == "synthetic-vww" and image:
            images, labels = synthetic_vww(n, seed, split, resolution or task.resolution)
            images = _grey(images) if task.input_shape[2] == 1 else images
            return ImageArrayDataset(images, labels, ImagePreprocess.from_task(task, resolution, augment),
                                     _classes(task, VWW_CLASSES))
        if gen == "synthetic-kws" and not image:
            clips, labels = synthetic_kws(n, seed, split)
            return AudioDataset(clips, labels, Mfcc.from_task(task), _classes(task, KWS_CLASSES),
                                AudioAugment.from_task(task) if augment else None, background_noise(seed))
        raise UserError(f"task {task.name}: generator {gen} does not make {kind}")
    folder = ds.splits.get(split, split)
    if ds.format == "imagefolder" and image:
        return ImageFolder(root / folder, task.labels, ImagePreprocess.from_task(task, resolution, augment),
                           "L" if task.input_shape[2] == 1 else "RGB")
    if ds.format == "speech_commands" and not image:
        p, audio = task.preprocessing, task.audio
        mfcc = Mfcc.from_task(task)
        clips, labels, noise = speech_commands(root, list(task.labels), split, audio["sample_rate"], mfcc.samples,
                                               p.get("silence_percent", 0), p.get("unknown_percent", 0))
        return AudioDataset(clips, labels, mfcc, list(task.labels), AudioAugment.from_task(task) if augment else None, noise)
    if ds.format == "npz":
        x, y = load_npz(root, folder)
        classes = list(task.labels or [str(i) for i in range(task.classes)])
        if image:
            if x.ndim != 4 or x.dtype != np.uint8:
                raise UserError(f"{root}: image task {task.name} needs x as uint8 (N, H, W, C), got {x.dtype} {x.shape}")
            return ImageArrayDataset(x, y, ImagePreprocess.from_task(task, resolution, augment), classes)
        if x.ndim != 2:
            raise UserError(f"{root}: audio task {task.name} needs x as (N, samples), got {x.shape}")
        return AudioDataset(x, y, Mfcc.from_task(task), classes, AudioAugment.from_task(task) if augment else None)
    raise UserError(f"task {task.name}: dataset format {ds.format} does not hold {kind}")
