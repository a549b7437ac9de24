"""Detection post-processing on the device: the YOLO heads' int8 outputs decoded and
suppressed in C after the network (``firmware/kernels/detect``), bit for bit what
``mcunet_core.detect.Decoder`` computes on the host.

A ``YoloPostprocess`` is the per-model parameters (sigmoid tables from the outputs'
quantization, anchors, strides, thresholds, sizes), which ``postprocess.c.j2`` emits as
const data. It runs as the planner's step after the last op of the lowered graph, while the
network's outputs are still live: its candidate scratch (the ``_get_buffer_size()`` twin's
bytes) and its detection record are buffers of the one arena. The record is int32
``count, then max_detections x (class, score Q15, x0, y0, x1, y1 in 1/16 pixel)``, rows past
``count`` zero; the firmware returns it after the network's outputs (io.json's last output,
``detections``), and times it apart from the network.

Its predicted instructions (``work()``, the latency families ``yolo_decode`` and ``nms`` of
``kernel_costs.json``, fitted by ``bench/detect_postprocess_fit.py``) are linear in counts
that depend on the image: how many anchors pass, how many NMS overlap tests run. The NAS
predicts the worst case the buffer sizes allow (``PostprocessCounts.worst_case``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import UserError
from ..ir import Graph
from .cost_model import OpWork
from .kernels.base import KernelPlan
from .planner.problem import Buffer

DECODE_FUNCTION = "mcunet_yolo_decode_s8"
NMS_FUNCTION = "mcunet_nms_greedy_s32"
CANDIDATE_BYTES = 28  # sizeof(mcunet_box_candidate_t): 7 int32
BOX_WORDS = 6
RECORD_NAME = "detections"
RECORD_BUFFER = "postprocess:detections"  # its name in the plan (no graph tensor has a ':')
SOURCE = "postprocess.c"  # the generated file that calls the kernels
DECODE_FAMILY, NMS_FAMILY = "yolo_decode", "nms"  # their latency families (kernel_costs.json)
DECODE_FEATURES = ("anchors", "class_scores", "passing", "heap_steps", "sort_steps", "layer")
NMS_FEATURES = ("candidates", "comparisons", "kept")


@dataclass(frozen=True)
class PostprocessCounts:
    """The image-dependent work of one decode + NMS: anchors whose score passes, candidates
    the buffer keeps (at most ``max_candidates``), NMS overlap tests (iterations of its inner
    loop, any class) and boxes kept."""

    passing: int
    candidates: int
    comparisons: int
    kept: int

    @classmethod
    def worst_case(cls, post: "YoloPostprocess") -> "PostprocessCounts":
        """The most the buffers allow: every anchor passes, the candidate buffer fills, and NMS
        tests each candidate against ``max_detections - 1`` kept boxes (its loop stops at
        ``max_detections``). The heap's sift per passing anchor and the final sort are counted
        at their log2 bound in ``work()``; their cost per step is what the fit measured."""
        n = post.max_candidates
        return cls(post.anchors, n, n * max(post.max_detections - 1, 0), min(post.max_detections, n))


@dataclass(frozen=True)
class YoloPostprocess:
    """Decode + NMS of a YOLO detector's outputs (``outputs``: one per level, finest first)."""

    outputs: tuple[str, ...]
    shapes: tuple[tuple[int, int, int], ...]  # per level: height, width, anchors
    strides: tuple[int, ...]
    anchors_q: tuple[np.ndarray, ...]  # per level int (A, 2), 1/16 pixel
    tables: tuple[np.ndarray, ...]  # per level int16 (256,): Q15 sigmoid of q at q + 128
    classes: int
    width: int
    height: int
    score_q: int
    iou_q: int
    max_detections: int
    max_candidates: int

    @classmethod
    def from_decoder(cls, decoder, graph: Graph) -> "YoloPostprocess":
        """The device twin of ``decoder`` (``mcunet_core.detect.Decoder``) on ``graph``'s outputs."""
        from ..detect.decode import sigmoid_table

        if len(graph.outputs) != len(decoder.strides):
            raise UserError(f"{graph.name}: {len(graph.outputs)} outputs for a detector of "
                            f"{len(decoder.strides)} levels")
        shapes, tables = [], []
        for name, stride, anchors in zip(graph.outputs, decoder.strides, decoder.anchors_q):
            t = graph.tensors[name]
            want = (1, -(-decoder.height // stride), -(-decoder.width // stride), len(anchors) * (5 + decoder.classes))
            if tuple(t.shape) != want or t.dtype.value != "int8" or t.quant is None or t.quant.scale.size != 1:
                raise UserError(f"{graph.name}: output {name} is {t.dtype.value}{list(t.shape)}; the detector's level "
                                f"at stride {stride} needs int8{list(want)}, quantized per tensor")
            shapes.append((want[1], want[2], len(anchors)))
            tables.append(sigmoid_table(float(t.quant.scale[0]), int(t.quant.zero_point[0])).astype(np.int16))
        anchors = sum(h * w * a for h, w, a in shapes)  # never more candidates than that: a smaller buffer
        return cls(tuple(graph.outputs), tuple(shapes), tuple(decoder.strides),
                   tuple(np.asarray(a, dtype=np.int64) for a in decoder.anchors_q), tuple(tables), decoder.classes,
                   decoder.width, decoder.height, decoder.score_q, decoder.iou_q, decoder.max_detections,
                   min(decoder.max_candidates, anchors))

    # -- what the planner and the build need ----------------------------------------------
    @property
    def anchors(self) -> int:
        return sum(h * w * a for h, w, a in self.shapes)

    @property
    def scratch_bytes(self) -> int:
        return self.max_candidates * CANDIDATE_BYTES

    @property
    def record_bytes(self) -> int:
        return 4 * (1 + BOX_WORDS * self.max_detections)

    def kernel_plans(self) -> list[KernelPlan]:
        """The two kernels it calls, scratch as their C twins give it."""
        return [KernelPlan(DECODE_FUNCTION, ("detect/mcunet_yolo_decode_s8.c",), self.scratch_bytes,
                           buffer_size_args=(self.max_candidates,)),
                KernelPlan(NMS_FUNCTION, ("detect/mcunet_nms_greedy_s32.c",), 0)]

    def buffers(self, step: int) -> list[Buffer]:
        """Its arena buffers at ``step`` (after the last op): the candidates and the record."""
        return [Buffer(f"scratch:{step}", self.scratch_bytes, step, step, "scratch"),
                Buffer(RECORD_BUFFER, self.record_bytes, step, step)]

    def work(self, step: int, counts: PostprocessCounts | None = None) -> list[OpWork]:
        """The decode's and the NMS's work counts at ``step`` (after the last op), for the
        latency model; ``counts`` None: ``PostprocessCounts.worst_case``."""
        c = counts or PostprocessCounts.worst_case(self)
        log_n = max(c.candidates, 1).bit_length()  # the heap's depth bound
        decode = (self.anchors, self.anchors * (self.classes - 1), c.passing, c.passing * log_n,
                  c.candidates * log_n, 1)
        return [OpWork(step, DECODE_FAMILY, DECODE_FEATURES, tuple(map(float, decode))),
                OpWork(step, NMS_FAMILY, NMS_FEATURES, (float(c.candidates), float(c.comparisons), float(c.kept)))]

    @property
    def constant_bytes(self) -> int:
        """Flash of its tables and anchors (the parameter structs not counted, as for the network)."""
        return sum(2 * t.size for t in self.tables) + sum(4 * a.size for a in self.anchors_q)

    # -- the record the firmware returns --------------------------------------------------
    @staticmethod
    def boxes(record) -> np.ndarray:
        """int64 (N, 6) rows ``class, score, x0, y0, x1, y1`` of a detection record."""
        rec = np.asarray(record, dtype=np.int64).reshape(-1)
        n = int(rec[0])
        return rec[1:1 + BOX_WORDS * n].astype(np.int64).reshape(n, BOX_WORDS)

    def template_context(self) -> dict:
        return {
            "levels": [{"table": t, "anchors": a.reshape(-1).astype(np.int32), "height": h, "width": w,
                        "anchors_count": n, "stride": s, "output": o}
                       for t, a, (h, w, n), s, o in zip(self.tables, self.anchors_q, self.shapes, self.strides,
                                                         self.outputs)],
            "classes": self.classes, "width": self.width, "height": self.height, "score_q": self.score_q,
            "iou_q": self.iou_q, "max_detections": self.max_detections, "max_candidates": self.max_candidates,
            "record_bytes": self.record_bytes, "decode": DECODE_FUNCTION, "nms": NMS_FUNCTION,
        }
