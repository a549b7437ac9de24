"""Object detection (issue 17): boxes, metrics, a detection task's settings, its data, the
YOLO-style detector, its loss and integer decoding.

    voc_map(detections, truths, classes, interpolation="11point"|"all") -> MapResult
    coco_map(detections, truths, classes) -> MapResult (map, map50, map75, per_class)
    DetectionSpec.from_task(task) -> strides, anchors, loss and post-processing settings
    DetectionArch.for_task(backbone, spec) -> heads on an mbv2 backbone (mcunet_core.arch.detection)
    Decoder.from_spec(spec).from_int8(outputs, tables) -> boxes after integer decode + NMS
    make_detection_dataset(task, split) -> letterboxed images with their boxes   (torch)
    DetectionNet(arch), detection_loss(...), train_steps(...), detect(...), score(...)   (torch)
    Detection(spec, height): train_net's objective for a detector; int8_detections(graph, data, decoder)

Detections are per-image arrays of rows ``class, score, x0, y0, x1, y1`` in pixels; the
ground truth of an image is a ``Truth``. The torch parts are imported when first used.
"""

from importlib import import_module

from ..arch.detection import DetectionArch
from .boxes import area, iou, xywh_to_xyxy, xyxy_to_xywh
from .decode import Decoder, sigmoid_table, to_float
from .metrics import MapResult, Truth, as_detections, coco_map, voc_ap, voc_map
from .nms import nms
from .spec import DetectionSpec

_TORCH = {"make_detection_dataset": ".data", "DetectionNet": ".net", "detection_loss": ".loss",
          "train_steps": ".train", "detect": ".train", "score": ".train", "Detection": ".train",
          "int8_detections": ".train", "truths": ".train"}

__all__ = ["Decoder", "DetectionArch", "DetectionSpec", "MapResult", "Truth", "area", "as_detections", "coco_map",
           "iou", "nms", "sigmoid_table", "to_float", "voc_ap", "voc_map", "xywh_to_xyxy", "xyxy_to_xywh", *_TORCH]


def __getattr__(name: str):
    if name in _TORCH:
        return getattr(import_module(_TORCH[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
