"""The training loader shards every global batch over the ranks: each rank draws the whole
batch's augmentation (so its generator follows the one-process run's) and loads only its own
slice, and the slices of all ranks are the one-process batches, bit for bit. No processes
are started: a rank is only its number here (the 2-process training is test_distributed.py)."""

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import embedded_task
from mcunet_core.train.batches import RankBatches, rank_loader
from mcunet_core.train.data import ImageArrayDataset, ImageFolder, ImagePreprocess, LabelledSubset, make_dataset
from mcunet_core.train.distributed import Ranks

AUGMENT = ImagePreprocess(16, random_resized_crop=True, horizontal_flip=True, color_jitter=0.3)


class CountingImages(ImageArrayDataset):
    """Counts the samples drawn and loaded (augmented)."""

    def __init__(self, n: int, seed: int = 0):
        rng = np.random.default_rng(seed)
        super().__init__(rng.integers(0, 256, (n, 24, 20, 3), dtype=np.uint8), rng.integers(0, 2, n), AUGMENT,
                         ["a", "b"])
        self.drawn, self.loaded = [], []

    def draw(self, i):
        self.drawn.append(i)
        return super().draw(i)

    def load(self, i, draws):
        self.loaded.append(i)
        return super().load(i, draws)


def _epoch(data, batch_size: int, ranks: Ranks, workers: int = 0):
    """This rank's batches of one epoch, and torch's global generator state after it."""
    torch.manual_seed(7)
    batches = [(x, y) for x, y in rank_loader(data, batch_size, torch.Generator().manual_seed(3), ranks,
                                              workers=workers)]
    return batches, torch.get_rng_state()


def test_one_rank_is_the_plain_shuffled_loader():
    """The one-process stream is unchanged: DataLoader(shuffle=True) over data[i], same generators."""
    data = CountingImages(40)
    mine, state = _epoch(data, 12, Ranks())
    torch.manual_seed(7)
    plain = list(torch.utils.data.DataLoader(data, batch_size=12, shuffle=True, drop_last=True,
                                             generator=torch.Generator().manual_seed(3)))
    assert len(mine) == len(plain) == 3
    for (x, y), (px, py) in zip(mine, plain):
        assert torch.equal(x, px) and torch.equal(y, py)
    assert torch.equal(state, torch.get_rng_state())


@pytest.mark.parametrize("world, samples, batch", [(2, 40, 12), (3, 40, 12), (3, 10, 16)])
def test_each_rank_loads_only_its_slice_of_every_global_batch(world, samples, batch):
    one = CountingImages(samples)
    whole, state = _epoch(one, batch, Ranks())
    ranks = []
    for rank in range(world):
        data = CountingImages(samples)
        ranks.append((data, *_epoch(data, batch, Ranks(rank, world))))
    for data, _, rank_state in ranks:
        assert data.drawn == one.drawn  # every rank draws the whole global batch, in order
        assert torch.equal(rank_state, state)
    # the ranks' loads partition each global batch, each of its samples augmented on one rank only
    assert sorted(sum((data.loaded for data, _, _ in ranks), [])) == sorted(one.loaded)
    for data, _, _ in ranks:
        assert len(data.loaded) < len(one.loaded)
    for k, (x, y) in enumerate(whole):
        assert torch.equal(torch.cat([batches[k][0] for _, batches, _ in ranks]), x)
        assert torch.equal(torch.cat([batches[k][1] for _, batches, _ in ranks]), y)


def test_shares_weigh_uneven_slices():
    """10 samples over 3 ranks: slices of 4, 3, 3; weights n_rank * world / n sum to world."""
    data = CountingImages(10)
    shares = [RankBatches(data, 16, torch.Generator(), Ranks(r, 3)).share for r in range(3)]
    assert shares == pytest.approx([1.2, 0.9, 0.9]) and sum(shares) == pytest.approx(3)


def test_workers_load_what_the_main_process_loads():
    """The draws stay in the main process: worker processes only load."""
    whole, _ = _epoch(CountingImages(40), 12, Ranks())
    workers, _ = _epoch(CountingImages(40), 12, Ranks(), workers=2)
    assert all(torch.equal(a, b) for (a, _), (b, _) in zip(whole, workers))


def test_subsets_files_and_audio_draw_like_their_items(tmp_path):
    """draw + load is data[i] (the same generator use) for a subset, image files of several
    sizes (the crop is drawn from the file's header) and augmented audio."""
    subset = LabelledSubset(CountingImages(30), [3, 5, 8, 13])
    rng = np.random.default_rng(2)
    for c, (h, w) in enumerate([(30, 41), (52, 26), (17, 60)]):
        (tmp_path / str(c)).mkdir()
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(tmp_path / str(c) / "x.png")
    files = ImageFolder(tmp_path, None, AUGMENT)
    audio = make_dataset(embedded_task("kws", 40), "train")  # time shift and background noise
    assert audio.augment is not None and audio.noise
    for data in (subset, files, audio):
        for i in range(min(len(data), 12)):
            torch.manual_seed(i)
            x, y = data[i]
            torch.manual_seed(i)
            dx, dy = data.load(i, data.draw(i))
            assert torch.equal(x, dx) and y == dy
