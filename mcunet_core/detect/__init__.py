"""Object detection (issue 17): boxes, metrics, data, the task's detection head.

    voc_map(detections, truths, classes, interpolation="11point"|"all") -> MapResult
    coco_map(detections, truths, classes) -> MapResult (map, map50, map75, per_class)

Detections are per-image arrays of rows ``class, score, x0, y0, x1, y1`` in pixels; the
ground truth of an image is a ``Truth``.
"""

from .boxes import area, iou, xywh_to_xyxy, xyxy_to_xywh
from .metrics import MapResult, Truth, as_detections, coco_map, voc_ap, voc_map

__all__ = ["MapResult", "Truth", "area", "as_detections", "coco_map", "iou", "voc_ap", "voc_map",
           "xywh_to_xyxy", "xyxy_to_xywh"]
