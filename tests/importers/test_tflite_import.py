"""TFLite importer: what real models contain, and clear errors for what it cannot take."""

from __future__ import annotations

import numpy as np
import pytest

from litert_run import run_builtin_ref
from random_models import gen_chain, gen_conv_pad
from tflite_builder import (
    ModelBuilder,
    conv2d_options,
    depthwise_options,
    empty_options,
    fc_options,
    softmax_options,
)

from mcunet_core.errors import UnsupportedError, UserError
from mcunet_core.importers import import_tflite
from mcunet_core.ir.ops import Conv2D, DepthwiseConv2D, Dequantize, Pad, Padding2D, Quantize
from mcunet_core.ir.reference import run
from mcunet_core.ir.tensor import DType


def _conv_model(bias_qdim: int = 0, extra_opcodes=(), act="RELU", with_pad=None, seed=0):
    rng = np.random.default_rng(seed)
    mb = ModelBuilder()
    for code in extra_opcodes:
        mb.opcode(code)
    x = mb.tensor([1, 6, 6, 3], "int8", scale=0.05, zero_point=-7, name="x")
    conv_in = x
    if with_pad is not None:
        shape = [1, 6 + sum(with_pad[1]), 6 + sum(with_pad[2]), 3 + sum(with_pad[3])]
        conv_in = mb.tensor(shape, "int8", scale=0.05, zero_point=-7, name="padded")
        p = mb.tensor([4, 2], "int32", data=np.array(with_pad))
        mb.op("PAD", [x, p], [conv_in], *empty_options("PadOptions"))
    cin = mb.tensors[conv_in].shape[3]
    ws = rng.uniform(0.005, 0.02, size=4)
    w = mb.tensor([4, 3, 3, cin], "int8", scale=ws, zero_point=np.zeros(4), data=rng.integers(-127, 128, (4, 3, 3, cin)))
    b = mb.tensor([4], "int32", scale=(np.float32(0.05) * ws.astype(np.float32)), zero_point=np.zeros(4),
                  quantized_dimension=bias_qdim, data=rng.integers(-500, 500, 4))
    hw = mb.tensors[conv_in].shape[1:3]
    y = mb.tensor([1, *hw, 4], "int8", scale=0.08, zero_point=3, name="y")
    mb.op("CONV_2D", [conv_in, w, b], [y], *conv2d_options("SAME", (1, 1), (1, 1), act))
    return mb, x, y


def test_unused_opcode_table_entries_are_ignored():
    mb, x, y = _conv_model(extra_opcodes=("TANH", "LSTM", "CUSTOM"))
    g = import_tflite(mb.finish([x], [y]))
    assert [type(op) for op in g.ops] == [Conv2D]


def test_bias_with_quantized_dimension_3_is_accepted():
    """Old converters wrote quantized_dimension 3 on 1-D per-channel biases (TFLite 2.x refuses them)."""
    mb_ok, x, y = _conv_model(bias_qdim=0)
    mb_old, _, _ = _conv_model(bias_qdim=3)
    good, old = mb_ok.finish([x], [y]), mb_old.finish([x], [y])
    with pytest.raises(Exception):
        run_builtin_ref(old, [np.zeros((1, 6, 6, 3), np.int8)])  # litert rejects the old file
    g_old, g_ok = import_tflite(old), import_tflite(good)
    bias = g_old.ops[0].inputs[2]
    assert g_old.tensors[bias].quant.axis == 0
    x_in = np.random.default_rng(1).integers(-128, 128, (1, 6, 6, 3)).astype(np.int8)
    expected = run_builtin_ref(good, [x_in])[0]
    assert np.array_equal(list(run(g_old, x_in).values())[0], expected)
    assert np.array_equal(list(run(g_ok, x_in).values())[0], expected)


def test_float_io_with_quantize_dequantize_edges():
    case = gen_chain(np.random.default_rng(7))
    g = import_tflite(case.model)
    assert g.tensors[g.inputs[0]].dtype is DType.FLOAT32
    assert g.tensors[g.outputs[0]].dtype is DType.FLOAT32
    assert isinstance(g.ops[0], Quantize) and isinstance(g.ops[-1], Dequantize)
    expected = run_builtin_ref(case.model, case.inputs)[0]
    got = run(g, case.inputs)[g.outputs[0]]
    assert got.dtype == np.float32 and np.array_equal(got, expected)


def test_pad_before_conv_is_folded_into_explicit_padding():
    pads = [[0, 0], [1, 2], [0, 1], [0, 0]]
    mb, x, y = _conv_model(with_pad=pads)
    data = mb.finish([x], [y])
    g = import_tflite(data)
    assert len(g.ops) == 1 and isinstance(g.ops[0], Conv2D)
    same = Padding2D.same((9, 7), (3, 3), (1, 1))
    assert g.ops[0].padding == Padding2D(same.top + 1, same.bottom + 2, same.left, same.right + 1)
    assert g.ops[0].inputs[0] == "x" and "padded" not in g.tensors
    assert g.meta["op_index"] == [[0, 1]]
    x_in = np.random.default_rng(2).integers(-128, 128, (1, 6, 6, 3)).astype(np.int8)
    assert np.array_equal(list(run(g, x_in).values())[0], run_builtin_ref(data, [x_in])[0])


def test_pad_is_kept_where_folding_would_not_be_exact():
    mb, x, y = _conv_model(with_pad=[[0, 0], [1, 1], [1, 1], [0, 2]])  # pads channels too
    g = import_tflite(mb.finish([x], [y]))
    assert [type(op) for op in g.ops] == [Pad, Conv2D]
    # A PAD whose output is also a graph output stays a PAD.
    mb, x, y = _conv_model(with_pad=[[0, 0], [1, 1], [1, 1], [0, 0]])
    padded = [i for i, t in enumerate(mb.tensors) if t.name == "padded"][0]
    g = import_tflite(mb.finish([x], [y, padded]))
    assert [type(op) for op in g.ops] == [Pad, Conv2D]
    # fold_pad=False keeps every PAD.
    mb, x, y = _conv_model(with_pad=[[0, 0], [1, 1], [1, 1], [0, 0]])
    assert isinstance(import_tflite(mb.finish([x], [y]), fold_pad=False).ops[0], Pad)


def test_folded_and_unfolded_pads_compute_the_same():
    for seed in range(5):
        case = gen_conv_pad(np.random.default_rng(seed))
        a = import_tflite(case.model)
        b = import_tflite(case.model, fold_pad=False)
        assert len(a.ops) == 1 and len(b.ops) == 2
        assert np.array_equal(list(run(a, case.inputs).values())[0], list(run(b, case.inputs).values())[0])


def test_same_and_valid_become_explicit_padding():
    mb = ModelBuilder()
    x = mb.tensor([1, 7, 8, 2], "int8", scale=0.1, zero_point=0)
    w = mb.tensor([1, 3, 4, 2], "int8", scale=[0.01, 0.02], zero_point=[0, 0], quantized_dimension=3,
                  data=np.ones((1, 3, 4, 2)))
    y = mb.tensor([1, 4, 3, 2], "int8", scale=0.1, zero_point=0)
    y2 = mb.tensor([1, 5, 3, 2], "int8", scale=0.1, zero_point=0)
    mb.op("DEPTHWISE_CONV_2D", [x, w], [y], *depthwise_options("SAME", (2, 3)))
    mb.op("DEPTHWISE_CONV_2D", [x, w], [y2], *depthwise_options("VALID", (1, 2)))
    g = import_tflite(mb.finish([x], [y, y2]))
    assert g.ops[0].padding == Padding2D.same((7, 8), (3, 4), (2, 3)) == Padding2D(1, 1, 1, 1)
    assert g.ops[1].padding == Padding2D()
    assert all(isinstance(op, DepthwiseConv2D) for op in g.ops)


def _single_op_model(opname, act=None):
    mb = ModelBuilder()
    x = mb.tensor([1, 4, 4, 2], "int8", scale=0.1, zero_point=1, name="in")
    y = mb.tensor([1, 4, 4, 2], "int8", scale=0.1, zero_point=1, name="out")
    mb.op(opname, [x], [y])
    return mb.finish([x], [y])


def test_unsupported_op_names_op_index_and_shapes():
    mb = ModelBuilder()
    x = mb.tensor([1, 4, 4, 2], "int8", scale=0.1, zero_point=1)
    h = mb.tensor([1, 4, 4, 2], "int8", scale=0.1, zero_point=1)
    y = mb.tensor([1, 4, 4, 2], "int8", scale=0.1, zero_point=1)
    mb.op("HARD_SWISH", [x], [h])
    mb.op("TANH", [h], [y])
    with pytest.raises(UnsupportedError) as err:
        import_tflite(mb.finish([x], [y]))
    msg = str(err.value)
    assert "op 1 (TANH)" in msg and "[1, 4, 4, 2]" in msg and "not supported" in msg
    assert not isinstance(err.value, NotImplementedError)


def test_unsupported_fused_activation_and_types():
    mb, x, y = _conv_model(act="TANH")
    with pytest.raises(UnsupportedError, match=r"op 0 \(CONV_2D\): fused activation TANH"):
        import_tflite(mb.finish([x], [y]))
    mb = ModelBuilder()
    x = mb.tensor([1, 8], "uint8", scale=0.1, zero_point=128)
    y = mb.tensor([1, 8], "uint8", scale=1 / 256, zero_point=0)
    mb.op("SOFTMAX", [x], [y], *softmax_options())
    with pytest.raises(UnsupportedError, match=r"op 0 \(SOFTMAX\).*uint8.*inputs \(\[1, 8\]\) -> outputs \(\[1, 8\]\)"):
        import_tflite(mb.finish([x], [y]))


def test_unsupported_shape_is_reported():
    mb = ModelBuilder()
    x = mb.tensor([1, 4], "int8", scale=0.1, zero_point=0)
    w = mb.tensor([3, 4], "int8", scale=0.1, zero_point=0, data=np.ones((3, 4)))
    y = mb.tensor([1, 5], "int8", scale=0.1, zero_point=0)
    mb.op("FULLY_CONNECTED", [x, w], [y], *fc_options())
    with pytest.raises(UnsupportedError, match=r"op 0 \(FULLY_CONNECTED\): output shape \(1, 5\); expected \(1, 3\)"):
        import_tflite(mb.finish([x], [y]))


def test_custom_op_is_unsupported():
    mb = ModelBuilder()
    x = mb.tensor([2], "int8", scale=1.0, zero_point=0)
    y = mb.tensor([2], "int8", scale=1.0, zero_point=0)
    mb.op("CUSTOM", [x], [y])
    with pytest.raises(UnsupportedError, match=r"op 0 \(CUSTOM:\?\).*custom"):
        import_tflite(mb.finish([x], [y]))


def test_user_errors_for_unreadable_and_foreign_files(tmp_path):
    with pytest.raises(UserError, match="cannot read model"):
        import_tflite(tmp_path / "missing.tflite")
    with pytest.raises(UserError, match="TFL3"):
        import_tflite(b"definitely not a flatbuffer")
    mb, x, y = _conv_model()
    data = mb.finish([x], [y])
    for cut in (9, 40, len(data) // 2, len(data) - 1):
        with pytest.raises(UserError):
            import_tflite(data[:cut])


def test_meta_maps_ir_names_to_tflite_indices():
    mb, x, y = _conv_model()
    g = import_tflite(mb.finish([x], [y]))
    assert g.meta["tensor_index"]["x"] == x and g.meta["tensor_index"]["y"] == y
    assert len(g.meta["source_sha256"]) == 64
