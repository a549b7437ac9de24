"""The YOLO training loss (YOLOv5's recipe): box (1 - GIoU), objectness and class terms.

Assignment: a truth box trains, at each level, every anchor whose width and height are both
within ``anchor_ratio`` of its own, in the cell holding its centre and the two neighbouring
cells nearest the centre (the decoding's 2 p - 0.5 offset reaches them). The objectness
target of those anchors is the GIoU their prediction reaches (clamped at 0), 0 elsewhere,
weighted per level (``BALANCE``: small objects, many cells); class targets are one-hot.
``difficult`` and ``crowd`` boxes train nothing. The sum is scaled by the batch size.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

BALANCE = {3: (4.0, 1.0, 0.4)}  # objectness weight per level, by number of levels (YOLOv5)
NEIGHBOURS = torch.tensor([[0, 0], [-1, 0], [0, -1], [1, 0], [0, 1]], dtype=torch.float32)


def giou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Generalised IoU of boxes given as (cx, cy, w, h), row by row."""
    a0, a1 = a[:, :2] - a[:, 2:] / 2, a[:, :2] + a[:, 2:] / 2
    b0, b1 = b[:, :2] - b[:, 2:] / 2, b[:, :2] + b[:, 2:] / 2
    wh = (torch.minimum(a1, b1) - torch.maximum(a0, b0)).clamp(min=0)
    inter = wh[:, 0] * wh[:, 1]
    union = a[:, 2] * a[:, 3] + b[:, 2] * b[:, 3] - inter + 1e-9
    hull = (torch.maximum(a1, b1) - torch.minimum(a0, b0)).clamp(min=0)
    hull_area = hull[:, 0] * hull[:, 1] + 1e-9
    iou = inter / union
    return iou - (hull_area - union) / hull_area


def detection_loss(outputs: list[torch.Tensor], targets: torch.Tensor, strides, anchors, classes: int,
                   weights: dict) -> tuple[torch.Tensor, dict]:
    """``outputs``: per level (B, A * (5 + C), H, W) raw; ``targets``: (K, 8) rows ``image,
    class, x0, y0, x1, y1, difficult, crowd`` in input pixels; ``anchors``: per level (A, 2)
    in input pixels. Returns the loss and its parts (floats)."""
    device = outputs[0].device
    batch = outputs[0].shape[0]
    t = targets.to(device)
    t = t[(t[:, 6] == 0) & (t[:, 7] == 0)]
    centre, size = (t[:, 2:4] + t[:, 4:6]) / 2, (t[:, 4:6] - t[:, 2:4]).clamp(min=1e-3)
    balance = BALANCE.get(len(outputs), (1.0,) * len(outputs))
    lbox = lobj = lcls = torch.zeros((), device=device)
    for level, (out, stride) in enumerate(zip(outputs, strides)):
        anchor = torch.as_tensor(anchors[level], dtype=torch.float32, device=device)
        a = len(anchor)
        _, _, h, w = out.shape
        p = out.view(batch, a, 5 + classes, h, w).permute(0, 1, 3, 4, 2)
        tobj = torch.zeros(p.shape[:4], device=device)
        k, ai, gi, gj, g = _assign(centre, size, anchor, stride, w, h, weights["anchor_ratio"])
        if len(k):  # some box trains an anchor of this level
            b = t[k, 0].long()
            q = p[b, ai, gj, gi]
            pxy = q[:, :2].sigmoid() * 2 - 0.5
            pwh = (q[:, 2:4].sigmoid() * 2) ** 2 * anchor[ai] / stride
            target = torch.cat([g - torch.stack([gi, gj], 1), size[k] / stride], 1)
            overlap = giou(torch.cat([pxy, pwh], 1), target)
            lbox = lbox + (1 - overlap).mean()
            tobj[b, ai, gj, gi] = overlap.detach().clamp(min=0)
            onehot = F.one_hot(t[k, 1].long(), classes).to(q.dtype)
            lcls = lcls + F.binary_cross_entropy_with_logits(q[:, 5:], onehot)
        lobj = lobj + balance[level] * F.binary_cross_entropy_with_logits(p[..., 4], tobj)
    parts = {"box": weights["box"] * lbox, "objectness": weights["objectness"] * lobj, "class": weights["class"] * lcls}
    total = sum(parts.values()) * batch
    return total, {name: float(v.detach()) for name, v in parts.items()}


def _assign(centre, size, anchor, stride: int, w: int, h: int, anchor_ratio: float):
    """(box index, anchor index, cell column, cell row, centre in cells) of every anchor a
    box trains at this level: anchors of a similar shape, in the centre's cell and the two
    neighbours nearest the centre."""
    ratio = size[:, None, :] / anchor[None]
    k, ai = torch.nonzero(torch.maximum(ratio, 1 / ratio).amax(-1) < anchor_ratio, as_tuple=True)
    g = centre[k] / stride
    frac = g - g.floor()
    near = torch.stack([torch.ones_like(k, dtype=torch.bool), (frac[:, 0] < 0.5) & (g[:, 0] > 1),
                        (frac[:, 1] < 0.5) & (g[:, 1] > 1), (frac[:, 0] > 0.5) & (g[:, 0] < w - 1),
                        (frac[:, 1] > 0.5) & (g[:, 1] < h - 1)])
    n, m = torch.nonzero(near, as_tuple=True)
    k, ai, g = k[m], ai[m], g[m]
    cell = (g + NEIGHBOURS.to(g.device)[n]).floor()
    return k, ai, cell[:, 0].long().clamp(0, w - 1), cell[:, 1].long().clamp(0, h - 1), g
