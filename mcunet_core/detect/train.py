"""Training a ``DetectionNet`` and scoring it with the task's metric: a few Adam steps
(``train_steps``, for tests), ``Detection``, the objective ``train_net`` trains a detector
with (the task's recipe, as classification), and the int8 graph's detections
(``int8_detections``: the reference interpreter's outputs through the integer decode)."""

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


class Detection:
    """What training optimises and reports for a detection task (``train_net``'s objective):
    the YOLO loss of ``spec`` at the input ``height``, and per epoch the task's metric of the
    float network on the validation data, decoded as the device decodes (``Decoder``)."""

    distills = False  # no soft labels: every subnet of a supernet learns the boxes

    def __init__(self, spec, height: int | None = None):
        self.spec, self.height = spec, height or spec.height
        self.decoder = Decoder.from_spec(spec, self.height)

    def criterion(self, data, settings, compute=None):
        spec, anchors = self.spec, self.spec.anchors_at(self.height)

        def loss(outputs, targets):
            return detection_loss(outputs, targets, spec.strides, anchors, spec.classes, spec.loss)[0]
        return loss

    def validate(self, net, data) -> dict:
        result = score(detect(net, data, self.decoder), truths(data), self.spec)
        return {"val_map50": result.map50, **({"val_map": result.map} if result.metric == "coco" else {})}


def truths(dataset) -> list:
    """The ``Truth`` of every image of ``dataset`` (in input pixels)."""
    return [dataset.truth(i) for i in range(len(dataset))]


def int8_detections(graph, dataset, decoder: Decoder, batch_size: int = 32) -> list[np.ndarray]:
    """Float detections of every image by the int8 graph: the reference interpreter's outputs
    (bit-exact with the firmware's) through the integer decode + NMS the firmware runs."""
    from ..train.export import int8_outputs

    quants = [(graph.tensors[o].quant.single_scale, graph.tensors[o].quant.single_zero_point) for o in graph.outputs]
    out = []
    for start in range(0, len(dataset), batch_size):
        x = torch.stack([dataset[i][0] for i in range(start, min(start + batch_size, len(dataset)))])
        levels = int8_outputs(graph, x)
        for j in range(len(x)):
            out.append(to_float(decoder.from_graph([levels[o][j:j + 1] for o in graph.outputs], quants)))
    return out
