"""A detection task's settings, read from its spec (``detection``, ``input``, ``metric``)."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UserError

LOSS_DEFAULTS = {"box": 0.05, "objectness": 1.0, "class": 0.5, "anchor_ratio": 4.0}
POSTPROCESS_DEFAULTS = {"score_threshold": 0.25, "iou_threshold": 0.45, "max_detections": 20}


@dataclass(frozen=True)
class DetectionSpec:
    task: str
    labels: tuple[str, ...]
    height: int  # default input size
    width: int
    channels: int  # image channels
    strides: tuple[int, ...]
    anchors: tuple[tuple[tuple[float, float], ...], ...]  # per level, (w, h) in input pixels at the default size
    head_channels: int | None
    loss: dict
    postprocess: dict
    metric: dict
    pad: int

    @classmethod
    def from_task(cls, task) -> "DetectionSpec":
        raw = task.raw
        if "detection" not in raw:
            raise UserError(f"task {task.name} is not a detection task (it has no 'detection' head)")
        det, head = raw["detection"], raw["detection"]["head"]
        h, w, c = raw["input"]["shape"]
        return cls(task.name, tuple(task.labels or [str(i) for i in range(task.classes)]), h, w, c,
                   tuple(head["strides"]), tuple(tuple((float(a), float(b)) for a, b in level) for level in head["anchors"]),
                   head.get("channels"), {**LOSS_DEFAULTS, **det.get("loss", {})},
                   {**POSTPROCESS_DEFAULTS, **det.get("postprocess", {})}, dict(raw["metric"]),
                   int(raw["preprocessing"].get("letterbox_pad", 114)))

    @property
    def classes(self) -> int:
        return len(self.labels)

    def anchors_at(self, height: int | None = None) -> tuple[tuple[tuple[float, float], ...], ...]:
        """The anchors at input ``height``: they scale with the input, as the objects do."""
        k = (height or self.height) / self.height
        return tuple(tuple((w * k, h * k) for w, h in level) for level in self.anchors)

    def input_size(self, height: int | None = None) -> tuple[int, int]:
        """(width, height) at input ``height``: the width nearest the default aspect that the
        largest stride divides (halves round up)."""
        if height is None or height == self.height:
            return self.width, self.height
        top = max(self.strides)
        return max(top, int(height * self.width / self.height / top + 0.5) * top), height
