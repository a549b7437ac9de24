"""Detection data of a task spec.

    make_detection_dataset(task, split, height=None, augment=None) -> DetectionDataset

Where the data comes from follows ``task.dataset``, as for classification: the embedded
``synthetic-person-det`` scenes when no path is set, else the user's data in the declared
format (``voc``, ``coco``, ``npz``). Every image is letterboxed into the input size
(``preprocessing.letterbox_pad``); the train split is augmented by default (``augment``:
``horizontal_flip``, ``scale_jitter``, ``color_jitter``).
"""

from __future__ import annotations

from ...errors import UserError
from ..spec import DetectionSpec
from .coco import coco
from .dataset import DetectionDataset, DetectionSubset, collate
from .letterbox import Geometry, Placement
from .npz import load_detection_npz
from .source import ArraySource
from .synthetic import CLASSES as PERSON_CLASSES
from .synthetic import synthetic_person_det
from .voc import CLASSES as VOC_CLASSES
from .voc import voc

__all__ = ["make_detection_dataset", "ArraySource", "DetectionDataset", "DetectionSubset", "Geometry", "Placement", "VOC_CLASSES",
           "coco", "collate", "load_detection_npz", "synthetic_person_det", "voc"]


def make_detection_dataset(task, split: str, *, height: int | None = None, augment: bool | None = None) -> DetectionDataset:
    spec = DetectionSpec.from_task(task)
    augment = split == "train" if augment is None else augment
    width, height = spec.input_size(height)
    classes = list(spec.labels)
    mode = "L" if spec.channels == 1 else "RGB"
    ds = task.dataset
    root = ds.data_path()
    if root is None:
        gen, n, seed = ds.embedded["generator"], ds.embedded["samples"], ds.embedded["seed"]
        if gen != "synthetic-person-det":
            raise UserError(f"task {task.name}: generator {gen} does not make boxes")
        if classes != PERSON_CLASSES:
            raise UserError(f"task {task.name}: synthetic-person-det draws the class {PERSON_CLASSES}, the task has {classes}")
        if split not in ("train", "val"):
            raise UserError(f"the embedded {gen} data has splits train and val, not {split!r}")
        if spec.channels != 3:
            raise UserError(f"task {task.name}: synthetic-person-det draws RGB scenes, the input has {spec.channels} channel(s)")
        images, truths = synthetic_person_det(n, seed, split, width, height)
        source = ArraySource(images, list(truths), classes)
    else:
        folder = ds.splits.get(split, split)
        if ds.format == "voc":
            source = voc(root, folder, classes, mode)
        elif ds.format == "coco":
            source = coco(root, folder, classes, mode)
        elif ds.format == "npz":
            source = load_detection_npz(root, folder, classes, mode)
        else:
            raise UserError(f"task {task.name}: dataset format {ds.format} does not hold boxes (formats: voc, coco, npz)")
    aug = task.preprocessing.get("augment", {}) if augment else {}
    geometry = Geometry(width, height, spec.pad, bool(aug.get("horizontal_flip", False)), float(aug.get("scale_jitter", 0.0)))
    channels = spec.channels
    p = task.preprocessing
    return DetectionDataset(source, geometry, p.get("mean", [0.5] * channels), p.get("std", [0.5] * channels),
                            float(aug.get("color_jitter", 0.0)))
