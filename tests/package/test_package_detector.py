"""A detector's exported package carries its post-processing: ``postprocess.c`` and the two
detect kernels it calls, ``<prefix>_postprocess()`` / ``<prefix>_detections()`` in its API and
README; built with CMake into an application (the package's toolchain file) and run on the
board's QEMU stand-in, its boxes are the host decode's of the reference interpreter's heads,
bit for bit."""

from __future__ import annotations

import dataclasses
import json

import numpy as np

from mcunet_core.arch import Arch, Stage
from mcunet_core.arch.detection import DetectionArch
from mcunet_core.arch.detection_ir import detection_to_graph
from mcunet_core.arch.to_ir import RandomWeights
from mcunet_core.detect import Decoder, DetectionSpec
from mcunet_core.device.runners.qemu import QemuRunner
from mcunet_core.engine import Target, YoloPostprocess
from mcunet_core.ir.reference import run
from mcunet_core.package import MANIFEST, export_package
from mcunet_core.spec import load_board, load_task
from multi_model import nm
from package_apps import cmake_app, cmake_build

DETECT_KERNELS = {"detect/mcunet_yolo_decode_s8.c", "detect/mcunet_nms_greedy_s32.c"}

#: the application's model: the network, then its post-processing, the record after the heads
APP_C = """#include <string.h>
#include "mcunet_model.h"
#include "det/model.h"

int mcunet_invoke(const int8_t *input, int8_t *output)
{
    if (det_invoke(input, output) != 0) return 1;
    if (det_postprocess() != det_detections()[0]) return 2;
    memcpy(output + HEADS_BYTES, det_detections(), DET_DETECTIONS_BYTES);
    return 0;
}
"""


def tiny_detector(height=64):
    """person-det's heads on a small random-weight backbone, at a score threshold low enough
    that random weights give boxes."""
    spec = DetectionSpec.from_task(load_task("person-det"))
    dec = dataclasses.replace(Decoder.from_spec(spec, height), score_q=4096)
    stages = tuple(Stage(c, 2, (3,), (3,)) for c in (8, 16, 24, 32))
    backbone = Arch("tiny", (height, dec.width, 3), 1, 8, 3, 2, 8, 3, stages)
    return dec, detection_to_graph(DetectionArch.for_task(backbone, spec), RandomWeights(0))


def test_a_detector_package_carries_its_postprocessing_and_returns_the_host_boxes(tmp_path):
    board = load_board("h743")
    dec, graph = tiny_detector()
    post = YoloPostprocess.from_decoder(dec, graph)
    folder = tmp_path / "det"
    pkg = export_package(graph, Target.from_board(board), board, folder, "det", postprocess=post)

    manifest = json.loads((folder / MANIFEST).read_text())
    assert "src/postprocess.c" in manifest["files"] and manifest["postprocess"] == "yolo decode + nms"
    assert DETECT_KERNELS <= set(manifest["kernels"]) and "src/postprocess.c" in pkg.model_sources
    assert all(f"kernels/{k}" in manifest["files"] for k in DETECT_KERNELS)
    assert "kernels/include/mcunet_detect.h" in manifest["files"]
    sources = (folder / "cmake" / "mcunet_det_sources.cmake").read_text()
    assert "src/postprocess.c" in sources and all(k in sources for k in DETECT_KERNELS)
    header = (folder / "include" / "det" / "model.h").read_text()
    assert "int32_t det_postprocess(void);" in header and "const int32_t *det_detections(void);" in header
    readme = (folder / "README.md").read_text()
    assert "int32_t det_postprocess(void);" in readme and "const int32_t *det_detections(void);" in readme
    assert f"`DET_DETECTIONS_BYTES` = {post.record_bytes} B" in readme and "Q15" in readme

    # the application links the post-processing from the library and runs it after the network
    heads = sum(graph.tensors[o].nbytes for o in graph.outputs)
    app = cmake_app(tmp_path / "app", board, {"det": folder}, {"det": graph})
    (app / "app.c").write_text(f"#define HEADS_BYTES {heads}\n" + APP_C)
    (app / "mcunet_model_config.h").write_text(
        f"#define MCUNET_INPUT_BYTES {graph.tensors[graph.inputs[0]].nbytes}\n"
        f"#define MCUNET_OUTPUT_BYTES {heads + post.record_bytes}\n#define MCUNET_ARENA_BYTES 0\n")
    elf = cmake_build(app, tmp_path / "build", folder / "cmake" / "arm-none-eabi.cmake")
    assert not nm([elf], "--undefined-only")
    assert {"det_postprocess", "det_detections", "mcunet_yolo_decode_s8", "mcunet_nms_greedy_s32"} <= nm(
        [elf], "--defined-only")

    x = np.random.default_rng(1).integers(-128, 128, graph.tensors[graph.inputs[0]].shape).astype(np.int8)
    raw = np.asarray(QemuRunner(board).run(elf, x.tobytes()).raise_for_status().output).view(np.uint8).reshape(-1)
    ref = run(graph, [x])
    offset = 0
    for name in graph.outputs:
        t = graph.tensors[name]
        np.testing.assert_array_equal(raw[offset:offset + t.nbytes].view(np.int8).reshape(t.shape), ref[name])
        offset += t.nbytes
    record = raw[offset:].view(np.int32)
    quants = [(graph.tensors[o].quant.single_scale, graph.tensors[o].quant.single_zero_point) for o in graph.outputs]
    want = dec.from_graph([ref[o] for o in graph.outputs], quants)
    assert 0 < len(want) and np.array_equal(YoloPostprocess.boxes(record), want)
