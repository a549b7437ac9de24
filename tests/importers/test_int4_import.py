"""int4 constant filters (TFLite INT4, issue 14 part 1): packing, import, reference vs litert.

TFLite packs INT4 flat over the tensor, two values per byte, low nibble first; an odd
count leaves the last byte's high nibble spare (``UnpackDenseInt4IntoInt8``). The random
families ``conv_int4``, ``depthwise_int4`` and ``fully_connected_int4`` of
``random_models`` run in ``test_reference_vs_litert.py``; here: the packing itself, odd
channel counts with a spare nibble holding garbage, malformed buffers and where int4 is
refused.
"""

from __future__ import annotations

import numpy as np
import pytest

from litert_run import run_builtin_ref
from tflite_builder import ModelBuilder, add_options, conv2d_options, depthwise_options, fc_options

from mcunet_core.errors import UnsupportedError, UserError
from mcunet_core.importers import import_tflite
from mcunet_core.ir import DType
from mcunet_core.ir.int4 import pack_int4, packed_len, unpack_int4
from mcunet_core.ir.reference import run
from mcunet_core.ir.serialize import load_graph, save_graph
from mcunet_core.ir.stats import graph_stats


def test_packing_is_tflites_low_nibble_first():
    # tensor_utils.h's example: {0x12, 0x34} -> {2, 1, 4, 3}
    assert unpack_int4(bytes([0x12, 0x34]), 4).tolist() == [2, 1, 4, 3]
    assert unpack_int4(bytes([0xF8, 0x7F]), 3).tolist() == [-8, -1, -1]  # the spare nibble 7 is ignored
    v = np.arange(-8, 8).repeat(3)[:-1]
    assert len(pack_int4(v)) == packed_len(v.size) == (v.size + 1) // 2
    assert unpack_int4(pack_int4(v), v.size).tolist() == v.tolist()
    with pytest.raises(ValueError):
        pack_int4([8])


def _single_op(kind: str, rng, *, spare: int = 0, raw: bytes | None = None, odd: bool = True):
    """One CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED with an int4 filter of odd size;
    ``spare`` is written into the spare high nibble, ``raw`` replaces the filter's buffer."""
    mb = ModelBuilder()
    c, oc = (3, 5) if odd else (4, 2)
    in_s = 0.04
    if kind == "fc":
        x = mb.tensor([2, 7 if odd else 8], "int8", scale=in_s, zero_point=-3)
        shape = [oc, 7 if odd else 8]
        wscale = 10 ** rng.uniform(-2, -1, size=oc)
    elif kind == "conv":
        x = mb.tensor([1, 6, 5, c], "int8", scale=in_s, zero_point=-3)
        shape = [oc, 3, 3, c]
        wscale = 10 ** rng.uniform(-2, -1, size=oc)
    else:
        x = mb.tensor([1, 6, 5, oc], "int8", scale=in_s, zero_point=-3)
        shape = [1, 3, 3, oc]
        wscale = 10 ** rng.uniform(-2, -1, size=oc)
    w = rng.integers(-8, 8, size=shape)
    w.reshape(-1)[:2] = (-8, 7)
    packed = bytearray(pack_int4(w))
    if w.size % 2:
        packed[-1] |= (spare & 0xF) << 4
    wt = mb.tensor(shape, "int4", name="w", scale=wscale, zero_point=np.zeros(oc), quantized_dimension=3 if kind == "dw" else 0,
                   raw=bytes(packed) if raw is None else raw)
    bscale = (np.float32(in_s) * wscale.astype(np.float32)).astype(np.float32)
    b = mb.tensor([oc], "int32", scale=bscale, zero_point=np.zeros(oc), data=rng.integers(-500, 500, size=oc))
    if kind == "fc":
        y = mb.tensor([2, oc], "int8", scale=0.03, zero_point=4)
        mb.op("FULLY_CONNECTED", [x, wt, b], [y], *fc_options("RELU"))
    elif kind == "conv":
        y = mb.tensor([1, 6, 5, oc], "int8", scale=0.05, zero_point=4)
        mb.op("CONV_2D", [x, wt, b], [y], *conv2d_options("SAME"))
    else:
        y = mb.tensor([1, 6, 5, oc], "int8", scale=0.03, zero_point=4)
        mb.op("DEPTHWISE_CONV_2D", [x, wt, b], [y], *depthwise_options("SAME"))
    x_in = rng.integers(-128, 128, size=mb.tensors[x].shape).astype(np.int8)
    return mb.finish([x], [y]), x_in, w


@pytest.mark.parametrize("kind", ["conv", "dw", "fc"])
@pytest.mark.parametrize("spare", [0, 0xA])
def test_odd_sizes_with_a_spare_nibble_match_litert(kind, spare):
    rng = np.random.default_rng([ord(kind[0]), spare])
    model, x, w = _single_op(kind, rng, spare=spare)
    assert w.size % 2 == 1
    graph = import_tflite(model)
    filt = graph.tensors["w"]
    assert filt.dtype is DType.INT4 and filt.nbytes == (w.size + 1) // 2
    assert np.array_equal(filt.data, w)
    (got,) = run(graph, [x]).values()
    (expected,) = run_builtin_ref(model, [x])
    assert np.array_equal(got, expected)
    assert len(np.unique(expected)) > 4  # not all saturated


@pytest.mark.parametrize("kind", ["conv", "dw", "fc"])
def test_even_sizes_match_litert(kind):
    model, x, w = _single_op(kind, np.random.default_rng(7), odd=False)
    assert w.size % 2 == 0
    (got,) = run(import_tflite(model), [x]).values()
    assert np.array_equal(got, run_builtin_ref(model, [x])[0])


@pytest.mark.parametrize("kind, opname", [("conv", "CONV_2D"), ("dw", "DEPTHWISE_CONV_2D"), ("fc", "FULLY_CONNECTED")])
@pytest.mark.parametrize("delta", [-1, 1])
def test_wrong_packed_length_names_op_tensor_and_file(tmp_path, kind, opname, delta):
    rng = np.random.default_rng(3)
    _, _, w = _single_op(kind, rng)
    bad = pack_int4(w) + b"\0" if delta > 0 else pack_int4(w)[:-1]
    model, _, _ = _single_op(kind, np.random.default_rng(3), raw=bad)
    path = tmp_path / "bad_int4.tflite"
    path.write_bytes(model)
    with pytest.raises(UserError) as e:
        import_tflite(path)
    msg = str(e.value)
    assert type(e.value) is UserError
    assert msg.startswith(f"{path}: op 0 ({opname}): int4 tensor 1 ('w')"), msg
    assert f"buffer holds {len(bad)} bytes" in msg and f"needs {(w.size + 1) // 2}" in msg
    assert "\n" not in msg and "Traceback" not in msg


def test_int4_outside_a_filter_is_refused():
    mb = ModelBuilder()
    x = mb.tensor([1, 4], "int8", scale=0.1, zero_point=0)
    c = mb.tensor([1, 4], "int4", scale=0.1, zero_point=0, data=[1, 2, 3, -4])
    y = mb.tensor([1, 4], "int8", scale=0.2, zero_point=0)
    mb.op("ADD", [x, c], [y], *add_options())
    with pytest.raises(UnsupportedError, match=r"op 0 \(ADD\): tensor 't1' is int4"):
        import_tflite(mb.finish([x], [y]))


def test_int4_filter_zero_point_must_be_zero():
    rng = np.random.default_rng(5)
    mb = ModelBuilder()
    x = mb.tensor([1, 6], "int8", scale=0.05, zero_point=0)
    wt = mb.tensor([3, 6], "int4", name="w", scale=0.02, zero_point=1, data=rng.integers(-8, 8, size=(3, 6)))
    y = mb.tensor([1, 3], "int8", scale=0.1, zero_point=0)
    mb.op("FULLY_CONNECTED", [x, wt], [y], *fc_options())
    with pytest.raises(UserError, match=r"op 0 \(FULLY_CONNECTED\): filter 'w' has zero point 1"):
        import_tflite(mb.finish([x], [y]))


def test_int4_graph_round_trips_packed(tmp_path):
    model, x, w = _single_op("conv", np.random.default_rng(11))
    graph = import_tflite(model)
    save_graph(graph, tmp_path)
    with np.load(tmp_path / "weights.npz") as npz:
        sizes = sorted(a.size for a in npz.values())
    assert (w.size + 1) // 2 in sizes  # stored packed
    back = load_graph(tmp_path)
    assert back == graph and back.tensors["w"].dtype is DType.INT4
    out = graph.outputs[0]
    assert np.array_equal(run(back, [x])[out], run(graph, [x])[out])
    stats = graph_stats(graph)
    assert stats.total_param_bytes == (w.size + 1) // 2 + 4 * 5  # packed filter + int32 bias
