"""The embedded data sets can be learned: small networks trained for seconds beat chance
by a wide margin (VWW: 50 %, KWS: 1 in 12)."""

import dataclasses

import torch
from torch import nn

from mcunet_core.spec import load_task
from mcunet_core.train.data import make_dataset
from mcunet_core.train.train import TrainSettings, evaluate, train_net


def _plain_cnn() -> nn.Module:
    def block(cin, cout):
        return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2))

    net = nn.Sequential(block(3, 16), block(16, 32), block(32, 64), block(64, 64), nn.AdaptiveAvgPool2d(1),
                        nn.Flatten(), nn.Linear(64, 2))
    net.arch = "plain-cnn"  # the checkpoint fingerprint names the network
    return net


def test_synthetic_vww_is_learnable():
    task = load_task("vww")
    task = dataclasses.replace(task, dataset=dataclasses.replace(
        task.dataset, embedded={**task.dataset.embedded, "samples": 1000}))
    train = make_dataset(task, "train", resolution=32, augment=False)
    val = make_dataset(task, "val", resolution=32)
    torch.manual_seed(0)
    net = _plain_cnn()
    train_net(net, train, TrainSettings(epochs=8, batch_size=32, lr=0.05, label_smoothing=0.0), progress=False)
    assert evaluate(net, val) >= 0.7


def test_synthetic_kws_is_learnable(trained_kws, kws_data):
    """The space's smallest KWS network after 6 epochs on the 480 embedded training clips."""
    _, _, val = kws_data
    assert evaluate(trained_kws, val) >= 0.3
