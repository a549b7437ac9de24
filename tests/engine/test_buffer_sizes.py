"""Every kernel's C ``<function>_get_buffer_size(args)`` equals its Python plan's scratch bytes.

The Python plans are what the planner (and so the NAS) counts; the C twins are what a
hand-written integration would call. One program asks the C side for every plan of a corpus
that reaches every kernel: both MLPerf models on a board and with tight flash, random
MCUNet-style networks (int8 and int4 weights; tight flash runs the lean depthwise drivers), and
one random model of each op family the importer knows.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np

from graph_factory import GraphBuilder, random_mobilenet, with_int4_weights
from mcunet_core.ir import QuantParams
from mcunet_core.paths import KERNEL_DIR
from mcunet_core.engine.lowering import kernel_plans
from mcunet_core.engine.patch.schedule import PatchPolicy, PatchSchedule
from mcunet_core.engine.target import HOST, Target
from mcunet_core.importers import import_tflite
from mcunet_core.spec import load_board

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "importers"))
from random_models import GENERATORS  # noqa: E402

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "models"
TIGHT_FLASH = Target("tight-flash", flash_budget=1, ram_budget=4096)


def _edge_graphs():
    """Cases the random corpus does not reach: FC weights with a zero point (generic FC) and
    a RESHAPE whose input is also a graph output (a copy, not a view)."""
    b = GraphBuilder("fc_zp", np.random.default_rng(0))
    y = b.fully_connected(b.input((2, 12)), 5)
    g = b.finish(y)
    w = g.tensors[g.ops[0].inputs[1]]
    w.quant = QuantParams(w.quant.scale, [-7])
    b2 = GraphBuilder("copy", np.random.default_rng(1))
    x = b2.input((1, 4, 4, 3))
    b3 = GraphBuilder("tall_int4", np.random.default_rng(2))  # an int4 depthwise layer on transposed planes
    tall = with_int4_weights(b3.finish(b3.depthwise(b3.input((1, 25, 5, 32)))), np.random.default_rng(2))
    b4 = GraphBuilder("tall", np.random.default_rng(3))  # int8 taps on transposed planes (tight flash: w8)
    tall8 = b4.finish(b4.depthwise(b4.input((1, 25, 5, 32))))
    return [g, b2.finish(x, b2.reshape(x, (1, 48))), tall, tall8]


def _corpus():
    targets = [HOST, Target.from_board(load_board("h743")), TIGHT_FLASH]
    graphs = [random_mobilenet(np.random.default_rng(seed), f"net{seed}") for seed in range(6)] + _edge_graphs()
    graphs += [with_int4_weights(random_mobilenet(np.random.default_rng(seed), f"int4net{seed}"), np.random.default_rng(seed))
               for seed in range(2)]
    for family in sorted(GENERATORS):
        for seed in range(3):
            graphs.append(import_tflite(GENERATORS[family](np.random.default_rng([zlib.crc32(family.encode()), seed])).model))
    for name in ("vww_96_int8", "kws_ref_model"):
        if (SHARED / f"{name}.tflite").is_file():
            graphs.append(import_tflite(SHARED / f"{name}.tflite"))
    for graph in graphs:
        for target in targets:
            for plan in kernel_plans(graph, target):
                if plan.function is not None:
                    yield plan
    patched = dataclasses.replace(HOST, patch=PatchPolicy("fixed", PatchSchedule(1, (2, 2))))  # SLICE, PASTE
    yield from (p for p in kernel_plans(graphs[0], patched) if p.function is not None)
    yield from _detection_plans()


def _detection_plans():
    """The detection post-processing's kernels (``engine.postprocess``), two buffer sizes."""
    from mcunet_core.detect import Decoder, DetectionSpec
    from mcunet_core.engine import YoloPostprocess
    from mcunet_core.spec import load_task

    dec = Decoder.from_spec(DetectionSpec.from_task(load_task("person-det")))
    for max_candidates in (dec.max_candidates, 7):
        post = YoloPostprocess(("out",), ((16, 20, 3),), (8,), dec.anchors_q[:1], (np.zeros(256, np.int16),), 1,
                               dec.width, dec.height, dec.score_q, dec.iou_q, dec.max_detections, max_candidates)
        yield from post.kernel_plans()


def _declared_twins() -> set[str]:
    """Functions with a plain ``int32_t <name>_get_buffer_size(`` prototype in the headers (the
    depthwise job kernels are declared through a macro: they are parts of a layer's kernel)."""
    text = "".join(p.read_text() for p in (KERNEL_DIR / "include").glob("*.h"))
    return set(re.findall(r"int32_t (mcunet_\w+)_get_buffer_size\(", text)) - {"mcunet_dw_epilogue"}


def _generic_binary_corpus(monkeypatch):
    """ADD/MUL on their generic kernels (the fast ones take every corpus case)."""
    from mcunet_core.engine.kernels.generic.binary_fast import FastAdd, FastMul

    for cls in (FastAdd, FastMul):
        monkeypatch.setattr(cls, "supports", lambda self, ctx: False)
    for family in ("add", "mul"):
        graph = import_tflite(GENERATORS[family](np.random.default_rng(0)).model)
        yield from (p for p in kernel_plans(graph, HOST) if p.function is not None)


def test_c_buffer_size_twins_match_the_python_plans(tmp_path, monkeypatch):
    cases = {}
    for plan in list(_corpus()) + list(_generic_binary_corpus(monkeypatch)):
        call = f"{plan.function}_get_buffer_size({', '.join(str(int(a)) for a in plan.buffer_size_args)})"
        cases.setdefault(call, set()).add(plan.scratch_bytes)
    functions = {call.split("_get_buffer_size")[0] for call in cases}
    assert functions == _declared_twins()  # the corpus reaches every kernel of the library
    assert any(b > 0 for sizes in cases.values() for b in sizes)
    calls = sorted(cases)
    main = tmp_path / "sizes.c"
    main.write_text('#include <stdio.h>\n#include "mcunet_kernels.h"\nint main(void)\n{\n'
                    + "".join(f'    printf("%ld\\n", (long){call});\n' for call in calls) + "    return 0;\n}\n")
    sources = [main] + sorted(KERNEL_DIR.rglob("*.c"))
    exe = tmp_path / "sizes"
    subprocess.run(["gcc", "-std=c11", "-O1", "-Wall", "-Werror", f"-I{KERNEL_DIR / 'include'}",
                    *map(str, sources), "-o", str(exe), "-lm"], check=True)
    printed = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.split()
    wrong = [f"{call} = {got}, plan says {sorted(cases[call])}"
             for call, got in zip(calls, map(int, printed)) if cases[call] != {got}]
    assert not wrong, "\n".join(wrong)
