"""The line main.c prints for a model, computed with mcunet's int8 reference interpreter (the
integers the firmware computes, bit for bit) on main.c's test frame; CI passes it to the
runner as ``--expect``:

    python expected.py models/vww.tflite   ->   vww output 7f81...
"""

from __future__ import annotations

import sys

import numpy as np

from mcunet_core.importers.tflite import import_tflite
from mcunet_core.ir.reference import run


def frame_pattern(nbytes: int) -> np.ndarray:
    """main.c's frame: byte i is (i * 7 + 3) mod 256."""
    return ((np.arange(nbytes) * 7 + 3) % 256).astype(np.uint8).view(np.int8)


def expected_scores(model_path) -> np.ndarray:
    graph = import_tflite(str(model_path))
    x = graph.tensors[graph.inputs[0]]
    return run(graph, [frame_pattern(x.nbytes).reshape(x.shape)])[graph.outputs[0]]


def expected_line(model_path) -> str:
    return "vww output " + np.ascontiguousarray(expected_scores(model_path)).tobytes().hex()


if __name__ == "__main__":
    print(expected_line(sys.argv[1] if len(sys.argv) > 1 else "models/vww.tflite"))
