"""Detection metrics on per-image lists of boxes: Pascal VOC mAP@0.5 (11-point and all-point
interpolation) and COCO-style mAP@[.5:.95].

Inputs, one entry per image, in the same image order:

- detections: array-like ``(N, 6)`` rows ``class, score, x0, y0, x1, y1`` (pixels);
- ground truth: a ``Truth`` (boxes, classes and the ``difficult`` / ``crowd`` flags).

``voc_map`` follows the VOC devkit (``VOCevalDet``, the ``voc_eval.py`` everyone copies):
per class, detections of all images sorted by score, each matched to the truth of its image
it overlaps most, a hit when the IoU is above the threshold and that truth is not yet found
(else a false positive); a detection whose best truth is ``difficult`` counts neither way, and
difficult boxes are not in the recall's denominator. VOC has no crowds; here a detection that
found nothing and lies in a ``crowd`` box (intersection over its own area above the
threshold) counts neither way, and crowd boxes are not to be found. Areas are continuous (no
devkit "+1" pixel) unless ``plus_one``.

``coco_map`` follows pycocotools' ``COCOeval`` for boxes (an area range, "all" by default,
truths outside it ignored as are unmatched detections outside it; ``max_detections`` per
image and class, 101 recall points, IoU thresholds .50:.05:.95), including its crowd rule
(a crowd box matches any number of detections, by intersection over the detection's area,
and those detections count neither way); ``difficult`` boxes are ignored alike, without the
crowd overlap rule. Classes without ground truth to find are left out of both means (their
AP is NaN).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .boxes import area, as_boxes, iou

COCO_IOUS = tuple(np.linspace(0.5, 0.95, 10))
COCO_RECALLS = np.linspace(0.0, 1.0, 101)
#: COCO's area ranges (box area in pixels of the evaluated image; COCO's own are original pixels)
AREAS = {"all": (0.0, 1e10), "small": (0.0, 32.0**2), "medium": (32.0**2, 96.0**2), "large": (96.0**2, 1e10)}


@dataclass(frozen=True)
class Truth:
    """The ground truth of one image."""

    boxes: np.ndarray  # float64 (M, 4): x0, y0, x1, y1
    classes: np.ndarray  # int64 (M,)
    difficult: np.ndarray = field(default=None)  # bool (M,): VOC "difficult"
    crowd: np.ndarray = field(default=None)  # bool (M,): COCO "iscrowd"

    def __post_init__(self):
        boxes = as_boxes(self.boxes)
        n = len(boxes)
        object.__setattr__(self, "boxes", boxes)
        object.__setattr__(self, "classes", np.asarray(self.classes, dtype=np.int64).reshape(n))
        for name in ("difficult", "crowd"):
            value = getattr(self, name)
            value = np.zeros(n, bool) if value is None else np.asarray(value, dtype=bool).reshape(n)
            object.__setattr__(self, name, value)

    def __len__(self) -> int:
        return len(self.boxes)

    def ignoring_small(self, min_side: float) -> "Truth":
        """The same boxes, those narrower or lower than ``min_side`` pixels flagged difficult:
        found or not, they count neither way (a benchmark's "tiny boxes ignored" rule)."""
        wh = self.boxes[:, 2:] - self.boxes[:, :2]
        return Truth(self.boxes, self.classes, self.difficult | (wh.min(1) < min_side), self.crowd)

    def of_class(self, c: int) -> "Truth":
        keep = self.classes == c
        return Truth(self.boxes[keep], self.classes[keep], self.difficult[keep], self.crowd[keep])


def as_detections(rows) -> np.ndarray:
    """float64 (N, 6): class, score, x0, y0, x1, y1."""
    d = np.asarray(rows, dtype=np.float64)
    return d.reshape(0, 6) if d.size == 0 else d.reshape(-1, 6)


@dataclass(frozen=True)
class MapResult:
    metric: str  # "voc-11point@0.5", "voc-all@0.5", "coco"
    map: float  # mean AP over the classes that have ground truth
    per_class: tuple[float, ...]  # NaN where a class has nothing to find
    by_iou: dict = field(default_factory=dict)  # COCO: {iou threshold: mAP there}

    @property
    def map50(self) -> float:
        return self.by_iou.get(0.5, self.map)

    @property
    def map75(self) -> float:
        return self.by_iou[0.75]


def _check(detections, truths) -> tuple[list[np.ndarray], list[Truth]]:
    detections = [as_detections(d) for d in detections]
    truths = list(truths)
    if len(detections) != len(truths):
        raise ValueError(f"{len(detections)} images of detections, {len(truths)} of ground truth")
    return detections, truths


def _mean(values) -> float:
    v = np.asarray(values, dtype=np.float64)
    v = v[~np.isnan(v)]
    return float(v.mean()) if len(v) else float("nan")


# -- VOC ---------------------------------------------------------------------------------------

def voc_ap(recall: np.ndarray, precision: np.ndarray, interpolation: str = "all") -> float:
    """Average precision of one class's precision/recall curve (detections in score order).

    ``"11point"``: the mean over recall 0, 0.1, ..., 1 of the highest precision at that recall
    or above (VOC 2007). ``"all"``: the area under the curve made monotone (VOC 2010 on)."""
    recall, precision = np.asarray(recall, float), np.asarray(precision, float)
    if interpolation == "11point":
        return float(np.mean([precision[recall >= t].max() if (recall >= t).any() else 0.0
                              for t in np.linspace(0, 1, 11)]))
    if interpolation != "all":
        raise ValueError(f"interpolation must be '11point' or 'all', not {interpolation!r}")
    r = np.concatenate([[0.0], recall, [1.0]])
    p = np.concatenate([[0.0], precision, [0.0]])
    p = np.maximum.accumulate(p[::-1])[::-1]
    steps = np.flatnonzero(r[1:] != r[:-1])
    return float(np.sum((r[steps + 1] - r[steps]) * p[steps + 1]))


def _voc_class(detections, truths, c: int, threshold: float, plus_one: bool):
    """(recall, precision) of class c, or None when the class has nothing to find."""
    classed = [t.of_class(c) for t in truths]
    gts = [Truth(t.boxes[~t.crowd], t.classes[~t.crowd], t.difficult[~t.crowd]) for t in classed]
    crowds = [t.boxes[t.crowd] for t in classed]
    ignored = [t.difficult for t in gts]
    positives = sum(int((~ig).sum()) for ig in ignored)
    if positives == 0:
        return None
    rows = [(img, d) for img, dets in enumerate(detections) for d in dets[dets[:, 0] == c]]
    order = np.argsort([-d[1] for _, d in rows], kind="mergesort")
    taken = [np.zeros(len(g), bool) for g in gts]
    tp, fp = np.zeros(len(rows)), np.zeros(len(rows))
    pad = 1.0 if plus_one else 0.0
    for k, i in enumerate(order):
        img, d = rows[i]
        box = d[None, 2:6] + np.array([0, 0, pad, pad])
        overlaps = iou(box, gts[img].boxes + np.array([0, 0, pad, pad]))[0]
        j = int(np.argmax(overlaps)) if len(overlaps) else -1
        if j >= 0 and overlaps[j] > threshold:
            if ignored[img][j]:
                continue
            if not taken[img][j]:
                tp[k], taken[img][j] = 1, True
                continue
        if len(crowds[img]) and iou(box, crowds[img] + np.array([0, 0, pad, pad]), np.ones(len(crowds[img]), bool)).max() > threshold:
            continue  # inside a crowd region
        fp[k] = 1
    tp, fp = np.cumsum(tp), np.cumsum(fp)
    precision = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
    return tp / positives, precision


def voc_map(detections, truths, classes: int, *, threshold: float = 0.5, interpolation: str = "11point",
            plus_one: bool = False) -> MapResult:
    """Pascal VOC mAP at IoU ``threshold``; ``interpolation`` "11point" (VOC 2007) or "all"."""
    detections, truths = _check(detections, truths)
    aps = []
    for c in range(classes):
        curve = _voc_class(detections, truths, c, threshold, plus_one)
        aps.append(float("nan") if curve is None else voc_ap(*curve, interpolation))
    return MapResult(f"voc-{interpolation}@{threshold:g}", _mean(aps), tuple(aps), {threshold: _mean(aps)})


# -- COCO --------------------------------------------------------------------------------------

def _coco_image(dets: np.ndarray, truth: Truth, thresholds, max_detections: int, areas=AREAS["all"]):
    """One image and class as COCOeval.evaluateImg: (scores, matched (T, D), ignored (T, D),
    number of truths to find)."""
    dets = dets[np.argsort(-dets[:, 1], kind="mergesort")][:max_detections]
    lo, hi = areas
    gt_area = area(truth.boxes)
    ignore = truth.crowd | truth.difficult | (gt_area < lo) | (gt_area > hi)
    gorder = np.argsort(ignore, kind="mergesort")  # truths to find first
    boxes, crowd, ignore = truth.boxes[gorder], truth.crowd[gorder], ignore[gorder]
    T, D, G = len(thresholds), len(dets), len(boxes)
    matched, dignored = np.zeros((T, D), bool), np.zeros((T, D), bool)
    if D and G:
        ious = iou(dets[:, 2:6], boxes, crowd)
        for t, thr in enumerate(thresholds):
            gtaken = np.zeros(G, bool)
            for d in range(D):
                best, m = min(thr, 1 - 1e-10), -1
                for g in range(G):
                    if gtaken[g] and not crowd[g]:
                        continue
                    if m > -1 and not ignore[m] and ignore[g]:
                        break
                    if ious[d, g] < best:
                        continue
                    best, m = ious[d, g], g
                if m > -1:
                    matched[t, d], dignored[t, d], gtaken[m] = True, ignore[m], True
    det_area = area(dets[:, 2:6])
    dignored |= ~matched & ((det_area < lo) | (det_area > hi))[None, :]
    return dets[:, 1], matched, dignored, int((~ignore).sum())


def _coco_precision(per_image, T: int, recalls: np.ndarray) -> np.ndarray | None:
    """(T,) average precision over the recall points, as COCOeval.accumulate; None without truths."""
    positives = sum(p[3] for p in per_image)
    if positives == 0:
        return None
    scores = np.concatenate([p[0] for p in per_image])
    order = np.argsort(-scores, kind="mergesort")
    matched = np.concatenate([p[1] for p in per_image], axis=1)[:, order]
    ignored = np.concatenate([p[2] for p in per_image], axis=1)[:, order]
    ap = np.zeros(T)
    for t in range(T):
        tp = np.cumsum(matched[t] & ~ignored[t]).astype(np.float64)
        fp = np.cumsum(~matched[t] & ~ignored[t]).astype(np.float64)
        if len(tp) == 0:
            continue
        rc = tp / positives
        pr = tp / (fp + tp + np.spacing(1))
        pr = np.maximum.accumulate(pr[::-1])[::-1]
        inds = np.searchsorted(rc, recalls, side="left")
        q = np.where(inds < len(pr), pr[np.minimum(inds, len(pr) - 1)], 0.0)
        ap[t] = q.mean()
    return ap


def coco_map(detections, truths, classes: int, *, thresholds=COCO_IOUS, max_detections: int = 100,
             areas: str | tuple[float, float] = "all") -> MapResult:
    """COCO mAP@[.5:.95] over boxes of ``areas`` ("all", "small", "medium", "large" or a
    (min, max) in square pixels); ``by_iou`` holds the mAP at each threshold (0.5, 0.75, ...)."""
    detections, truths = _check(detections, truths)
    areas = AREAS[areas] if isinstance(areas, str) else tuple(areas)
    thresholds = tuple(float(t) for t in thresholds)
    T = len(thresholds)
    per_class = np.full((classes, T), np.nan)
    for c in range(classes):
        per_image = [_coco_image(d[d[:, 0] == c], t.of_class(c), thresholds, max_detections, areas)
                     for d, t in zip(detections, truths)]
        ap = _coco_precision(per_image, T, COCO_RECALLS)
        if ap is not None:
            per_class[c] = ap
    by_iou = {round(thr, 2): _mean(per_class[:, t]) for t, thr in enumerate(thresholds)}
    aps = tuple(float(np.mean(row)) if not np.isnan(row).any() else float("nan") for row in per_class)
    return MapResult("coco", _mean(aps), aps, by_iou)
