"""Shared pieces of the training tests: tiny search spaces, a briefly trained KWS network,
and the test-side adapters that read ../shared/datasets (never copied into the repo)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from mcunet_core.nas.space import SearchSpace
from mcunet_core.spec import load_search, load_task
from mcunet_core.train.data import AudioDataset, ImageArrayDataset, ImagePreprocess, Mfcc, make_dataset
from mcunet_core.train.net import ArchNet
from mcunet_core.train.train import TrainSettings, train_net

# One thread: the suite runs as `pytest -n 2` on 2 cores, and torch's OpenMP threads spinning
# on a core another worker holds make small convolutions ~100x slower.
torch.set_num_threads(1)

# engine_runs (host/QEMU builds of a graph) is the engine tests' helper.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))


def embedded_task(name: str, samples: int):
    """Task ``name`` with ``samples`` embedded samples: the shipped sizes (thousands) are for builds."""
    task = load_task(name)
    return dataclasses.replace(task, dataset=dataclasses.replace(
        task.dataset, embedded={**task.dataset.embedded, "samples": samples}))


def tiny_space(task_name: str = "vww", width: float = 0.2, resolution: int = 32) -> SearchSpace:
    return SearchSpace.from_specs(load_search("mcunet"), load_task(task_name), width, resolution)


@pytest.fixture(scope="session")
def kws_task():
    return embedded_task("kws", 600)


@pytest.fixture(scope="session")
def kws_data(kws_task):
    """600 embedded synthetic KWS clips: (augmented train, plain train, val)."""
    return (make_dataset(kws_task, "train"), make_dataset(kws_task, "train", augment=False),
            make_dataset(kws_task, "val"))


@pytest.fixture(scope="session")
def trained_kws(kws_data):
    """A small network of the KWS space after a few epochs on the synthetic clips, eval mode."""
    train, _, _ = kws_data
    torch.manual_seed(0)
    net = ArchNet(tiny_space("kws").smallest())
    train_net(net, train, TrainSettings(epochs=6, batch_size=32, lr=0.1, label_smoothing=0.0), progress=False)
    return net.eval()


def shared_vww(shared_dir: Path, split: str, resolution: int) -> ImageArrayDataset:
    """Real VWW images (../shared/datasets/vww_coco_96.npz) as the VWW task would read them."""
    path = shared_dir / "datasets" / "vww_coco_96.npz"
    if not path.exists():
        pytest.skip(f"{path} is not there")
    with np.load(path) as z:
        keep = z["splits"] == split
        images, labels = z["images"][keep], z["labels"][keep]
    task = load_task("vww")
    return ImageArrayDataset(images, labels, ImagePreprocess.from_task(task, resolution), list(task.labels))


def shared_speech_commands(shared_dir: Path) -> AudioDataset:
    """The real Speech Commands v0.02 test clips (../shared/datasets), 12 classes."""
    path = shared_dir / "datasets" / "speech_commands_v002_test.npz"
    if not path.exists():
        pytest.skip(f"{path} is not there")
    with np.load(path) as z:
        clips, labels = z["x"], z["y"]
    task = load_task("kws")
    return AudioDataset(clips, labels, Mfcc.from_task(task), list(task.labels))
