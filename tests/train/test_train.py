"""Training loops: reproducible from the seed, resumable from checkpoints exactly, BN
re-estimation, and the search's fitness callback."""

import numpy as np
import pytest
import torch

from conftest import embedded_task, tiny_space
from mcunet_core.errors import UserError
from mcunet_core.spec import load_task
from mcunet_core.train.data import make_dataset
from mcunet_core.train.net import ArchNet
from mcunet_core.train.supernet import Supernet
from mcunet_core.train.train import (SubnetEvaluator, TrainSettings, _criterion, evaluate, recalibrate_bn, standard_error,
                                     train_net,
                                     train_supernet)

SETTINGS = TrainSettings(epochs=2, batch_size=16, lr=0.05)


@pytest.fixture(scope="module")
def small_kws(kws_data):
    train, _, _ = kws_data
    return torch.utils.data.Subset(train, range(48))


@pytest.fixture(scope="module")
def vww32():
    task = embedded_task("vww", 512)
    return make_dataset(task, "train", resolution=32), make_dataset(task, "val", resolution=32)


def _fresh_net():
    return ArchNet(tiny_space("kws").smallest(), seed=123)  # the same initial weights every time


def _same(a, b):
    return all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())


def test_training_is_reproducible_from_the_seed(small_kws):
    a, b, c = _fresh_net(), _fresh_net(), _fresh_net()
    train_net(a, small_kws, SETTINGS, progress=False)
    train_net(b, small_kws, SETTINGS, progress=False)
    train_net(c, small_kws, TrainSettings(**{**SETTINGS.__dict__, "seed": 1}), progress=False)
    assert _same(a, b) and not _same(a, c)


def test_progress_in_a_log_is_one_line_per_epoch(small_kws, capsys):
    history = train_net(_fresh_net(), small_kws, SETTINGS, progress=True)  # captured: not a terminal
    out, err = capsys.readouterr()
    assert out.splitlines() == [f"train {h['epoch']}/2: loss {h['loss']:.3f}" for h in history]
    assert "\r" not in out + err


def test_an_interrupted_run_resumes_to_the_same_weights(small_kws, tmp_path, tmp_path_factory):
    whole = _fresh_net()
    whole_ckpt = tmp_path_factory.mktemp("whole") / "run.pt"
    history = train_net(whole, small_kws, SETTINGS, checkpoint=whole_ckpt, progress=False)

    def stop_at_second_epoch(epoch):
        if epoch == 1:
            raise KeyboardInterrupt

    ckpt = tmp_path / "run.pt"
    broken = _fresh_net()
    with pytest.raises(KeyboardInterrupt):
        train_net(broken, small_kws, SETTINGS, checkpoint=ckpt, progress=False, before_epoch=stop_at_second_epoch)
    resumed = _fresh_net()
    assert train_net(resumed, small_kws, SETTINGS, checkpoint=ckpt, progress=False) == history
    assert _same(resumed, whole)
    assert ckpt.read_bytes() == whole_ckpt.read_bytes()  # the checkpoint too, byte for byte
    assert [p.name for p in tmp_path.iterdir()] == ["run.pt"]  # no temporary files left behind

    with pytest.raises(UserError, match="another training run"):
        train_net(_fresh_net(), small_kws, TrainSettings(**{**SETTINGS.__dict__, "lr": 0.1}), checkpoint=ckpt,
                  progress=False)
    ckpt.write_bytes(b"garbage")
    with pytest.raises(UserError, match="unreadable"):
        train_net(_fresh_net(), small_kws, SETTINGS, checkpoint=ckpt, progress=False)


def test_supernet_training_is_reproducible_and_leaves_the_largest_active(vww32):
    train, _ = vww32
    part = torch.utils.data.Subset(train, range(32))
    settings = TrainSettings(epochs=1, batch_size=16, sandwich=3)
    nets = []
    for _ in range(2):
        torch.manual_seed(0)
        s = Supernet(tiny_space("vww"))
        history = train_supernet(s, part, settings, progress=False)
        nets.append(s)
    assert _same(*nets) and history[0]["loss"] > 0
    assert nets[0].active == nets[0].space.largest()


def test_bn_recalibration_is_the_exact_average_over_the_batches():
    torch.manual_seed(0)
    net = ArchNet(tiny_space("kws").smallest())
    batches = [torch.randn(8, 1, 49, 10) for _ in range(3)]
    outs = []
    hook = net.stem.conv.register_forward_hook(lambda m, a, out: outs.append(out))
    recalibrate_bn(net, batches)
    hook.remove()
    expected = torch.cat(outs).mean(dim=(0, 2, 3))
    torch.testing.assert_close(net.stem.bn.running_mean, expected, rtol=1e-5, atol=1e-6)
    assert not net.training and net.stem.bn.momentum == 0.1


def test_subnet_evaluator_is_the_recalibrated_subnets_accuracy(vww32):
    train, val = vww32
    torch.manual_seed(0)
    supernet = Supernet(tiny_space("vww"))
    fitness = SubnetEvaluator(supernet, train, torch.utils.data.Subset(val, range(40)), bn_batches=2, batch_size=16)
    arch = supernet.space.sample(np.random.default_rng(5))
    got = fitness.evaluate(arch)
    net = supernet.extract(arch)
    recalibrate_bn(net, fitness.calibration)
    assert got == evaluate(net, torch.utils.data.Subset(val, range(40)))
    assert fitness(arch) == got and list(fitness.memo) == [arch]
    assert [len(x) for x in fitness.calibration] == [32]  # the two batches in one pass (BN_CHUNK)
    # its standard error: the binomial one on the 40 samples it scores
    assert fitness.samples == 40
    assert fitness.stderr(0.75) == pytest.approx((0.75 * 0.25 / 40) ** 0.5)
    assert standard_error(0.5, 100) == pytest.approx(0.05) and standard_error(1.0, 10) == 0
    # two networks compare on the same samples: the paired standard error of the difference
    other = supernet.space.sample(np.random.default_rng(6))
    a, b = fitness.correct(arch), fitness.correct(other)
    assert a.dtype == bool and len(a) == 40 and a.mean() == got
    d = a.astype(float) - b.astype(float)
    assert fitness.paired_stderr(arch, other) == pytest.approx(d.std(ddof=1) / 40 ** 0.5)
    assert fitness.paired_stderr(arch, arch) == 0.0


def test_balanced_loss_weights_are_inverse_class_frequencies():
    class Data:
        labels = np.array([0, 0, 0, 1])
        classes = ["a", "b"]

    weight = _criterion(Data(), TrainSettings(balance_classes=True)).weight
    torch.testing.assert_close(weight, torch.tensor([4 / 3 / 2, 4 / 2]))
    assert _criterion(Data(), TrainSettings()).weight is None
