"""Fit the cost of the detection post-processing (latency families ``yolo_decode`` and ``nms``)
on QEMU and merge it into the engine's cost table, leaving every other family as it is.

Small person detectors (YOLO heads on random-weight backbones: 1 and 3 classes, inputs from
96x64 to 192x128) are built for the board with decode + NMS variants (score thresholds from 0,
every anchor a candidate, to 0.6; candidate buffers of 8 to 256; 1 to 20 boxes; IoU 0.3 and
0.45) and run once each; the harness counts the post-processing apart. The counts its cost is
linear in (``engine.PostprocessCounts``: anchors passing, candidates kept, NMS overlap tests,
boxes) are the host decode's of the reference interpreter's heads on the same input, exactly
what the C loops do (the heap's and the final sort's steps at their log2 bound, as the NAS
counts them). One least-squares fit (non-negative) over both families' features
against the measured total, then split per family. Prints every run, measured against
predicted with the run's own counts and with the worst case the NAS uses. About two minutes
on 2 cores.

    python bench/detect_postprocess_fit.py               # h743, -O2, writes mcunet_core/engine/kernel_costs.json
    python bench/detect_postprocess_fit.py --out /tmp/costs.json
"""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile

import numpy as np

from mcunet_core.arch import Arch, Stage
from mcunet_core.arch.detection import DetectionArch
from mcunet_core.arch.detection_ir import detection_to_graph
from mcunet_core.arch.to_ir import RandomWeights
from mcunet_core.atomic import atomic_write_text
from mcunet_core.detect import Decoder, DetectionSpec
from mcunet_core.detect.decode import sigmoid_table
from mcunet_core.device.runners.qemu import QemuRunner
from mcunet_core.engine import COSTS_PATH, LatencyModel, PostprocessCounts, YoloPostprocess, fit_nonnegative
from mcunet_core.ir.reference import run as reference_run
from mcunet_core.pipeline.model_firmware import build_model_firmware
from mcunet_core.spec import load_task
from cost_fit_cli import fit_command

#: (input height, classes, seed) x (score threshold, max_candidates, max_detections, iou threshold)
DETECTORS = [(64, 1, 0), (96, 1, 1), (128, 1, 2), (64, 3, 3), (96, 3, 4)]
VARIANTS = [(0.0, 256, 20, 0.45), (0.05, 64, 5, 0.3), (0.25, 256, 20, 0.45), (0.6, 8, 1, 0.45),
            (0.0, 32, 20, 0.3)]


def detector(height: int, classes: int, seed: int):
    spec = DetectionSpec.from_task(load_task("person-det"))
    spec = dataclasses.replace(spec, labels=tuple(f"c{i}" for i in range(classes)))
    dec = Decoder.from_spec(spec, height)
    stages = tuple(Stage(c, 2, (3,), (3,)) for c in (8, 16, 24, 32))
    backbone = Arch(f"det{height}c{classes}", (height, dec.width, 3), classes, 8, 3, 2, 8, 3, stages)
    return dec, detection_to_graph(DetectionArch.for_task(backbone, spec), RandomWeights(seed))


def counts(dec: Decoder, graph, heads) -> PostprocessCounts:
    """What the C loops do on these heads: anchors passing, candidates kept, NMS's inner-loop
    iterations (any class, up to the first suppressing box) and the boxes kept."""
    tables = [sigmoid_table(graph.tensors[o].quant.single_scale, graph.tensors[o].quant.single_zero_point)
              for o in graph.outputs]
    probs = [t[np.asarray(h)[0].transpose(2, 0, 1).astype(np.int64) + 128] for h, t in zip(heads, tables)]
    passing = len(dataclasses.replace(dec, max_candidates=10**9).candidates(probs))
    rows = dec.candidates(probs)
    kept, tests = [], 0
    for r in rows:
        if len(kept) >= dec.max_detections:
            break
        suppressed = False
        for k in kept:
            tests += 1
            if k[0] != r[0]:
                continue
            w = max(min(k[4], r[4]) - max(k[2], r[2]), 0)
            h = max(min(k[5], r[5]) - max(k[3], r[3]), 0)
            inter = w * h
            union = (k[4] - k[2]) * (k[5] - k[3]) + (r[4] - r[2]) * (r[5] - r[3]) - inter
            if (inter << 15) > dec.iou_q * union:
                suppressed = True
                break
        if not suppressed:
            kept.append(r)
    return PostprocessCounts(passing, len(rows), tests, len(kept))


def measure(board, dec, graph, seed: int):
    """(post-processing, its counts, measured instructions) of one build and run."""
    post = YoloPostprocess.from_decoder(dec, graph)
    x = np.random.default_rng(seed).integers(-128, 128, graph.tensors[graph.inputs[0]].shape).astype(np.int8)
    ref = reference_run(graph, x)
    with tempfile.TemporaryDirectory() as tmp:
        built = build_model_firmware(graph, board, tmp, "O2", postprocess=post)
        result = QemuRunner(board).run(built.firmware.elf, x.tobytes()).raise_for_status()
    return post, counts(dec, graph, [ref[o] for o in graph.outputs]), int(result.postprocess_count)


def fit(samples) -> dict[str, dict]:
    """Both families at once (only their sum is measured), split by feature."""
    x = np.array([[v for w in post.work(0, c) for v in w.values] for post, c, _ in samples])
    y = np.array([m for _, _, m in samples], dtype=np.float64)
    coef = fit_nonnegative(x, y)
    err = np.abs(x @ coef - y) / y
    families, at = {}, 0
    for w in samples[0][0].work(0, samples[0][1]):
        n = len(w.values)
        families[w.family] = {"features": list(w.names), "coefficients": [float(f"{c:.6g}") for c in coef[at:at + n]],
                              "layers": len(samples), "max_rel_error": round(float(err.max()), 4),
                              "fitted_with": "the sum of yolo_decode and nms per run (bench/detect_postprocess_fit.py)"}
        at += n
    return families


def main(argv=None) -> int:
    args, board = fit_command(__doc__, argv)
    samples, names = [], []
    for height, classes, seed in DETECTORS:
        base, graph = detector(height, classes, seed)
        for score, cap, boxes, iou in VARIANTS:
            dec = dataclasses.replace(base, score_q=round(score * 32768), max_candidates=cap, max_detections=boxes,
                                      iou_q=round(iou * 32768))
            samples.append(measure(board, dec, graph, seed))
            names.append(f"{dec.width}x{dec.height} c{classes} score {score} cap {cap} boxes {boxes} iou {iou}")
            print(f"measured {names[-1]}: {samples[-1][2]:,}", file=sys.stderr, flush=True)
    families = fit(samples)
    doc = json.loads(COSTS_PATH.read_text(encoding="utf-8"))
    doc["latency"]["families"].update(families)
    doc["latency"]["families"] = dict(sorted(doc["latency"]["families"].items()))
    atomic_write_text(args.out, json.dumps(doc, indent=1) + "\n")
    model = LatencyModel({k: tuple(v["coefficients"]) for k, v in families.items()})
    for fam, v in families.items():
        print(f"{fam}: " + ", ".join(f"{n}={c:g}" for n, c in zip(v["features"], v["coefficients"])))
    print(f"\n{len(samples)} runs, max error {families['nms']['max_rel_error']:.1%} with each run's counts\n")
    print("| run | anchors | passing | candidates | NMS tests | boxes | measured | predicted | error | worst case |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, (post, c, measured) in zip(names, samples):
        predicted = model.instructions(post.work(0, c))
        worst = model.instructions(post.work(0))
        print(f"| {name} | {post.anchors} | {c.passing} | {c.candidates} | {c.comparisons} | {c.kept} | {measured:,} "
              f"| {predicted:,} | {predicted / measured - 1:+.1%} | {worst:,} |")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
