"""The reference interpreter's API: inputs, intermediates, callbacks, errors."""

from __future__ import annotations

import numpy as np
import pytest

from ir_samples import every_op_graph

from mcunet_core.errors import UserError
from mcunet_core.ir import Graph, Tensor
from mcunet_core.ir import ops as O
from mcunet_core.ir.graph import GraphError
from mcunet_core.ir.reference import KERNELS, run


def _x(seed=0):
    return np.random.default_rng(seed).normal(size=(1, 8, 8, 3)).astype(np.float32)


def test_inputs_as_dict_list_or_array_agree():
    g = every_op_graph()
    x = _x()
    a, b, c = run(g, {"image": x}), run(g, [x]), run(g, x)
    assert list(a) == g.outputs
    for k in a:
        assert np.array_equal(a[k], b[k]) and np.array_equal(a[k], c[k])
    assert a["probs"].dtype == np.float32 and a["probs"].shape == (5,)


def test_keep_all_and_callback_see_every_activation():
    g = every_op_graph()
    seen = []
    every = run(g, _x(), keep_all=True, callback=lambda i, op, out: seen.append((i, op.OPCODE, sorted(out))))
    assert [s[0] for s in seen] == list(range(len(g.ops)))
    produced = {n for op in g.ops for n in op.outputs}
    assert set(every) == produced | {"image"}
    for i, op in enumerate(g.ops):
        for n in op.outputs:
            t = g.tensors[n]
            assert every[n].shape == t.shape and every[n].dtype == t.dtype.numpy


def test_input_errors_are_user_errors():
    g = every_op_graph()
    with pytest.raises(UserError, match="expected shape"):
        run(g, np.zeros((1, 7, 8, 3), np.float32))
    with pytest.raises(UserError, match="missing"):
        run(g, {"other": _x()})
    with pytest.raises(UserError, match="1 inputs, 2 given"):
        run(g, [_x(), _x()])
    gi = Graph("int8_in", inputs=["x"], outputs=["x"])
    gi.add_tensor(Tensor("x", (2,), "int8"))
    with pytest.raises(UserError, match="outside the int8 range"):
        run(gi, np.array([0, 300]))
    with pytest.raises(UserError, match="expected int8 values"):
        run(gi, np.array([0.5, 1.0]))


def test_conv_without_bias_equals_zero_bias():
    g = every_op_graph()
    conv = next(op for op in g.ops if isinstance(op, O.Conv2D))
    x = _x(3)
    with_zero = every_op_graph()
    with_zero.tensors["b"].data = np.zeros(4, np.int32)
    conv.inputs = (conv.inputs[0], conv.inputs[1], "")
    a = run(g, x, keep_all=True)["c1"]
    b = run(with_zero, x, keep_all=True)["c1"]
    assert np.array_equal(a, b)


def test_inconsistent_graphs_raise_graph_errors():
    g = every_op_graph()
    g.tensors["c1"].shape = (1, 5, 5, 4)
    with pytest.raises(GraphError, match="CONV_2D"):
        run(g, _x())


def test_registry_covers_every_op_class():
    assert set(KERNELS) == set(O.OP_CLASSES.values())
