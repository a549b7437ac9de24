"""Quantization parameters and shapes outside what TFLite's kernels accept: every variant of
every op family ends in a UserError naming the file, the op and the tensor, or in a model
that the reference interpreter runs and the engine lowers (issue 11 part 1).

The random single-op models of ``random_models`` are built again with one tensor's scale,
zero point, per-channel length or shape changed before the flatbuffer is written."""

from __future__ import annotations

import contextlib
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import random_models
from tflite_builder import ModelBuilder

from mcunet_core import engine
from mcunet_core.errors import UserError
from mcunet_core.importers import import_tflite
from mcunet_core.ir.reference import run
from mcunet_core.spec import load_board

FAMILIES = sorted(random_models.GENERATORS)
TARGET = engine.Target.from_board(load_board("h743"))


class _Mutating(ModelBuilder):
    """A builder that applies ``mutate(builder)`` just before writing the flatbuffer."""

    mutate = None

    def finish(self, inputs, outputs):
        type(self).mutate(self)
        return super().finish(inputs, outputs)


@contextlib.contextmanager
def mutated(mutate):
    original = random_models.ModelBuilder
    _Mutating.mutate = staticmethod(mutate)
    random_models.ModelBuilder = _Mutating
    try:
        yield
    finally:
        random_models.ModelBuilder = original


def _case(family: str, seed: int, mutate):
    rng = np.random.default_rng([zlib.crc32(family.encode()), seed])
    with mutated(mutate):
        return random_models.GENERATORS[family](rng)


def _quantized(mb, kind: str):
    """Indices of the tensors of one kind: int8 activations, int8 filters, int32 biases."""
    consts = {i for i, t in enumerate(mb.tensors) if t.buffer}
    return [i for i, t in enumerate(mb.tensors) if t.scale is not None and (
        (kind == "activation" and t.type == "int8" and i not in consts)
        or (kind == "filter" and t.type == "int8" and i in consts)
        or (kind == "bias" and t.type == "int32"))]


def outcome(data: bytes, inputs) -> str:
    """'refused: <message>' or 'ran': anything else (another exception) fails the test."""
    try:
        graph = import_tflite(data, name="fuzzed")
    except UserError as e:
        assert e.messages and all(m.startswith("<bytes>: ") for m in e.messages), e.messages
        return "refused: " + " | ".join(e.messages)
    try:
        run(graph, inputs)
        engine.lower(graph, TARGET).footprint()
    except UserError as e:
        return "refused later: " + str(e)
    return "ran"


# -- each kind of bad parameter, on every op family that has such a tensor ----------------

BAD_SCALES = [0.0, -0.5, float("nan"), float("inf")]
BAD_ZERO_POINTS = {"activation": [128, -129, 1000], "bias": [1, -7]}


@pytest.mark.parametrize("family", FAMILIES)
def test_a_bad_scale_or_zero_point_is_refused_naming_op_tensor_and_file(family):
    checked = 0
    for kind in ("activation", "filter", "bias"):
        for seed in range(2):
            variants = [("scale", v) for v in BAD_SCALES] + [("zero_point", v) for v in BAD_ZERO_POINTS.get(kind, [])]
            for field, value in variants:
                hit = {}

                def mutate(mb, kind=kind, field=field, value=value, seed=seed):
                    idx = _quantized(mb, kind)
                    if not idx:
                        return
                    t = mb.tensors[idx[seed % len(idx)]]
                    hit["name"] = t.name
                    arr = getattr(t, field).copy()
                    arr[0] = value
                    setattr(t, field, arr.astype(getattr(t, field).dtype))

                case = _case(family, seed, mutate)
                if "name" not in hit:
                    continue
                result = outcome(case.model, case.inputs)
                assert result.startswith("refused: "), f"{kind} {field}={value} seed {seed}: {result}"
                assert f"'{hit['name']}'" in result and " op " in result, result
                checked += 1
    assert checked or family in ("dequantize",)  # every family has a quantized tensor to spoil


@pytest.mark.parametrize("family", ["conv", "depthwise", "fully_connected", "mul", "quantize", "mean"])
@pytest.mark.parametrize("factor", [1e-30, 1e30])
def test_an_output_scale_no_fixed_point_multiplier_holds_is_refused(family, factor):
    """Output scale x 1e30: every multiplier flushes to zero; x 1e-30: a left shift far above 30."""
    def mutate(mb):
        out = _quantized(mb, "activation")[-1]
        mb.tensors[out].scale = (mb.tensors[out].scale * np.float32(factor)).astype(np.float32)

    case = _case(family, 0, mutate)
    result = outcome(case.model, case.inputs)
    assert result.startswith("refused: ") and "requantization multiplier" in result, result


def test_an_add_whose_output_scale_is_too_fine_for_tflite_is_refused():
    def mutate(mb):
        out = _quantized(mb, "activation")[-1]
        mb.tensors[out].scale = (mb.tensors[out].scale * np.float32(1e-7)).astype(np.float32)

    case = _case("add", 0, mutate)
    result = outcome(case.model, case.inputs)
    assert result.startswith("refused: ") and "TFLite's ADD cannot rescale" in result, result


@pytest.mark.parametrize("family", ["conv", "depthwise", "fully_connected"])
def test_a_bias_scale_that_is_not_input_times_filter_scale_is_refused(family):
    biased = 0
    for seed in range(6):
        hit = []

        def mutate(mb):
            for i in _quantized(mb, "bias"):
                mb.tensors[i].scale = (mb.tensors[i].scale * np.float32(1.01)).astype(np.float32)
                hit.append(i)

        case = _case(family, seed, mutate)
        result = outcome(case.model, case.inputs)
        if hit:
            biased += 1
            assert "is not input scale x filter scale" in result, result
        else:
            assert result == "ran", result
    assert biased


@pytest.mark.parametrize("family", ["conv", "depthwise", "fully_connected"])
def test_per_channel_lengths_and_filter_zero_points_are_checked(family):
    def shorter(mb):
        for i in _quantized(mb, "filter"):
            t = mb.tensors[i]
            if t.scale.size > 1:
                t.scale, t.zero_point = t.scale[:-1], t.zero_point[:-1]

    def nonzero(mb):
        for i in _quantized(mb, "filter"):
            mb.tensors[i].zero_point = np.full_like(mb.tensors[i].zero_point, 3)

    for seed in range(6):
        case = _case(family, seed, shorter)
        result = outcome(case.model, case.inputs)
        assert result == "ran" or result.startswith("refused: "), result
        case = _case(family, seed, nonzero)
        result = outcome(case.model, case.inputs)
        per_tensor_fc = family == "fully_connected" and result == "ran"  # FC takes any per-tensor zero point
        assert per_tensor_fc or (result.startswith("refused: ") and "zero point" in result), result


# -- the fuzz: random changes of scales, zero points, lengths and shapes --------------------

FACTORS = [0.0, -1.0, float("nan"), float("inf"), 1e-38, 1e-12, 1e-3, 0.5, 2.0, 1e3, 1e12, 1e38]
FUZZ = settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.timeout(300)
@FUZZ
@given(family=st.sampled_from(FAMILIES), seed=st.integers(0, 3),
       changes=st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(["scale", "zero_point", "length", "shape",
                                                                          "dimension"]),
                                  st.integers(0, len(FACTORS) - 1), st.integers(-300, 300)), min_size=1, max_size=3))
def test_fuzzed_quantization_and_shapes_give_a_clear_error_or_a_model_that_runs(family, seed, changes):
    def mutate(mb):
        for pick, field, factor, value in changes:
            t = mb.tensors[pick % len(mb.tensors)]
            if field == "shape" and t.shape:
                dims = list(t.shape)
                dims[pick % len(dims)] = max(1, dims[pick % len(dims)] + (1 if value >= 0 else -1))
                t.shape = tuple(dims)
            elif field == "dimension":
                t.quantized_dimension = value % 5
            elif t.scale is None:
                continue
            elif field == "scale":
                t.scale = (t.scale.astype(np.float64) * FACTORS[factor]).astype(np.float32)
            elif field == "zero_point":
                t.zero_point = np.full_like(t.zero_point, value)
            elif t.scale.size > 1:  # length
                t.scale, t.zero_point = t.scale[1:], t.zero_point[1:]

    with np.errstate(all="ignore"):
        case = _case(family, seed, mutate)
        outcome(case.model, case.inputs)  # asserts on anything but a clear error or a run
