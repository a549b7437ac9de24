"""The two steps of preparing a training sample, so a rank can draw a whole global batch's
randomness (in the one-process order) and do the work for its own slice alone:

    draw(data, i) -> drawn        the sample's augmentation parameters, from torch's global generator (cheap)
    load(data, i, drawn) -> (x, y) the decoding, cropping, jitter, MFCC with those parameters

``data[i]`` is ``load(data, i, draw(data, i))``. A data set without ``draw`` and ``load``
methods (a TensorDataset) is taken to draw nothing: its ``load`` is ``data[i]`` (one that
draws in ``__getitem__`` trains the same in one process, not split over several).
"""

from __future__ import annotations


def draw(data, i: int):
    method = getattr(data, "draw", None)
    return None if method is None else method(i)


def load(data, i: int, drawn):
    method = getattr(data, "load", None)
    return data[i] if method is None else method(i, drawn)
