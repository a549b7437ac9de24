"""Where training runs: device=auto|cpu|cuda resolved on this machine, mixed precision on cuda
only, and the training loop on the device it is given (here: the CPU, through the same code)."""

import pytest
import torch

from conftest import tiny_space
from mcunet_core.errors import UserError
from mcunet_core.train.compute import CPU, Compute, device_of
from mcunet_core.train.net import ArchNet
from mcunet_core.train.train import SubnetEvaluator, TrainSettings, evaluate, train_net

no_gpu = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")


def test_auto_is_cuda_only_where_torch_sees_one():
    want = "cuda" if torch.cuda.is_available() else "cpu"
    assert Compute.resolve("auto") == Compute(want) and Compute.resolve("cpu") == CPU
    assert CPU.identity() == "cpu" and Compute("cuda", True).identity() == "cuda amp"


@no_gpu
def test_cuda_without_a_gpu_is_one_line_for_the_user():
    with pytest.raises(UserError) as err:
        Compute.resolve("cuda")
    assert len(err.value.messages) == 1
    assert err.value.messages[0].startswith("device=cuda: torch sees no CUDA GPU here")
    with pytest.raises(UserError, match="amp=on: mixed precision runs on cuda only"):
        Compute.resolve("cpu", amp=True)
    with pytest.raises(UserError, match="device=tpu: not valid"):
        Compute.resolve("tpu")


def test_cpu_compute_trains_the_same_weights_as_the_default(kws_data):
    train, val, _ = kws_data
    part = torch.utils.data.Subset(train, range(32))
    settings = TrainSettings(epochs=1, batch_size=16)
    a, b = ArchNet(tiny_space("kws").smallest(), seed=1), ArchNet(tiny_space("kws").smallest(), seed=1)
    train_net(a, part, settings, progress=False)
    train_net(b, part, settings, progress=False, compute=Compute.resolve("cpu"))
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    assert device_of(b) == torch.device("cpu") and 0 <= evaluate(b, val) <= 1


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("amp", [False, True])
def test_training_and_evaluation_run_on_cuda(kws_data, amp):
    from mcunet_core.train.supernet import Supernet
    from mcunet_core.train.train import train_supernet

    train, val, _ = kws_data
    part = torch.utils.data.Subset(train, range(64))
    compute = Compute.resolve("cuda", amp)
    net = ArchNet(tiny_space("kws").smallest(), seed=1)
    history = train_net(net, part, TrainSettings(epochs=1, batch_size=16), progress=False, compute=compute,
                        val_data=val)
    assert device_of(net).type == "cuda" and history[0]["loss"] == history[0]["loss"]  # not NaN
    supernet = Supernet(tiny_space("kws"))
    train_supernet(supernet, part, TrainSettings(epochs=1, batch_size=16, sandwich=3), progress=False,
                   compute=compute)
    fitness = SubnetEvaluator(supernet, part, val, bn_batches=2)
    assert 0 <= fitness(tiny_space("kws").smallest()) <= 1
