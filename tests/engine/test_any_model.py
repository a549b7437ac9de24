"""Any model the importer accepts compiles through the engine and runs bit-exact (issue 5).

Every family of the importer tests' random .tflite generator (one per supported op, PAD
folding, and a float-edged multi-op chain) is imported, compiled (kernel selection, memory
plan, code generation) and run on the host under ASan/UBSan; outputs must equal the
reference interpreter bit for bit. What no kernel supports fails at compile time with an
UnsupportedError naming the op, its index and its shapes.
"""

from __future__ import annotations

import re
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "kernels"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "importers"))

from random_models import GENERATORS  # noqa: E402
from test_generic_common import check_cases, check_one  # noqa: E402

from mcunet_core.engine.compile import compile_graph  # noqa: E402
from mcunet_core.engine.kernels import supported_op_types  # noqa: E402
from mcunet_core.engine.target import HOST  # noqa: E402
from mcunet_core.errors import UnsupportedError  # noqa: E402
from mcunet_core.importers import import_tflite  # noqa: E402
from mcunet_core.ir import OP_CLASSES, QuantParams, Tensor  # noqa: E402
from mcunet_core.ir import ops as O  # noqa: E402
from mcunet_core.ir.graph import Graph  # noqa: E402

SEEDS_PER_FAMILY = 12


def _case(family: str, seed: int):
    # a different stream from the importer tests' (they use [crc, seed] with seeds 0..39)
    rng = np.random.default_rng([zlib.crc32(family.encode()), 1000 + seed])
    return GENERATORS[family](rng)


def _family_cases(family: str, seeds):
    cases = []
    for seed in seeds:
        case = _case(family, seed)
        cases.append((f"{family} seed {seed} {case.info}", import_tflite(case.model), case.inputs))
    return cases


@pytest.mark.parametrize("family", sorted(GENERATORS))
def test_every_random_model_family_compiles_and_runs_bit_exact(family):
    cases = _family_cases(family, range(SEEDS_PER_FAMILY))
    assert cases
    check_cases(cases)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_chain_models_through_the_engines_own_host_harness(tmp_path):
    """The float-edged chain (QUANTIZE ... SOFTMAX, DEQUANTIZE) via engine_runs.run_host itself."""
    for seed in range(2):
        case = _case("chain", seed)
        check_one(import_tflite(case.model), case.inputs, tmp_path / str(seed))


def test_conv_with_batch_above_one():
    cases = [c for c in _family_cases("conv", range(40)) + _family_cases("conv_pad", range(40))
             if c[1].tensors[c[1].inputs[0]].shape[0] > 1]
    assert cases
    check_cases(cases)


def test_fully_connected_over_many_seeds():
    check_cases(_family_cases("fully_connected", range(40)))


def test_every_op_the_importer_produces_has_a_kernel():
    from mcunet_core.importers.tflite import CONVERTERS

    produced = {OP_CLASSES[name] for entry in CONVERTERS.values() for name in entry.ir_ops}
    missing = sorted(cls.OPCODE for cls in produced - set(supported_op_types()))
    assert not missing, f"ops without any kernel: {missing}"


# ---- what no kernel supports: a clear error at compile time ---------------------------------

def _tensor(g: Graph, name, shape, dtype="int8", scale=0.05, zp=0):
    q = None if dtype == "float32" else QuantParams([scale], [zp])
    g.add_tensor(Tensor(name, tuple(shape), dtype, q))
    return name


def _unsupported_message(g: Graph) -> str:
    with pytest.raises(UnsupportedError) as info:
        compile_graph(g, HOST)
    return str(info.value)


def test_unsupported_transpose_rank_names_op_index_and_shapes():
    g = Graph("too-many-dims")
    shape = (2, 3, 2, 3, 2, 3, 2)  # 7 dims no merging can reduce under the reversed permutation
    x = _tensor(g, "x", shape)
    y = _tensor(g, "y", shape)
    z = _tensor(g, "z", shape[::-1])
    g.inputs, g.outputs = [x], [z]
    g.ops = [O.Logistic((x,), (y,)), O.Transpose((y,), (z,), perm=tuple(range(6, -1, -1)))]
    g.tensors["y"].quant = QuantParams([1 / 256], [-128])
    msg = _unsupported_message(g)
    assert "op 1 TRANSPOSE" in msg
    assert str(list(shape)) in msg and str(list(shape[::-1])) in msg


def test_unsupported_quantize_to_int16_names_op_index_and_shapes():
    g = Graph("int16-out")
    x = _tensor(g, "x", (1, 4), "float32")
    y = _tensor(g, "y", (1, 4), "int16")
    g.inputs, g.outputs = [x], [y]
    g.ops = [O.Quantize((x,), (y,))]
    msg = _unsupported_message(g)
    assert re.search(r"op 0 QUANTIZE .*\[1, 4\] -> outputs \[1, 4\]", msg), msg


def test_unsupported_add_quantization_names_op_index_and_shapes():
    """An output scale so small that TFLite's ADD multiplier would need a left shift."""
    g = Graph("tiny-scale")
    a = _tensor(g, "a", (2, 5), scale=0.5)
    b = _tensor(g, "b", (5,), scale=0.5)
    y = _tensor(g, "y", (2, 5), scale=1e-9)
    g.inputs, g.outputs = [a, b], [y]
    g.ops = [O.Add((a, b), (y,))]
    msg = _unsupported_message(g)
    assert "op 0 ADD" in msg and "[2, 5], [5] -> outputs [2, 5]" in msg
