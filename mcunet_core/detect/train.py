"""Training a ``DetectionNet`` for some steps and scoring it with the task's metric: the
pieces a detection pipeline stage calls (the supernet, the NAS fitness and int8 come later)."""

from __future__ import annotations

import numpy as np
import torch

from .data import collate
from .decode import Decoder, to_float
from .loss import detection_loss
from .metrics import MapResult, coco_map, voc_map


def train_steps(net, dataset, spec, *, steps: int, batch_size: int = 16, lr: float = 1e-2, seed: int = 0,
                height: int | None = None) -> list[float]:
    """``steps`` Adam steps on random batches of ``dataset``; the loss of each step."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # the augmentation's stream
    anchors = spec.anchors_at(height or dataset.geometry.height)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    net.train()
    losses = []
    for _ in range(steps):
        index = torch.randint(0, len(dataset), (batch_size,), generator=g).tolist()
        images, targets = collate([dataset[i] for i in index])
        loss, _ = detection_loss(net(images), targets, spec.strides, anchors, spec.classes, spec.loss)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return losses


@torch.no_grad()
def detect(net, dataset, decoder: Decoder) -> list[np.ndarray]:
    """Float detections (rows class, score, x0, y0, x1, y1) of every image, decoded in integers."""
    net.eval()
    out = []
    for i in range(len(dataset)):
        levels = net(dataset[i][0][None])
        out.append(to_float(decoder.from_float([o[0].numpy() for o in levels])))
    return out


def score(detections, truths, spec) -> MapResult:
    """The task's metric (``voc_map`` or ``coco_map``) of detections against truths."""
    m = spec.metric
    if m["name"] == "voc_map":
        return voc_map(detections, truths, spec.classes, threshold=m.get("iou", 0.5),
                       interpolation=m.get("interpolation", "11point"))
    return coco_map(detections, truths, spec.classes)
