"""The one-shot supernet: extracted subnets compute exactly what the supernet computes with
that architecture active, and every subnet's weights are slices of one shared set."""

import numpy as np
import pytest
import torch

from conftest import tiny_space
from mcunet_core.errors import UserError
from mcunet_core.train.net import ArchNet
from mcunet_core.train.supernet import Supernet


@pytest.fixture(scope="module")
def space():
    return tiny_space("vww", 0.2, 32)


@pytest.fixture
def supernet(space):
    torch.manual_seed(0)
    s = Supernet(space)
    s.train()
    rng = np.random.default_rng(0)
    with torch.no_grad():  # move the BN statistics away from their initial values
        for _ in range(3):
            for arch in (space.largest(), space.smallest(), space.sample(rng)):
                s.set_active(arch)
                s(torch.randn(8, 3, 32, 32))
    return s


def test_extracted_subnet_computes_what_the_supernet_computes(space, supernet):
    supernet.eval()
    x = torch.randn(4, 3, 32, 32)
    rng = np.random.default_rng(1)
    for arch in [space.largest(), space.smallest()] + [space.sample(rng) for _ in range(4)]:
        supernet.set_active(arch)
        with torch.no_grad():
            expected = supernet(x)
            got = supernet.extract(arch).eval()(x)
        assert torch.equal(got, expected), arch


def test_parameters_are_those_of_the_largest_subnet(space, supernet):
    largest = ArchNet(space.largest())
    assert sum(p.numel() for p in supernet.parameters()) == sum(p.numel() for p in largest.parameters())


def test_training_one_subnet_moves_the_weights_every_subnet_shares(space, supernet):
    small, large = space.smallest(), space.largest()
    with torch.no_grad():  # past its first steps: residual branches no longer start at zero
        for m in supernet.modules():
            if hasattr(m, "residual_bn") and m.residual_bn() is not None:
                m.residual_bn().weight.fill_(1.0)
    before = supernet.extract(large)
    supernet.set_active(small)
    opt = torch.optim.SGD(supernet.parameters(), lr=0.1)
    supernet(torch.randn(8, 3, 32, 32)).sum().backward()
    opt.step()
    after = supernet.extract(large)

    # block 1 = the first searchable block: 3x3 kernel (centre of the 7x7), expand 3 (of 6)
    hidden = small.blocks[1].hidden
    w0, w1 = before.blocks[1].dw.conv.weight, after.blocks[1].dw.conv.weight
    assert not torch.equal(w0[:hidden, :, 2:5, 2:5], w1[:hidden, :, 2:5, 2:5])  # shared: moved
    assert torch.equal(w0[hidden:], w1[hidden:])  # channels the small subnet lacks: untouched
    ring = torch.ones(7, 7, dtype=torch.bool)
    ring[2:5, 2:5] = False
    assert torch.equal(w0[:, :, ring], w1[:, :, ring])  # outside the 3x3 centre: untouched
    e0, e1 = before.blocks[1].expand.conv.weight, after.blocks[1].expand.conv.weight
    assert not torch.equal(e0[:hidden], e1[:hidden]) and torch.equal(e0[hidden:], e1[hidden:])
    # depth: the smallest subnet has 2 blocks per stage, so the 3rd and 4th of stage 0 did not move
    assert torch.equal(before.blocks[3].dw.conv.weight, after.blocks[3].dw.conv.weight)
    assert not torch.equal(before.blocks[2].dw.conv.weight, after.blocks[2].dw.conv.weight)


def test_bn_statistics_of_a_subnet_update_the_shared_buffers_in_place(space, supernet):
    small = space.smallest()
    bn = supernet.stages[0][0].expand.bn
    mean = bn.running_mean.clone()
    supernet.set_active(small)
    with torch.no_grad():
        supernet(torch.randn(8, 3, 32, 32) + 3.0)
    hidden = small.blocks[1].hidden
    assert not torch.equal(bn.running_mean[:hidden], mean[:hidden])
    assert torch.equal(bn.running_mean[hidden:], mean[hidden:])


def test_an_architecture_outside_the_space_is_refused(space, supernet):
    other = tiny_space("vww", 0.5, 32).smallest()
    with pytest.raises(UserError, match="not in search space"):
        supernet.set_active(other)


def test_initial_weights_follow_the_seed_not_torchs_global_generator(space):
    """torch seeds its global generator differently in every process: a build that trains
    must still start from the same weights every time."""
    def weights(make, global_seed):
        torch.manual_seed(global_seed)
        return [t.clone() for t in make().state_dict().values()]

    for make in (lambda: Supernet(space, seed=3), lambda: ArchNet(space.smallest(), seed=3)):
        a, b = weights(make, 1), weights(make, 2)
        assert all(torch.equal(x, y) for x, y in zip(a, b))
    other = [t for t in Supernet(space, seed=4).state_dict().values()]
    assert not all(torch.equal(x, y) for x, y in zip(weights(lambda: Supernet(space, seed=3), 1), other))
