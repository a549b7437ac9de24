"""Graph container helpers."""

import numpy as np

from ir_samples import every_op_graph
from mcunet_core.ir import ops as O
from mcunet_core.ir.reference import run as reference_run


def test_op_graph_is_the_op_alone_and_runs_like_it():
    g = every_op_graph()
    conv = next(i for i, op in enumerate(g.ops) if isinstance(op, O.Conv2D))
    sub = g.op_graph(conv)
    op = g.ops[conv]
    assert sub.ops == [op] and sub.inputs == [op.inputs[0]] and sub.outputs == [op.outputs[0]]
    assert set(sub.tensors) == {n for n in (*op.inputs, *op.outputs) if n}
    sub.validate()
    x = np.random.default_rng(1).integers(-128, 128, g.tensors[op.inputs[0]].shape, dtype=np.int8)
    assert reference_run(sub, [x])[op.outputs[0]].shape == g.tensors[op.outputs[0]].shape
    # the tensors are copies: changing one in the cut-out leaves the model alone
    sub.tensors[op.outputs[0]].shape = (1,)
    assert g.tensors[op.outputs[0]].shape != (1,)


def test_op_graph_of_an_op_reading_one_tensor_twice():
    g = every_op_graph()
    x = g.inputs[0]
    y = "twice"
    g.add_tensor(type(g.tensors[x])(y, g.tensors[x].shape, g.tensors[x].dtype, g.tensors[x].quant))
    g.ops.append(O.Add((x, x), (y,)))
    sub = g.op_graph(len(g.ops) - 1)
    assert set(sub.tensors) == {x, y}
