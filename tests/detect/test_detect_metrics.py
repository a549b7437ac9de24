"""The detection metrics: hand-computed cases, pycocotools' COCOeval on random cases, and the
VOC devkit's voc_eval (transcribed below) for the VOC variants."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

from mcunet_core.detect import Truth, coco_map, voc_ap, voc_map

pycocotools = pytest.importorskip("pycocotools")
from pycocotools.coco import COCO  # noqa: E402
from pycocotools.cocoeval import COCOeval  # noqa: E402

A, B, C = [0, 0, 10, 10], [20, 20, 40, 30], [50, 0, 60, 20]
FAR = [100, 100, 110, 110]


def test_hand_computed_single_class():
    # two persons; detections by score: hit, miss, hit -> recall .5 .5 1, precision 1 .5 2/3
    truth = [Truth([A, B], [0, 0])]
    dets = [[[0, 0.9, *A], [0, 0.8, *FAR], [0, 0.7, *B]]]
    assert voc_map(dets, truth, 1, interpolation="all").map == pytest.approx(0.5 + 0.5 * 2 / 3)
    assert voc_map(dets, truth, 1, interpolation="11point").map == pytest.approx((6 + 5 * 2 / 3) / 11)
    coco = coco_map(dets, truth, 1)  # exact boxes: the same at every threshold, 101 recall points
    assert coco.map == pytest.approx((51 + 50 * 2 / 3) / 101) and coco.map50 == coco.map75 == pytest.approx(coco.map)


def test_duplicates_misses_and_classes():
    truth = [Truth([A, B], [0, 1]), Truth([C], [1])]
    # class 0: one hit and a duplicate of it (a false positive) -> AP 1 (recall 1 reached at precision 1)
    # class 1: image 0 found at 0.5, image 1 missed -> recall .5 at precision 1
    dets = [[[0, 0.9, *A], [0, 0.5, *A], [1, 0.6, *B]], []]
    r = voc_map(dets, truth, 3, interpolation="all")
    assert r.per_class[0] == pytest.approx(1.0) and r.per_class[1] == pytest.approx(0.5)
    assert np.isnan(r.per_class[2]) and r.map == pytest.approx(0.75)  # class 2 has nothing to find
    assert voc_map(dets, truth, 3).per_class[1] == pytest.approx(6 / 11)
    # a duplicate scored above the hit costs precision at recall 1
    dets = [[[0, 0.5, *A], [0, 0.9, *A]], []]
    assert voc_map(dets, truth, 1, interpolation="all").map == pytest.approx(1.0)
    dets = [[[0, 0.9, *FAR], [0, 0.5, *A]], []]
    assert voc_map(dets, truth, 1, interpolation="all").map == pytest.approx(0.5)


def test_iou_threshold_is_strict_for_voc_and_inclusive_for_coco():
    truth = [Truth([[0, 0, 10, 10]], [0])]
    half = [[[0, 1.0, 0, 0, 10, 5]]]  # IoU exactly 0.5
    assert voc_map(half, truth, 1).map == 0.0  # the devkit: ovmax > 0.5
    assert coco_map(half, truth, 1).map50 == pytest.approx(1.0)  # COCOeval: iou >= 0.5


def test_difficult_boxes_count_neither_way():
    truth = [Truth([A, B], [0, 0], difficult=[False, True])]
    # the detection on the difficult box is neither a hit nor a false positive
    dets = [[[0, 0.9, *B], [0, 0.8, *A]]]
    assert voc_map(dets, truth, 1, interpolation="all").map == pytest.approx(1.0)
    assert coco_map(dets, truth, 1).map == pytest.approx(1.0)
    only_difficult = [Truth([B], [0], difficult=[True])]
    assert np.isnan(voc_map([[[0, 0.9, *B]]], only_difficult, 1).map)


def test_tiny_boxes_can_be_ignored():
    tiny = [70, 70, 72, 75]
    truth = [Truth([A, tiny], [0, 0])]
    dets = [[[0, 0.9, *A]]]
    assert voc_map(dets, truth, 1, interpolation="all").map == pytest.approx(0.5)
    ignored = [t.ignoring_small(4) for t in truth]
    assert ignored[0].difficult.tolist() == [False, True]
    assert voc_map(dets, ignored, 1, interpolation="all").map == pytest.approx(1.0)
    assert coco_map(dets + [[]], ignored + [Truth([], [])], 1).map == pytest.approx(1.0)


def test_crowd_region_absorbs_many_detections():
    crowd = [0, 0, 100, 100]
    truth = [Truth([A, crowd], [0, 0], crowd=[False, True])]
    inside = [[0, s, 30 + k, 30, 40 + k, 40] for k, s in enumerate((0.95, 0.85, 0.75))]
    dets = [[*inside, [0, 0.6, *A]]]
    assert coco_map(dets, truth, 1).map == pytest.approx(1.0)
    assert voc_map(dets, truth, 1, interpolation="all").map == pytest.approx(1.0)


def test_voc_ap_edges():
    assert voc_ap([], [], "all") == 0.0 and voc_ap([], [], "11point") == 0.0
    assert voc_ap([1.0], [1.0], "all") == 1.0 and voc_ap([1.0], [1.0], "11point") == 1.0
    with pytest.raises(ValueError, match="interpolation"):
        voc_ap([1.0], [1.0], "101point")
    with pytest.raises(ValueError, match="2 images of detections, 1 of ground truth"):
        voc_map([[], []], [Truth([], [])], 1)


# -- random cases against the references --------------------------------------------------------

def _random_case(rng, images=12, classes=3, scale=1.0):
    truths, dets = [], []
    for _ in range(images):
        m = int(rng.integers(0, 6))
        xy = rng.uniform(0, 80, (m, 2)) * scale
        wh = rng.uniform(2, 40, (m, 2)) * scale
        boxes = np.concatenate([xy, xy + wh], 1)
        cls = rng.integers(0, classes, m)
        crowd = rng.random(m) < 0.1
        difficult = rng.random(m) < 0.1
        truths.append(Truth(boxes, cls, difficult, crowd))
        rows = []
        for b, c in zip(boxes, cls):  # noisy copies of the truth, some with the wrong class
            for _ in range(int(rng.integers(0, 3))):
                jitter = rng.normal(0, 0.15, 4) * np.r_[b[2:] - b[:2], b[2:] - b[:2]]
                wrong = rng.random() < 0.15
                rows.append([rng.integers(classes) if wrong else c, rng.random(), *(b + jitter)])
        for _ in range(int(rng.integers(0, 4))):  # and boxes anywhere
            xy, wh = rng.uniform(0, 80, 2) * scale, rng.uniform(2, 40, 2) * scale
            rows.append([rng.integers(classes), rng.random(), *xy, *(xy + wh)])
        rows = [r for r in rows if r[4] > r[2] and r[5] > r[3]]
        dets.append(np.array(rows).reshape(-1, 6))
    return dets, truths


def _pycocotools(dets, truths, classes, difficult_as_crowd=False):
    images, anns, results = [], [], []
    for i, (d, t) in enumerate(zip(dets, truths)):
        images.append({"id": i + 1, "width": 120, "height": 120})
        for b, c, crowd in zip(t.boxes, t.classes, t.crowd):
            w, h = b[2] - b[0], b[3] - b[1]
            anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": int(c) + 1, "iscrowd": int(crowd),
                         "bbox": [b[0], b[1], w, h], "area": w * h})
        for row in d:
            results.append({"image_id": i + 1, "category_id": int(row[0]) + 1, "score": row[1],
                            "bbox": [row[2], row[3], row[4] - row[2], row[5] - row[3]]})
    gt = COCO()
    gt.dataset = {"images": images, "annotations": anns, "categories": [{"id": c + 1, "name": str(c)} for c in range(classes)]}
    with contextlib.redirect_stdout(io.StringIO()):
        gt.createIndex()
        ev = COCOeval(gt, gt.loadRes(results), "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev.stats


@pytest.mark.parametrize("seed", range(8))
def test_coco_map_matches_pycocotools(seed):
    rng = np.random.default_rng(seed)
    dets, truths = _random_case(rng)
    truths = [Truth(t.boxes, t.classes, None, t.crowd) for t in truths]  # COCO knows no "difficult"
    if not sum(len(d) for d in dets):
        dets[0] = np.array([[0, 0.5, 1, 1, 5, 5]])
    stats = _pycocotools(dets, truths, 3)
    r = coco_map(dets, truths, 3)
    assert (r.map, r.map50, r.map75) == pytest.approx(tuple(stats[:3]), abs=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_coco_area_ranges_match_pycocotools(seed):
    rng = np.random.default_rng(50 + seed)
    dets, truths = _random_case(rng, images=20, scale=4.0)  # boxes 8 to 160 px: small, medium and large
    truths = [Truth(t.boxes, t.classes, None, t.crowd) for t in truths]
    stats = _pycocotools(dets, truths, 3)
    for k, name in ((3, "small"), (4, "medium"), (5, "large")):
        assert coco_map(dets, truths, 3, areas=name).map == pytest.approx(stats[k], abs=1e-12), name


def test_coco_max_detections_per_image_and_class():
    rng = np.random.default_rng(99)
    dets, truths = _random_case(rng, images=6)
    truths = [Truth(t.boxes, t.classes, None, t.crowd) for t in truths]
    many = [np.concatenate([d] * 40) for d in dets]  # up to 280 detections an image: past the limit of 100
    assert coco_map(many, truths, 3).map == pytest.approx(_pycocotools(many, truths, 3)[0], abs=1e-12)
    one = coco_map(many, truths, 3, max_detections=1).map
    assert 0.0 < one <= coco_map(dets, truths, 3, max_detections=1).map + 1e-12


def _devkit_voc_eval(dets, truths, c, ovthresh=0.5, use_07_metric=True):
    """py-faster-rcnn's voc_eval.py, transcribed (its +1 pixel areas included)."""
    class_recs, npos = {}, 0
    for i, t in enumerate(truths):
        keep = t.classes == c
        bbox, difficult = t.boxes[keep], t.difficult[keep]
        npos += int((~difficult).sum())
        class_recs[i] = {"bbox": bbox, "difficult": difficult, "det": [False] * len(bbox)}
    image_ids = [i for i, d in enumerate(dets) for row in d if row[0] == c]
    confidence = np.array([row[1] for d in dets for row in d if row[0] == c])
    BB = np.array([row[2:] for d in dets for row in d if row[0] == c]).reshape(-1, 4)
    sorted_ind = np.argsort(-confidence, kind="mergesort")
    BB = BB[sorted_ind, :]
    image_ids = [image_ids[x] for x in sorted_ind]
    nd = len(image_ids)
    tp, fp = np.zeros(nd), np.zeros(nd)
    for d in range(nd):
        R = class_recs[image_ids[d]]
        bb = BB[d, :].astype(float)
        ovmax = -np.inf
        BBGT = R["bbox"].astype(float)
        if BBGT.size > 0:
            ixmin = np.maximum(BBGT[:, 0], bb[0])
            iymin = np.maximum(BBGT[:, 1], bb[1])
            ixmax = np.minimum(BBGT[:, 2], bb[2])
            iymax = np.minimum(BBGT[:, 3], bb[3])
            iw = np.maximum(ixmax - ixmin + 1., 0.)
            ih = np.maximum(iymax - iymin + 1., 0.)
            inters = iw * ih
            uni = ((bb[2] - bb[0] + 1.) * (bb[3] - bb[1] + 1.) +
                   (BBGT[:, 2] - BBGT[:, 0] + 1.) * (BBGT[:, 3] - BBGT[:, 1] + 1.) - inters)
            overlaps = inters / uni
            ovmax = np.max(overlaps)
            jmax = np.argmax(overlaps)
        if ovmax > ovthresh:
            if not R["difficult"][jmax]:
                if not R["det"][jmax]:
                    tp[d] = 1.
                    R["det"][jmax] = 1
                else:
                    fp[d] = 1.
        else:
            fp[d] = 1.
    fp, tp = np.cumsum(fp), np.cumsum(tp)
    rec = tp / float(npos)
    prec = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
    if use_07_metric:
        ap = 0.
        for t in np.arange(0., 1.1, 0.1):
            p = 0 if np.sum(rec >= t) == 0 else np.max(prec[rec >= t])
            ap = ap + p / 11.
        return ap
    mrec = np.concatenate(([0.], rec, [1.]))
    mpre = np.concatenate(([0.], prec, [0.]))
    for i in range(mpre.size - 1, 0, -1):
        mpre[i - 1] = np.maximum(mpre[i - 1], mpre[i])
    i = np.where(mrec[1:] != mrec[:-1])[0]
    return np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1])


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("interpolation", ["11point", "all"])
def test_voc_map_matches_the_devkit(seed, interpolation):
    rng = np.random.default_rng(100 + seed)
    dets, truths = _random_case(rng, images=15)
    truths = [Truth(t.boxes, t.classes, t.difficult, None) for t in truths]  # the devkit knows no crowds
    r = voc_map(dets, truths, 3, interpolation=interpolation, plus_one=True)
    for c in range(3):
        if not any(((t.classes == c) & ~t.difficult).any() for t in truths):
            assert np.isnan(r.per_class[c])
            continue
        assert r.per_class[c] == pytest.approx(_devkit_voc_eval(dets, truths, c, use_07_metric=interpolation == "11point"),
                                               abs=1e-12)
