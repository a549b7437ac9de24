"""The search's minival: a seeded, per-class hold-out of the train split."""

import numpy as np
import torch

from mcunet_core.train.data import LabelledSubset, holdout_indices


class _Data(torch.utils.data.Dataset):
    def __init__(self, labels):
        self.labels, self.classes = np.asarray(labels), ["a", "b", "c"]

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return torch.tensor([float(i)]), int(self.labels[i])


def test_every_class_gives_its_share_and_the_parts_partition_the_split():
    labels = np.array([0] * 80 + [1] * 16 + [2] * 4)
    kept, held = holdout_indices(labels, 0.25, seed=3)
    assert np.bincount(labels[held], minlength=3).tolist() == [20, 4, 1]
    assert np.intersect1d(kept, held).size == 0 and np.union1d(kept, held).tolist() == list(range(100))
    again = holdout_indices(labels, 0.25, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip((kept, held), again))
    assert not np.array_equal(held, holdout_indices(labels, 0.25, seed=4)[1])


def test_a_rare_class_keeps_one_sample_on_each_side_and_zero_holds_nothing_out():
    labels = np.array([0] * 10 + [1] * 2 + [2])
    kept, held = holdout_indices(labels, 0.05, seed=0)
    assert set(labels[held]) == {0, 1} and set(labels[kept]) == {0, 1, 2}
    kept, held = holdout_indices(labels, 0.0, seed=0)
    assert held.size == 0 and kept.tolist() == list(range(13))


def test_a_labelled_subset_keeps_the_labels_the_training_loop_reads():
    data = _Data([0, 1, 2, 0, 1])
    part = LabelledSubset(data, np.array([4, 1, 2]))
    assert part.labels.tolist() == [1, 1, 2] and part.classes == data.classes
    assert [int(part[i][0]) for i in range(len(part))] == [4, 1, 2]
