"""Detection post-processing on the device (issue 17 part 4): a person detector (YOLO heads on
a model spec's backbone, random int8 weights: shapes and the number of anchors that pass
decide the cost) built for a board and run on its QEMU stand-in, without post-processing, with
the task's thresholds, and with every anchor a candidate (score threshold 0: the worst case,
the candidate heap full and NMS over its whole capacity). Per build: the arena, the firmware's
flash, the network's and the post-processing's instructions (counted apart by the harness),
candidates and boxes, and whether the heads equal the reference interpreter's and the boxes
the host decode's.

    python bench/detect_postprocess.py [--model mcunet-vww-80] [--height 128] [--board h743]
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile

import numpy as np

from mcunet_core.arch import arch_from_spec
from mcunet_core.arch.detection import DetectionArch
from mcunet_core.arch.detection_ir import detection_to_graph
from mcunet_core.arch.to_ir import RandomWeights
from mcunet_core.detect import Decoder, DetectionSpec
from mcunet_core.detect.decode import sigmoid_table
from mcunet_core.device.runners.qemu import QemuRunner
from mcunet_core.engine import YoloPostprocess
from mcunet_core.ir.model_io import ModelIO
from mcunet_core.ir.reference import run as reference_run
from mcunet_core.pipeline.model_firmware import build_model_firmware
from mcunet_core.spec import load_board, load_model, load_task


def probs(graph, heads):
    quants = [graph.tensors[o].quant for o in graph.outputs]
    return [sigmoid_table(q.single_scale, q.single_zero_point)[np.asarray(h)[0].transpose(2, 0, 1).astype(np.int64) + 128]
            for h, q in zip(heads, quants)]


def measure(graph, board, x, ref, dec: Decoder | None):
    post = YoloPostprocess.from_decoder(dec, graph) if dec is not None else None
    with tempfile.TemporaryDirectory() as tmp:
        built = build_model_firmware(graph, board, tmp, "O2", postprocess=post)
        run = QemuRunner(board).run(built.firmware.elf, x.tobytes()).raise_for_status()
        outs = ModelIO.load(f"{tmp}/gen/io.json").unpack_outputs(run.output)
    heads = outs[:len(graph.outputs)]
    exact = all(np.array_equal(h, ref[o]) for h, o in zip(heads, graph.outputs))
    row = {"arena": built.model.plan.arena_bytes, "flash": built.firmware.memory["flash_bytes"],
           "network": run.count, "post": run.postprocess_count, "candidates": None, "boxes": None}
    if dec is not None:
        want = dec.from_graph([ref[o] for o in graph.outputs],
                              [(graph.tensors[o].quant.single_scale, graph.tensors[o].quant.single_zero_point)
                               for o in graph.outputs])
        passing = dataclasses.replace(dec, max_candidates=10**9).candidates(probs(graph, heads))
        row.update(candidates=f"{min(len(passing), dec.max_candidates)} of {len(passing)} passing",
                   boxes=len(want))
        exact = exact and np.array_equal(YoloPostprocess.boxes(outs[-1]), want)
    row["exact"] = exact
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="mcunet-vww-80", help="the backbone's model spec")
    ap.add_argument("--height", type=int, default=128, help="input height (the width keeps the task's aspect)")
    ap.add_argument("--board", default="h743")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    spec = DetectionSpec.from_task(load_task("person-det"))
    dec = Decoder.from_spec(spec, args.height)
    backbone = arch_from_spec(load_model(args.model).architecture, (dec.height, dec.width, 3), 1, "backbone")
    graph = detection_to_graph(DetectionArch.for_task(backbone, spec), RandomWeights(args.seed))
    board = load_board(args.board)
    x = np.random.default_rng(args.seed).integers(-128, 128, graph.tensors[graph.inputs[0]].shape).astype(np.int8)
    ref = reference_run(graph, x)
    anchors = sum(int(np.prod(graph.tensors[o].shape[1:3])) * len(a) for o, a in zip(graph.outputs, dec.anchors_q))
    print(f"person-det on {args.model}'s backbone at {dec.width}x{dec.height}, {args.board}, -O2, random weights "
          f"(seed {args.seed}), {anchors} anchors, at most {dec.max_candidates} candidates and {dec.max_detections} boxes")
    print()
    print("| post-processing | arena B | flash B | network instructions | post-processing instructions "
          "| candidates | boxes | bit-exact |")
    print("|---|---|---|---|---|---|---|---|")
    builds = [("none", None), (f"score >= {spec.postprocess['score_threshold']}", dec),
              ("score >= 0 (every anchor)", dataclasses.replace(dec, score_q=0))]
    for name, d in builds:
        r = measure(graph, board, x, ref, d)
        post = "-" if r["post"] is None else f"{r['post']:,}"
        print(f"| {name} | {r['arena']:,} | {r['flash']:,} | {r['network']:,} | {post} | {r['candidates'] or '-'} "
              f"| {'-' if r['boxes'] is None else r['boxes']} | {'yes' if r['exact'] else 'NO'} |", flush=True)


if __name__ == "__main__":
    main()
