"""Decoding YOLO heads into boxes, in integer arithmetic that a C version can repeat bit for bit.

Per level, cell (gy, gx) and anchor (aw, ah), with p = sigmoid of each raw output (YOLOv5's
decoding: every output through a sigmoid, so an int8 output needs one 256-entry table):

    cx = (gx + 2 p_x - 0.5) * stride        w = (2 p_w)^2 * aw
    cy = (gy + 2 p_y - 0.5) * stride        h = (2 p_h)^2 * ah
    score = p_obj * max_c p_c,  class = argmax_c p_c (the first on ties)

Integers throughout: probabilities in Q15 (``sigmoid_q15``: round(p * 2^15), at most
2^15 - 1), anchors and boxes in 1/16 pixel (``BOX_FRAC`` 4), products in 64 bits, every
shift an arithmetic right shift after adding half (round half up). ``sigmoid_table`` gives
an int8 output's table from its scale and zero point; a float network's outputs go through
the same path (``sigmoid_q15`` of the float). Candidates are the anchors whose score passes
the threshold, ordered by score, ties by position (level, row, column, anchor), at most
``max_candidates`` of them (the C version's fixed buffer), then ``nms``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .nms import nms

Q = 15
ONE = 1 << Q
BOX_FRAC = 4
MAX_CANDIDATES = 256


def _round_shift(x: np.ndarray, shift: int) -> np.ndarray:
    return (x + (1 << (shift - 1))) >> shift


def sigmoid_q15(x) -> np.ndarray:
    """round(sigmoid(x) * 2^15), in 0 .. 2^15 - 1 (int64)."""
    x = np.asarray(x, dtype=np.float64)
    p = 0.5 * (1 + np.tanh(0.5 * x))  # sigmoid without overflow
    return np.minimum(np.floor(p * ONE + 0.5), ONE - 1).astype(np.int64)


def sigmoid_table(scale: float, zero_point: int) -> np.ndarray:
    """The Q15 sigmoid of every int8 value -128..127 of an output quantized (scale, zero_point)."""
    q = np.arange(-128, 128, dtype=np.float64)
    return sigmoid_q15((q - zero_point) * scale)


@dataclass(frozen=True)
class Decoder:
    """The decoding constants of a detector at one input size."""

    width: int
    height: int
    classes: int
    strides: tuple[int, ...]
    anchors_q: tuple[np.ndarray, ...]  # per level, int64 (A, 2): anchor w, h in 1/16 pixel
    score_q: int  # threshold, Q15
    iou_q: int  # NMS threshold, Q15
    max_detections: int
    max_candidates: int = MAX_CANDIDATES

    @classmethod
    def from_spec(cls, spec, height: int | None = None) -> "Decoder":
        """A ``DetectionSpec``'s decoder at input ``height`` (anchors scale with the input)."""
        width, height = spec.input_size(height)
        anchors = tuple(np.array([[int(w * (1 << BOX_FRAC) + 0.5), int(h * (1 << BOX_FRAC) + 0.5)] for w, h in level],
                                 dtype=np.int64) for level in spec.anchors_at(height))
        post = spec.postprocess
        return cls(width, height, spec.classes, tuple(spec.strides), anchors, _q15(post["score_threshold"]),
                   _q15(post["iou_threshold"]), int(post["max_detections"]))

    # -- front ends ----------------------------------------------------------------------
    def from_float(self, outputs) -> np.ndarray:
        """Detections of one image from float raw outputs, per level (A * (5 + C), H, W)."""
        return self.decode([sigmoid_q15(np.asarray(o, dtype=np.float64)) for o in outputs])

    def from_int8(self, outputs, tables) -> np.ndarray:
        """Detections of one image from int8 outputs per level (A * (5 + C), H, W) and each
        level's ``sigmoid_table``."""
        return self.decode([np.asarray(t)[np.asarray(o, dtype=np.int64) + 128] for o, t in zip(outputs, tables)])

    def from_graph(self, outputs, quants) -> np.ndarray:
        """Detections of one image from the IR graph's int8 outputs (1, H, W, A * (5 + C)) per
        level and their output quantization ``(scale, zero_point)`` (what the reference
        interpreter and the firmware return)."""
        levels = [np.asarray(o)[0].transpose(2, 0, 1) for o in outputs]
        return self.from_int8(levels, [sigmoid_table(s, z) for s, z in quants])

    # -- the integer core ------------------------------------------------------------------
    def candidates(self, probs) -> np.ndarray:
        """int64 (K, 7) rows ``class, score, x0, y0, x1, y1, position`` of the anchors whose
        score passes, in Q15 / 1/16 pixel, ordered by score (ties: position), at most
        ``max_candidates``."""
        rows, base = [], 0
        for level, (p, stride, anchors) in enumerate(zip(probs, self.strides, self.anchors_q)):
            a = len(anchors)
            _, h, w = p.shape
            p = p.reshape(a, 5 + self.classes, h, w).transpose(2, 3, 0, 1)  # (H, W, A, 5 + C)
            cls_p = p[..., 5:]
            best = np.argmax(cls_p, axis=-1)
            score = _round_shift(p[..., 4] * np.take_along_axis(cls_p, best[..., None], -1)[..., 0], Q)
            gy, gx, ga = np.nonzero(score >= self.score_q)
            if len(gy):
                q = p[gy, gx, ga]
                cx = _round_shift(((gx << Q) + 2 * q[:, 0] - (ONE >> 1)) * stride, Q - BOX_FRAC)
                cy = _round_shift(((gy << Q) + 2 * q[:, 1] - (ONE >> 1)) * stride, Q - BOX_FRAC)
                tw, th = 2 * q[:, 2], 2 * q[:, 3]
                bw = _round_shift(_round_shift(tw * tw, Q) * anchors[ga, 0], Q)
                bh = _round_shift(_round_shift(th * th, Q) * anchors[ga, 1], Q)
                x0, y0 = cx - (bw >> 1), cy - (bh >> 1)
                W, H = self.width << BOX_FRAC, self.height << BOX_FRAC
                position = base + (gy * w + gx) * a + ga
                rows.append(np.stack([best[gy, gx, ga], score[gy, gx, ga], np.clip(x0, 0, W), np.clip(y0, 0, H),
                                      np.clip(x0 + bw, 0, W), np.clip(y0 + bh, 0, H), position], 1))
            base += h * w * a
        if not rows:
            return np.zeros((0, 7), np.int64)
        rows = np.concatenate(rows).astype(np.int64)
        order = np.lexsort((rows[:, 6], -rows[:, 1]))
        return rows[order][:self.max_candidates]

    def decode(self, probs) -> np.ndarray:
        """int64 (N, 6) detections ``class, score (Q15), x0, y0, x1, y1 (1/16 px)`` after NMS."""
        rows = self.candidates(probs)
        return rows[nms(rows[:, :6], self.iou_q, self.max_detections), :6]


def to_float(detections: np.ndarray) -> np.ndarray:
    """Integer detections -> float rows ``class, score, x0, y0, x1, y1`` (pixels), for the metrics."""
    d = np.asarray(detections, dtype=np.int64).reshape(-1, 6)
    out = d.astype(np.float64)
    out[:, 1] /= ONE
    out[:, 2:] /= 1 << BOX_FRAC
    return out


def _q15(value: float) -> int:
    return int(min(round(value * ONE), ONE))
