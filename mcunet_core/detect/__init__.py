"""Object detection (issue 17): boxes, metrics, a detection task's settings and its data.

    voc_map(detections, truths, classes, interpolation="11point"|"all") -> MapResult
    coco_map(detections, truths, classes) -> MapResult (map, map50, map75, per_class)
    DetectionSpec.from_task(task) -> strides, anchors, loss and post-processing settings
    make_detection_dataset(task, split) -> letterboxed images with their boxes (detect.data)

Detections are per-image arrays of rows ``class, score, x0, y0, x1, y1`` in pixels; the
ground truth of an image is a ``Truth``.
"""

from .boxes import area, iou, xywh_to_xyxy, xyxy_to_xywh
from .metrics import MapResult, Truth, as_detections, coco_map, voc_ap, voc_map
from .spec import DetectionSpec

__all__ = ["DetectionSpec", "MapResult", "Truth", "area", "as_detections", "coco_map", "iou", "make_detection_dataset",
           "voc_ap", "voc_map", "xywh_to_xyxy", "xyxy_to_xywh"]


def make_detection_dataset(task, split: str, **kwargs):
    """``mcunet_core.detect.data.make_detection_dataset`` (imported when first used: torch)."""
    from .data import make_detection_dataset as make
    return make(task, split, **kwargs)
