"""The float networks (ArchNet, DsCnnNet) are arch_to_graph's: the same layers, names, shapes and SAME padding."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import tiny_space
from mcunet_core.arch import Arch, arch_from_spec, arch_to_graph
from mcunet_core.ir import Activation
from mcunet_core.ir import ops as O
from mcunet_core.spec import load_model, load_task
from mcunet_core.train import build_net
from mcunet_core.train.net import ArchNet, ConvBNAct, DsCnnNet, activate, same_pad
from mcunet_core.train.supernet import Supernet


def _archs():
    spec = load_model("mcunet-vww-80")
    task = load_task(spec.task)
    yield Arch.from_spec(spec.architecture, (45, 45, 3), task.classes, "odd-input")
    yield Arch.from_spec({**spec.architecture, "head": {"channels": 64, "pool": "avg", "dropout": 0.0}},
                         (33, 40, 3), task.classes, "head")
    space = tiny_space("kws")
    yield space.sample(np.random.default_rng(3))
    dscnn = load_model("dscnn-kws")
    yield arch_from_spec(dscnn.architecture, (49, 10, 1), 12, "dscnn-kws")
    yield arch_from_spec({**dscnn.architecture, "stem": {"channels": 8, "kernel": [5, 3], "stride": 2},
                          "blocks": {"channels": [16, 8], "depth": 2, "kernel": 5}}, (20, 9, 2), 4, "dscnn-odd")


@pytest.mark.parametrize("arch", list(_archs()), ids=lambda a: a.name)
def test_layers_names_and_shapes_match_the_ir(arch):
    graph = arch_to_graph(arch)
    net = build_net(arch).eval()
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


def test_same_padding_of_a_rectangular_kernel_is_the_irs():
    """The DS-CNN stem, 10x4 stride 2 on 49x10: 4 rows before, 5 after, one column either side."""
    x = torch.zeros(1, 1, 49, 10)
    assert same_pad(x, (10, 4), 2).shape == (1, 1, 58, 12)
    net = ConvBNAct("stem", 1, 4, (10, 4), 2, False, Activation.RELU)
    assert net.conv.kernel_size == (10, 4) and net(x).shape == (1, 4, 25, 5)


def test_relu_has_no_upper_clamp_and_relu6_has():
    x = torch.tensor([-1.0, 3.0, 9.0])
    assert activate(x, Activation.RELU).tolist() == [0.0, 3.0, 9.0]
    assert activate(x, Activation.RELU6).tolist() == [0.0, 3.0, 6.0]
    assert activate(x, Activation.NONE).tolist() == [-1.0, 3.0, 9.0]
    with pytest.raises(ValueError, match="RELU_N1_TO_1"):
        activate(x, Activation.RELU_N1_TO_1)


def test_build_net_picks_the_familys_network():
    kws = load_model("dscnn-kws")
    dscnn = arch_from_spec(kws.architecture, (49, 10, 1), 12, "dscnn-kws")
    mbv2 = tiny_space("kws").smallest()
    assert type(build_net(mbv2)) is ArchNet and type(build_net(dscnn)) is DsCnnNet
    net = build_net(dscnn, seed=1)
    assert net.arch is dscnn and net.dropout.p == 0.4
    assert torch.equal(net.stem.conv.weight, build_net(dscnn, seed=1).stem.conv.weight)
    assert not torch.equal(net.stem.conv.weight, build_net(dscnn, seed=2).stem.conv.weight)
    assert net.eval()(torch.zeros(3, 1, 49, 10)).shape == (3, 12)
    assert list(net.ir_layers()) == ["stem", *[f"b{i}.{k}" for i in range(4) for k in ("dw", "pw")], "fc"]
    assert {m.activation for m in net.ir_layers().values() if isinstance(m, ConvBNAct)} == {Activation.RELU}
    # dropout acts on the pooled features, and the classifier reads what it drops
    seen = {}
    hooks = [net.dropout.register_forward_hook(lambda m, args, out: seen.update(dropped=out, pooled=args[0])),
             net.fc.register_forward_pre_hook(lambda m, args: seen.update(fc=args[0]))]
    net.train()(torch.randn(2, 1, 49, 10))
    for h in hooks:
        h.remove()
    assert seen["pooled"].shape == (2, 64) and seen["fc"] is seen["dropped"]
