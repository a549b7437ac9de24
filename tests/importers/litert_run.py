"""Run a .tflite flatbuffer with litert's reference kernels (OpResolverType.BUILTIN_REF)."""

from __future__ import annotations

import numpy as np
import pytest

litert = pytest.importorskip("ai_edge_litert.interpreter", reason="ai-edge-litert (test dependency) is not installed")


def run_builtin_ref(model: bytes, inputs: list[np.ndarray]) -> list[np.ndarray]:
    it = litert.Interpreter(model_content=model, experimental_op_resolver_type=litert.OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    for detail, x in zip(it.get_input_details(), inputs):
        it.set_tensor(detail["index"], x)
    it.invoke()
    return [it.get_tensor(d["index"]) for d in it.get_output_details()]
