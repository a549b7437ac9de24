"""A seeded, class-stratified hold-out of a split: the search scores candidates on samples
the supernet never trained on and the final accuracy never reports (OFA's and MCUNet's
minival taken from the training set), so ranking and reporting stay independent."""

from __future__ import annotations

import numpy as np
import torch

from . import draws


class LabelledSubset(torch.utils.data.Subset):
    """A Subset that keeps the ``labels`` and ``classes`` the training loop reads."""

    def __init__(self, dataset, indices):
        super().__init__(dataset, [int(i) for i in indices])
        self.labels = np.asarray(dataset.labels)[np.asarray(self.indices, dtype=np.int64)]
        self.classes = dataset.classes

    def draw(self, i: int):
        return draws.draw(self.dataset, self.indices[i])

    def load(self, i: int, drawn):
        return draws.load(self.dataset, self.indices[i], drawn)


def holdout_indices(labels, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(kept, held out) sample indices, ``fraction`` of every class held out (at least one
    sample of a class with two or more), both sorted."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x401D]))
    held = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        n = int(round(fraction * len(members)))
        if fraction > 0 and len(members) > 1:
            n = min(max(n, 1), len(members) - 1)
        held.append(rng.permutation(members)[:n])
    held = np.sort(np.concatenate(held)) if held else np.zeros(0, np.int64)
    kept = np.setdiff1d(np.arange(len(labels)), held)
    return kept, held
