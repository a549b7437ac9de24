"""Fuzzing the importer: corrupt, truncated or random files give UserError, never a crash or a hang.

Mutations of a small valid model that exercises most converters (bit flips,
byte overwrites, truncation, random bytes behind a valid identifier). Any
outcome but a validated Graph or a UserError fails the test.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from random_models import gen_chain, gen_concat, gen_transpose

from mcunet_core.errors import UserError
from mcunet_core.importers import import_tflite
from mcunet_core.ir.graph import Graph

BASES = [
    gen_chain(np.random.default_rng(11)).model,
    gen_concat(np.random.default_rng(12)).model,
    gen_transpose(np.random.default_rng(13)).model,
]
FUZZ = settings(max_examples=250, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def _import_ok_or_user_error(data: bytes) -> None:
    try:
        g = import_tflite(data)
    except UserError as e:
        assert str(e).strip(), "empty error message"
        return
    assert isinstance(g, Graph)
    g.validate()


@pytest.mark.timeout(300)
@FUZZ
@given(base=st.sampled_from(range(len(BASES))), flips=st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 7)),
                                                                min_size=1, max_size=8))
def test_bit_flips(base, flips):
    data = bytearray(BASES[base])
    for pos, bit in flips:
        data[pos % len(data)] ^= 1 << bit
    _import_ok_or_user_error(bytes(data))


@pytest.mark.timeout(300)
@FUZZ
@given(base=st.sampled_from(range(len(BASES))), pos=st.integers(0, 10**9), value=st.binary(min_size=1, max_size=8))
def test_byte_overwrites(base, pos, value):
    data = bytearray(BASES[base])
    start = pos % len(data)
    data[start:start + len(value)] = value
    _import_ok_or_user_error(bytes(data))


@pytest.mark.timeout(300)
@FUZZ
@given(base=st.sampled_from(range(len(BASES))), cut=st.integers(0, 10**9))
def test_truncation(base, cut):
    data = BASES[base]
    with pytest.raises(UserError):
        import_tflite(data[: cut % len(data)])


@pytest.mark.timeout(300)
@FUZZ
@given(body=st.binary(min_size=0, max_size=2048), prefix=st.binary(min_size=4, max_size=4))
def test_random_bytes(body, prefix):
    _import_ok_or_user_error(prefix + b"TFL3" + body)
    _import_ok_or_user_error(body)
