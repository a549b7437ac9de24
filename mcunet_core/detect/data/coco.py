"""COCO detection sets: ``<root>/annotations/instances_<split>.json`` and the images in
``<root>/<split>/`` (``file_name`` of each image), as COCO 2017 ships them.

Categories are matched by name to the task's classes (others are left out, so a person
task on COCO keeps the person boxes); every listed image is kept, those without a box of
the task's classes as negatives. ``bbox`` ``[x, y, w, h]`` becomes ``x0, y0, x1, y1``;
``iscrowd`` boxes are kept, flagged, for the metric's crowd rule.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ...errors import UserError
from ..metrics import Truth
from .source import FileSource


def coco(root: Path, split: str, classes: list[str], mode: str = "RGB") -> FileSource:
    root = Path(root)
    path = root / "annotations" / f"instances_{split}.json"
    data = _load(path)
    for key in ("images", "annotations", "categories"):
        if not isinstance(data.get(key), list):
            raise UserError(f"{path}: no list '{key}'")
    names = {}
    for i, cat in enumerate(data["categories"]):
        if not isinstance(cat, dict) or "id" not in cat or "name" not in cat:
            raise UserError(f"{path}: categories[{i}] needs 'id' and 'name'")
        names[cat["id"]] = cat["name"]
    missing = [c for c in classes if c not in names.values()]
    if missing:
        raise UserError(f"{path}: no category {', '.join(missing)} (categories: {', '.join(sorted(map(str, names.values())))})")
    index = {cid: classes.index(name) for cid, name in names.items() if name in classes}
    images, position = [], {}
    for i, im in enumerate(data["images"]):
        if not isinstance(im, dict) or "id" not in im or "file_name" not in im:
            raise UserError(f"{path}: images[{i}] needs 'id' and 'file_name'")
        position[im["id"]] = len(images)
        images.append(im)
    rows: list[list] = [[] for _ in images]
    for i, ann in enumerate(data["annotations"]):
        where = f"{path}: annotations[{i}]"
        if not isinstance(ann, dict):
            raise UserError(f"{where} is not an object")
        if ann.get("category_id") not in index:
            continue
        if ann.get("image_id") not in position:
            raise UserError(f"{where}: image_id {ann.get('image_id')!r} is not in 'images'")
        bbox = ann.get("bbox")
        if (not isinstance(bbox, list) or len(bbox) != 4 or not all(isinstance(v, (int, float)) for v in bbox)
                or bbox[2] < 0 or bbox[3] < 0):
            raise UserError(f"{where}: bbox must be [x, y, width, height] with width, height >= 0, got {bbox!r}")
        x, y, w, h = bbox
        rows[position[ann["image_id"]]].append((x, y, x + w, y + h, index[ann["category_id"]], bool(ann.get("iscrowd", 0))))
    truths = [Truth(np.array([r[:4] for r in rs]).reshape(-1, 4), [r[4] for r in rs], None, [r[5] for r in rs])
              for rs in rows]
    folder = root / split
    if not folder.is_dir():
        raise UserError(f"COCO folder {root}: no image folder {split}/ for {path.name}")
    return FileSource([folder / im["file_name"] for im in images], truths, classes, mode)


def _load(path: Path) -> dict:
    if not path.is_file():
        found = sorted(p.name for p in path.parent.glob("instances_*.json")) if path.parent.is_dir() else []
        raise UserError(f"COCO folder {path.parent.parent}: no annotation file annotations/{path.name} "
                        f"(found: {', '.join(found) or 'none'})")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UserError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: not a COCO annotation object")
    return data
