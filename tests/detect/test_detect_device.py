"""Detection post-processing in generated C (``engine.postprocess``, ``firmware/kernels/detect``):
the boxes the C decode + NMS return equal ``Decoder``'s bit for bit on random int8 head
outputs (host gcc, ASan/UBSan), including score ties, empty results and more candidates and
boxes than the fixed buffers hold; its scratch and record are planned in the arena."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from mcunet_core import engine
from mcunet_core.detect import Decoder, DetectionSpec
from mcunet_core.device.host import build_host
from mcunet_core.engine import HOST, YoloPostprocess
from mcunet_core.errors import UserError
from mcunet_core.spec import load_task

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))
from graph_factory import GraphBuilder  # noqa: E402


@pytest.fixture(scope="module")
def person():
    return Decoder.from_spec(DetectionSpec.from_task(load_task("person-det")))


def heads_graph(dec: Decoder, rng, name="heads"):
    """The heads' outputs as graph inputs passed through RESHAPE views: the test writes the
    int8 head outputs it wants straight into the arena."""
    b = GraphBuilder(name, rng)
    outs = []
    for stride, anchors in zip(dec.strides, dec.anchors_q):
        shape = (1, -(-dec.height // stride), -(-dec.width // stride), len(anchors) * (5 + dec.classes))
        x = b.input(shape, scale=float(rng.uniform(0.03, 0.15)), zero_point=int(rng.integers(-40, 40)))
        outs.append(b.reshape(x, shape))
    return b.finish(*outs)


def python_boxes(dec, graph, heads):
    quants = [(graph.tensors[o].quant.single_scale, graph.tensors[o].quant.single_zero_point) for o in graph.outputs]
    return dec.from_graph(heads, quants)


def head_cases(graph, rng):
    """Named int8 head outputs: uniform (more candidates than the buffer), a few values only
    (ties everywhere), all lowest (nothing passes), sparse peaks (a handful of boxes)."""
    shapes = [graph.tensors[n].shape for n in graph.inputs]
    few = np.array([-128, -5, 0, 60, 127])
    cases = {
        "uniform": [rng.integers(-128, 128, s) for s in shapes],
        "ties": [rng.choice(few, s) for s in shapes],
        "empty": [np.full(s, -128) for s in shapes],
    }
    sparse = [np.full(s, -128) for s in shapes]
    for level in sparse:
        flat = level.reshape(-1)
        flat[rng.integers(0, flat.size, 40)] = rng.integers(60, 128, 40)
    cases["sparse"] = sparse
    for seed in range(4):
        cases[f"random{seed}"] = [rng.integers(-128, 128, s) // int(rng.integers(1, 4)) - int(rng.integers(0, 60))
                                  for s in shapes]
    return {k: [np.clip(h, -128, 127).astype(np.int8) for h in v] for k, v in cases.items()}


def run_c(dec, graph, cases, work: Path):
    post = YoloPostprocess.from_decoder(dec, graph)
    engine.generate(graph, HOST, work, plot=False, postprocess=post)
    program = build_host(work)
    out = {}
    for name, heads in cases.items():
        d = work / name
        d.mkdir()
        *levels, record = program.run(heads, d)
        assert all(np.array_equal(a, b) for a, b in zip(levels, heads))
        out[name] = YoloPostprocess.boxes(record), record
    return post, out


DECODERS = {
    "person-det": lambda d: d,
    # three classes (class ties: a few values only), an input the strides do not divide,
    # a tiny candidate buffer, a low IoU threshold and two boxes at most
    "three-classes": lambda d: dataclasses.replace(
        d, width=100, height=76, classes=3, score_q=6000, iou_q=9000, max_detections=2, max_candidates=7,
        anchors_q=tuple(a[:2] + 16 * i for i, a in enumerate(d.anchors_q))),
    # one box at most, every candidate kept by the buffer's capacity of 1
    "one-box": lambda d: dataclasses.replace(d, max_detections=1, max_candidates=1, iou_q=32768),
    # a buffer larger than the anchors (27 at 24x16): the C buffer holds them all, no more
    "small-input": lambda d: dataclasses.replace(d, width=24, height=16, max_candidates=1000, max_detections=3),
}


@pytest.mark.parametrize("config", sorted(DECODERS))
def test_c_boxes_equal_the_python_decode(person, config, tmp_path):
    dec = DECODERS[config](person)
    rng = np.random.default_rng(sum(map(ord, config)))
    graph = heads_graph(dec, rng)
    cases = head_cases(graph, rng)
    post, got = run_c(dec, graph, cases, tmp_path)
    seen = set()
    for name, heads in cases.items():
        want = python_boxes(dec, graph, heads)
        boxes, record = got[name]
        assert np.array_equal(boxes, want), f"{config} {name}:\nC\n{boxes}\nPython\n{want}"
        assert record.shape == (1 + 6 * dec.max_detections,) and not record[1 + 6 * len(boxes):].any()
        everything = dataclasses.replace(dec, max_candidates=10**6).candidates(_probs(dec, graph, heads))
        seen |= {"empty"} if len(want) == 0 else set()
        seen |= {"candidate overflow"} if len(everything) > dec.max_candidates else set()
        seen |= {"box overflow"} if len(want) == dec.max_detections and len(everything) > len(want) else set()
        seen |= {"score ties"} if len(everything) > len(np.unique(everything[:, 1])) else set()
    if config == "small-input":
        assert post.max_candidates == 27 and "candidate overflow" not in seen
        seen.add("candidate overflow")
    assert seen == {"empty", "candidate overflow", "box overflow", "score ties"}, seen


def _probs(dec, graph, heads):
    """Decoder's Q15 probabilities of the heads (what ``from_graph`` feeds ``decode``)."""
    from mcunet_core.detect.decode import sigmoid_table

    tables = [sigmoid_table(graph.tensors[o].quant.single_scale, graph.tensors[o].quant.single_zero_point)
              for o in graph.outputs]
    return [t[np.asarray(h)[0].transpose(2, 0, 1).astype(np.int64) + 128] for h, t in zip(heads, tables)]


def test_scratch_and_record_share_the_arena_after_the_network(person, tmp_path):
    graph = heads_graph(person, np.random.default_rng(3))
    post = YoloPostprocess.from_decoder(person, graph)
    plain = engine.lower(graph, HOST)
    lowered = engine.lower(graph, HOST, postprocess=post)
    step = len(graph.ops)
    assert lowered.plan.scratch_offsets[step] >= 0 and post.scratch_bytes == 256 * 28
    outputs = sum(graph.tensors[o].nbytes for o in graph.outputs)
    assert lowered.plan.arena_bytes >= outputs + post.scratch_bytes + post.record_bytes > plain.plan.arena_bytes
    assert plain.constant_bytes == 0 and lowered.constant_bytes == post.constant_bytes == 3 * 512 + 9 * 8
    code = lowered.footprint().code - plain.footprint().code  # the two kernels compiled alone + two calls
    assert 1440 + 368 < code < 1440 + 368 + 200
    engine.generate(graph, HOST, tmp_path, plot=False, postprocess=post)
    doc = json.loads((tmp_path / "plan.json").read_text())
    names = {b["name"] for b in doc["buffers"]}
    assert {f"scratch:{step}", "postprocess:detections"} <= names
    build = json.loads((tmp_path / "build.json").read_text())
    assert "postprocess.c" in build["sources"]
    assert {"detect/mcunet_yolo_decode_s8.c", "detect/mcunet_nms_greedy_s32.c"} <= set(build["kernel_sources"])
    io = json.loads((tmp_path / "io.json").read_text())
    assert io["outputs"][-1] == {"name": "detections", "dtype": "int32", "shape": [1 + 6 * 20]}


def test_a_graph_that_is_not_the_detector_is_one_line(person):
    graph = heads_graph(dataclasses.replace(person, classes=2), np.random.default_rng(4))
    with pytest.raises(UserError) as err:
        YoloPostprocess.from_decoder(person, graph)
    assert "needs int8[1, 16, 20, 18]" in str(err.value) and "\n" not in str(err.value)


def tiny_detector(height=64):
    """A small int8 detector on person-det's heads (random weights) and its decoder, at a
    low score threshold so that random weights give boxes."""
    from mcunet_core.arch import Arch, Stage
    from mcunet_core.arch.detection import DetectionArch
    from mcunet_core.arch.detection_ir import detection_to_graph
    from mcunet_core.arch.to_ir import RandomWeights

    spec = DetectionSpec.from_task(load_task("person-det"))
    dec = dataclasses.replace(Decoder.from_spec(spec, height), score_q=4096)
    stages = tuple(Stage(c, 2, (3,), (3,)) for c in (8, 16, 24, 32))
    backbone = Arch("tiny", (height, dec.width, 3), 1, 8, 3, 2, 8, 3, stages)
    graph = detection_to_graph(DetectionArch.for_task(backbone, spec), RandomWeights(0))
    x = np.random.default_rng(1).integers(-128, 128, graph.tensors[graph.inputs[0]].shape).astype(np.int8)
    return dec, graph, x


def test_detector_on_the_host_whole_and_in_patches(tmp_path):
    """The detector's generated C with its post-processing (ASan/UBSan), whole tensors and
    with a patch stage (the post-processing then follows the unrolled graph's ops)."""
    from mcunet_core.engine import PatchPolicy, PatchSchedule
    from mcunet_core.ir.reference import run as reference_run

    dec, graph, x = tiny_detector()
    ref = reference_run(graph, x)
    want = python_boxes(dec, graph, [ref[o] for o in graph.outputs])
    assert len(want) > 0
    post = YoloPostprocess.from_decoder(dec, graph)
    patched = dataclasses.replace(HOST, patch=PatchPolicy("fixed", PatchSchedule(1, (2, 2))))
    for name, target in (("whole", HOST), ("patched", patched)):
        model = engine.generate(graph, target, tmp_path / name, plot=False, postprocess=post)
        assert (model.patch is not None) == (name == "patched")
        *heads, record = build_host(tmp_path / name).run([x], tmp_path / name)
        assert all(np.array_equal(h, ref[o]) for h, o in zip(heads, graph.outputs)), name
        assert np.array_equal(YoloPostprocess.boxes(record), want), name


def test_detector_on_qemu_returns_the_python_boxes(tmp_path):
    """The detector built for the H743 and run on its QEMU stand-in: the heads equal the
    reference interpreter's, the firmware's boxes the host decode's, and the post-processing
    is counted apart in result.json."""
    from mcunet_core.device.result import write_run
    from mcunet_core.device.runners.qemu import QemuRunner
    from mcunet_core.ir.model_io import ModelIO
    from mcunet_core.ir.reference import run as reference_run
    from mcunet_core.pipeline.model_firmware import build_model_firmware
    from mcunet_core.spec import load_board

    dec, graph, x = tiny_detector()
    post = YoloPostprocess.from_decoder(dec, graph)
    board = load_board("h743")
    built = build_model_firmware(graph, board, tmp_path, postprocess=post)
    run = QemuRunner(board).run(built.firmware.elf, x.tobytes()).raise_for_status()
    *heads, record = ModelIO.load(tmp_path / "gen" / "io.json").unpack_outputs(run.output)
    ref = reference_run(graph, x)
    assert all(np.array_equal(h, ref[o]) for h, o in zip(heads, graph.outputs))
    want = python_boxes(dec, graph, [ref[o] for o in graph.outputs])
    assert 0 < len(want) and np.array_equal(YoloPostprocess.boxes(record), want)
    assert run.postprocess_count > 0 and f"boxes={len(want)}" in run.console
    doc = write_run(tmp_path / "out", run, built.firmware.memory, opt="O2")
    assert doc["postprocess_instructions"] == run.postprocess_count and doc["instructions"] == run.count


def test_a_prefixed_detector_exports_prefixed_names(person, tmp_path):
    """With a C prefix the post-processing defines only ``<prefix>_`` globals (its constants
    are static), so a detector links beside other models."""
    import subprocess

    from mcunet_core.paths import KERNEL_DIR

    graph = heads_graph(person, np.random.default_rng(5))
    engine.generate(graph, HOST, tmp_path, plot=False, prefix="det", postprocess=YoloPostprocess.from_decoder(person, graph))
    header = (tmp_path / "model.h").read_text()
    assert "#define DET_POSTPROCESS 1" in header and "#define DET_DETECTIONS_BYTES 484u" in header
    obj = tmp_path / "postprocess.o"
    subprocess.run(["gcc", "-std=c11", "-Wall", "-Werror", "-c", f"-I{tmp_path}", f"-I{KERNEL_DIR / 'include'}",
                    str(tmp_path / "postprocess.c"), "-o", str(obj)], check=True)
    nm = subprocess.run(["nm", "-g", "--defined-only", str(obj)], capture_output=True, text=True, check=True).stdout
    assert sorted(line.split()[-1] for line in nm.splitlines()) == ["det_detections", "det_postprocess"]


NMS_MAIN = r"""
#include <stdio.h>
#include <stdlib.h>
#include "mcunet_detect.h"
/* usage: nms candidates.bin count iou_q max_detections kept.bin */
int main(int argc, char **argv)
{
    int32_t n = atoi(argv[2]), max_det = atoi(argv[4]);
    mcunet_box_candidate_t *c = malloc(sizeof(*c) * (size_t)(n ? n : 1));
    mcunet_box_t *kept = malloc(sizeof(*kept) * (size_t)(max_det ? max_det : 1));
    FILE *f = fopen(argv[1], "rb");
    if (!c || !kept || !f || fread(c, sizeof(*c), (size_t)n, f) != (size_t)n)
        return 1;
    fclose(f);
    int32_t k = mcunet_nms_greedy_s32(c, n, atoi(argv[3]), max_det, kept);
    f = fopen(argv[5], "wb");
    fwrite(kept, sizeof(*kept), (size_t)k, f);
    fclose(f);
    free(c);
    free(kept);
    return 0;
}
"""


def test_c_nms_equals_python_on_a_coarse_grid(tmp_path):
    """The NMS kernel alone on boxes of a coarse grid, so overlaps land exactly on the
    threshold (``inter * 2^15 == iou_q * union`` keeps the box) and boxes repeat; degenerate
    boxes (zero area) included; against ``nms.py``."""
    import subprocess

    from mcunet_core.detect.nms import nms
    from mcunet_core.device.host import SANITIZE
    from mcunet_core.paths import KERNEL_DIR

    (tmp_path / "main.c").write_text(NMS_MAIN)
    exe = tmp_path / "nms"
    subprocess.run(["gcc", "-std=c11", "-O1", "-Wall", "-Werror", *SANITIZE, f"-I{KERNEL_DIR / 'include'}",
                    str(tmp_path / "main.c"), str(KERNEL_DIR / "detect" / "mcunet_nms_greedy_s32.c"), "-o", str(exe)],
                   check=True)
    rng = np.random.default_rng(7)
    on_threshold = 0
    for case in range(40):
        n = int(rng.integers(0, 60))
        x0, y0 = rng.integers(0, 5, (2, n)) * 16
        x1, y1 = x0 + rng.integers(0, 4, n) * 16, y0 + rng.integers(0, 4, n) * 16
        rows = np.stack([rng.integers(0, 2, n), np.sort(rng.integers(0, 4, n) * 8000)[::-1], x0, y0, x1, y1], 1)
        iou_q, max_det = int(rng.choice([16384, 10923, 8192, 0])), int(rng.integers(0, 12))
        cand = np.concatenate([rows, np.arange(n)[:, None]], 1).astype(np.int32)
        (tmp_path / "c.bin").write_bytes(cand.tobytes())
        subprocess.run([str(exe), str(tmp_path / "c.bin"), str(n), str(iou_q), str(max_det), str(tmp_path / "k.bin")],
                       check=True)
        got = np.frombuffer((tmp_path / "k.bin").read_bytes(), np.int32).reshape(-1, 6)
        assert np.array_equal(got, rows[nms(rows, iou_q, max_det)]), case
        on_threshold += _exact_overlaps(rows, iou_q)
    assert on_threshold > 0  # the equality was reached


def _exact_overlaps(rows, iou_q) -> int:
    """Pairs of same-class boxes whose overlap equals the threshold exactly."""
    b = rows[:, 2:].astype(np.int64)
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    w = np.clip(np.minimum(b[:, None, 2], b[None, :, 2]) - np.maximum(b[:, None, 0], b[None, :, 0]), 0, None)
    h = np.clip(np.minimum(b[:, None, 3], b[None, :, 3]) - np.maximum(b[:, None, 1], b[None, :, 1]), 0, None)
    inter = w * h
    union = area[:, None] + area[None, :] - inter
    same = rows[:, None, 0] == rows[None, :, 0]
    return int(np.sum(same & (inter > 0) & ((inter << 15) == iou_q * union)))
