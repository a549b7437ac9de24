"""ArchNet is arch_to_graph's network: the same layers, names, shapes and SAME padding."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import tiny_space
from mcunet_core.arch import Arch, arch_to_graph
from mcunet_core.ir import ops as O
from mcunet_core.spec import load_model, load_task
from mcunet_core.train.net import ArchNet, ConvBNAct, same_pad
from mcunet_core.train.supernet import Supernet


def _archs():
    spec = load_model("mcunet-vww-80")
    task = load_task(spec.task)
    yield Arch.from_spec(spec.architecture, (45, 45, 3), task.classes, "odd-input")
    yield Arch.from_spec({**spec.architecture, "head": {"channels": 64, "pool": "avg", "dropout": 0.0}},
                         (33, 40, 3), task.classes, "head")
    space = tiny_space("kws")
    yield space.sample(np.random.default_rng(3))


@pytest.mark.parametrize("arch", list(_archs()), ids=lambda a: a.name)
def test_layers_names_and_shapes_match_the_ir(arch):
    graph = arch_to_graph(arch)
    net = ArchNet(arch).eval()
    ir_layers = {op.inputs[1].split(":")[0] for op in graph.ops
                 if isinstance(op, (O.Conv2D, O.DepthwiseConv2D, O.FullyConnected))}
    ir_adds = {op.outputs[0].split(":")[0] for op in graph.ops if isinstance(op, O.Add)}
    assert set(net.ir_layers()) == ir_layers | ir_adds

    shapes = {}
    hooks = [m.register_forward_hook(lambda mod, a, out, name=name: shapes.__setitem__(name, tuple(out.shape)))
             for name, m in net.ir_layers().items()]
    with torch.no_grad():
        net(torch.zeros(1, arch.input_shape[2], *arch.input_shape[:2]))
    for h in hooks:
        h.remove()
    for name, shape in shapes.items():
        ir = graph.tensors[f"{name}:out"].shape
        assert shape == ((ir[0], ir[3], ir[1], ir[2]) if len(ir) == 4 else ir), name

    convs = [m for m in net.modules() if isinstance(m, ConvBNAct)]
    weights = sum(m.conv.weight.numel() for m in convs) + net.fc.weight.numel()
    biases = sum(m.bn.bias.numel() for m in convs) + net.fc.bias.numel()  # each BN folds into one bias
    assert weights + biases == arch.params()


def test_same_padding_puts_the_odd_row_after():
    """TFLite SAME, 4x4 input, 3x3 stride 2: pad 0 before, 1 after (not 1 and 1 as torch's padding=1)."""
    x = torch.arange(16, dtype=torch.float32).reshape(1, 1, 4, 4)
    padded = same_pad(x, 3, 2)
    assert padded.shape == (1, 1, 5, 5)
    y = F.conv2d(padded, torch.ones(1, 1, 3, 3), stride=2)
    assert y[0, 0, 0, 0] == x[0, 0, 0:3, 0:3].sum()
    assert y[0, 0, 1, 1] == x[0, 0, 2:4, 2:4].sum()
    assert same_pad(x, 3, 1).shape == (1, 1, 6, 6)
    assert same_pad(torch.zeros(1, 1, 5, 5), 3, 2).shape == (1, 1, 7, 7)  # odd input: 1 and 1


def test_residual_branches_start_at_zero_so_deep_networks_start_as_their_shortcuts():
    space = tiny_space("vww")
    for net in (ArchNet(space.largest()), Supernet(space)):
        closing = [m.residual_bn() for m in net.modules() if hasattr(m, "residual_bn")]
        closing = [bn for bn in closing if bn is not None]
        assert closing and all(torch.count_nonzero(bn.weight) == 0 for bn in closing)
        others = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d) and all(m is not bn for bn in closing)]
        assert others and all(torch.all(m.weight == 1) for m in others)
