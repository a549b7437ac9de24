"""Pascal VOC trees: ``<root>/ImageSets/Main/<split>.txt`` (one image id a line),
``<root>/Annotations/<id>.xml`` and ``<root>/JPEGImages/<id>.jpg`` (VOC2007, VOC2012 layout).

Objects of classes the task does not name are left out (a one-class task on VOC keeps that
class); ``difficult`` objects are kept, flagged, for the metric to ignore. VOC's 1-based,
inclusive pixel corners become continuous ones: ``x0 = xmin - 1``, ``x1 = xmax``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from ...errors import UserError
from ..metrics import Truth
from .source import FileSource

CLASSES = ["aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow", "diningtable",
           "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor"]


def voc(root: Path, split: str, classes: list[str], mode: str = "RGB") -> FileSource:
    root = Path(root)
    listing = root / "ImageSets" / "Main" / f"{split}.txt"
    if not listing.is_file():
        found = sorted(p.stem for p in (root / "ImageSets" / "Main").glob("*.txt") if "_" not in p.stem)
        raise UserError(f"VOC folder {root}: no image list {listing.relative_to(root)} "
                        f"(lists: {', '.join(found) or 'none'}; is {root} a VOC20xx folder?)")
    ids = [line.split()[0] for line in listing.read_text().splitlines() if line.strip()]
    if not ids:
        raise UserError(f"{listing}: no image ids")
    index = {name: i for i, name in enumerate(classes)}
    files, truths = [], []
    for image_id in ids:
        truths.append(_annotation(root / "Annotations" / f"{image_id}.xml", index))
        files.append(_image_file(root / "JPEGImages", image_id))
    return FileSource(files, truths, classes, mode)


def _image_file(folder: Path, image_id: str) -> Path:
    for ext in (".jpg", ".jpeg", ".png", ".JPG"):
        if (folder / f"{image_id}{ext}").is_file():
            return folder / f"{image_id}{ext}"
    raise UserError(f"{folder}: no image {image_id}.jpg")


def _annotation(path: Path, index: dict[str, int]) -> Truth:
    try:
        tree = ET.parse(path)
    except FileNotFoundError:
        raise UserError(f"{path}: no such annotation file") from None
    except ET.ParseError as e:
        raise UserError(f"{path}: not valid XML ({e})") from None
    boxes, classes, difficult = [], [], []
    for k, obj in enumerate(tree.getroot().iter("object")):
        name = _text(obj, "name", path, k)
        if name not in index:
            continue
        bb = obj.find("bndbox")
        if bb is None:
            raise UserError(f"{path}: object {k} ({name}) has no bndbox")
        xmin, ymin, xmax, ymax = (_number(bb, key, path, k) for key in ("xmin", "ymin", "xmax", "ymax"))
        if not (xmax >= xmin and ymax >= ymin):
            raise UserError(f"{path}: object {k} ({name}): bndbox xmin..xmax {xmin:g}..{xmax:g}, "
                            f"ymin..ymax {ymin:g}..{ymax:g} is empty")
        boxes.append([xmin - 1, ymin - 1, xmax, ymax])
        classes.append(index[name])
        d = obj.find("difficult")
        difficult.append(d is not None and (d.text or "0").strip() not in ("0", ""))
    return Truth(np.array(boxes).reshape(-1, 4), classes, difficult)


def _text(obj, key: str, path: Path, k: int) -> str:
    node = obj.find(key)
    if node is None or not (node.text or "").strip():
        raise UserError(f"{path}: object {k} has no {key}")
    return node.text.strip()


def _number(bb, key: str, path: Path, k: int) -> float:
    node = bb.find(key)
    try:
        return float(node.text)
    except (AttributeError, TypeError, ValueError):
        raise UserError(f"{path}: object {k}: bndbox/{key} is "
                        f"{'missing' if node is None else repr(node.text)}, not a number") from None
