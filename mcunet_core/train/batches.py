"""The training loader: every epoch's global batches in the one-process order, each rank
preparing only its own samples of every one.

The order is torch's ``RandomSampler`` over the loop's per-epoch generator, cut into global
batches (the last partial one dropped unless it is the only one), what
``DataLoader(shuffle=True, generator=g)`` gives one process. For every global batch each
rank draws every sample's augmentation parameters in that order from torch's global
generator (``data.draws``: a few numbers per sample, so every rank's generator stays the
one process's) and loads (decodes, crops, jitters, computes MFCCs for) only its slice:
``torch.tensor_split``'s part ``rank`` of the batch. With one rank that is the whole batch,
the one-process run unchanged. The draws run where the batch sampler runs, in the main
process; worker processes (``workers=``) only load.

    RankBatches(data, batch_size, generator, ranks)  torch batch sampler of (index, drawn) items
    rank_loader(data, batch_size, generator, ranks, workers=0, pin_memory=False) -> DataLoader of (x, y)
"""

from __future__ import annotations

import torch
from torch.utils.data import BatchSampler, DataLoader, Dataset, RandomSampler, Sampler

from .data.draws import draw, load
from .distributed import Ranks


class RankBatches(Sampler[list]):
    """This rank's (index, augmentation draws) items of every global batch.

    Not ``DistributedSampler``: it deals an epoch's permutation out in strides from its own
    seed and pads it to split evenly, and nothing in it draws the augmentation of the other
    ranks' samples; the one-process run's order and draws need the whole global batch, in
    order, on every rank."""

    def __init__(self, data, batch_size: int, generator: torch.Generator, ranks: Ranks = Ranks()):
        self.data, self.ranks = data, ranks
        self.batches = BatchSampler(RandomSampler(data, generator=generator), batch_size,
                                    drop_last=len(data) > batch_size)
        self.global_size = min(batch_size, len(data))  # every global batch's: the last partial one is dropped

    def __iter__(self):
        for batch in self.batches:
            drawn = [(i, draw(self.data, i)) for i in batch]
            lo, hi = self.ranks.part(len(batch))
            yield drawn[lo:hi]

    def __len__(self) -> int:
        return len(self.batches)

    @property
    def share(self) -> float:
        """This rank's part of a global batch relative to an even split (the weight of its
        mean loss in the global mean)."""
        lo, hi = self.ranks.part(self.global_size)
        return (hi - lo) * self.ranks.world / self.global_size if self.global_size else 1.0


class _Loaded(Dataset):
    """``data`` indexed by ``RankBatches``' (index, draws) items."""

    def __init__(self, data):
        self.data = data

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, item):
        i, drawn = item
        return load(self.data, i, drawn)


def rank_loader(data, batch_size: int, generator: torch.Generator, ranks: Ranks = Ranks(), *,
                workers: int = 0, pin_memory: bool = False) -> DataLoader:
    """This rank's slices of the epoch's global batches (``loader.batch_sampler.share``: their
    weight). ``generator`` is the DataLoader's too: its first draw (the workers' base seed)
    comes before the permutation's, as in the one-process loader, so the order is that one's."""
    return DataLoader(_Loaded(data), batch_sampler=RankBatches(data, batch_size, generator, ranks),
                      generator=generator, num_workers=workers, pin_memory=pin_memory,
                      collate_fn=getattr(data, "collate", None))  # a detection set's: boxes vary per image
