"""Randomized bit-exactness: importer + reference interpreter == litert BUILTIN_REF.

Every supported op gets its own family of seeded random single-op models
(random shapes, strides, paddings, dilations, per-channel scales, zero points,
fused activations), plus PAD->conv folding and a float-edged multi-op chain.
Each model runs on random int8 inputs that include -128 and 127 (LOGISTIC and
HARD_SWISH see all 256 values).
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from litert_run import run_builtin_ref
from random_models import GENERATORS

from mcunet_core.importers import import_tflite
from mcunet_core.ir.ops import Pad
from mcunet_core.ir.reference import run

SEEDS_PER_FAMILY = 40


def _case(family: str, seed: int):
    rng = np.random.default_rng([zlib.crc32(family.encode()), seed])
    return GENERATORS[family](rng)


@pytest.mark.parametrize("family", sorted(GENERATORS))
def test_random_models_match_litert_reference_kernels(family):
    failures = []
    for seed in range(SEEDS_PER_FAMILY):
        case = _case(family, seed)
        expected = run_builtin_ref(case.model, case.inputs)
        graph = import_tflite(case.model)
        got = list(run(graph, case.inputs).values())
        assert len(got) == len(expected), f"seed {seed}: {len(got)} outputs, litert has {len(expected)}"
        for e, g in zip(expected, got):
            if e.dtype != g.dtype or e.shape != g.shape or not np.array_equal(e, g):
                failures.append((seed, case.info, e.ravel()[:8].tolist(), g.ravel()[:8].tolist()))
        if family.endswith("_pad"):
            assert not any(isinstance(op, Pad) for op in graph.ops), f"PAD not folded (seed {seed})"
    assert not failures, f"{family}: {len(failures)}/{SEEDS_PER_FAMILY} models differ: {failures[:3]}"


def test_every_supported_op_has_a_random_family():
    from mcunet_core.importers.tflite import CONVERTERS

    covered = {
        "conv": "CONV_2D", "depthwise": "DEPTHWISE_CONV_2D", "fully_connected": "FULLY_CONNECTED",
        "average_pool": "AVERAGE_POOL_2D", "max_pool": "MAX_POOL_2D", "add": "ADD", "mul": "MUL", "mean": "MEAN",
        "pad": "PAD", "padv2": "PADV2", "reshape": "RESHAPE", "softmax": "SOFTMAX", "concatenation": "CONCATENATION",
        "resize_nearest": "RESIZE_NEAREST_NEIGHBOR", "transpose": "TRANSPOSE", "quantize": "QUANTIZE",
        "dequantize": "DEQUANTIZE", "logistic": "LOGISTIC", "hard_swish": "HARD_SWISH",
    }
    assert set(covered) <= set(GENERATORS)
    assert set(CONVERTERS) == set(covered.values())
