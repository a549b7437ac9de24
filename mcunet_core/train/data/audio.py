"""Keyword-spotting samples: a 1 s clip -> MFCC (1, frames, coefficients), with MLPerf Tiny's
pipeline: divide the clip by its maximum sample, then (training only) shift it in time and
mix in background noise (with probability ``background_frequency``, at a volume uniform in
[0, background_volume]), clip to [-1, 1], compute the MFCC.

A clip whose maximum is not positive (digital silence) is left unscaled; TF divides by it.
The augmentation's random numbers (``AudioDraws``) are drawn apart from the work they steer
(``draw``, then ``load``), so a rank can draw a whole global batch and load only its slice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .mfcc import Mfcc


@dataclass(frozen=True)
class AudioAugment:
    time_shift: int  # samples, either way
    background_frequency: float
    background_volume: float

    @classmethod
    def from_task(cls, task) -> "AudioAugment":
        a = task.preprocessing.get("augment", {})
        return cls(int(task.audio["sample_rate"] * a.get("time_shift_ms", 0) / 1000),
                   float(a.get("background_frequency", 0.0)), float(a.get("background_volume", 0.0)))


def as_float(clip: np.ndarray) -> np.ndarray:
    """int16 PCM or float samples -> float32 in [-1, 1]."""
    clip = np.asarray(clip)
    if clip.dtype == np.int16:
        return clip.astype(np.float32) / 32768.0
    return clip.astype(np.float32, copy=True)  # a copy: the data may be read-only


@dataclass(frozen=True)
class AudioDraws:
    """One clip's augmentation parameters (``AudioDataset.draw``)."""
    shift: int = 0  # samples, right when positive
    background: tuple[int, int, float] | None = None  # noise clip, its start, volume


class AudioDataset(torch.utils.data.Dataset):
    """``clips[i]``: int16 or float samples (any object indexable by sample number)."""

    def __init__(self, clips, labels: np.ndarray, mfcc: Mfcc, classes: list[str],
                 augment: AudioAugment | None = None, noise: list[np.ndarray] = ()):
        self.clips, self.labels = clips, np.asarray(labels, dtype=np.int64)
        self.mfcc, self.classes, self.augment = mfcc, classes, augment
        self.noise = [as_float(n) for n in noise if len(n) >= mfcc.samples]

    def __len__(self) -> int:
        return len(self.labels)

    def draw(self, i: int) -> AudioDraws:
        """Clip ``i``'s augmentation parameters, from torch's global generator (cheap)."""
        a = self.augment
        if a is None:
            return AudioDraws()
        shift = int(torch.randint(-a.time_shift, a.time_shift + 1, ())) if a.time_shift else 0
        background = None
        if self.noise and float(torch.rand(())) < a.background_frequency:
            k = int(torch.randint(len(self.noise), ()))
            start = int(torch.randint(len(self.noise[k]) - self.mfcc.samples + 1, ()))
            background = (k, start, float(torch.rand(())) * a.background_volume)
        return AudioDraws(shift, background)

    def waveform(self, i: int, draws: AudioDraws | None = None) -> torch.Tensor:
        """The clip as the MFCC sees it (normalised, augmented by ``draws``: drawn now when None)."""
        draws = self.draw(i) if draws is None else draws
        n = self.mfcc.samples
        wav = torch.zeros(n)
        clip = torch.from_numpy(as_float(self.clips[i])[:n])
        wav[: len(clip)] = clip
        peak = wav.max()
        if peak > 0:
            wav = wav / peak
        shift = draws.shift
        if shift:
            wav = torch.roll(wav, shift)
            if shift > 0:
                wav[:shift] = 0
            else:
                wav[shift:] = 0
        if draws.background is not None:
            k, start, volume = draws.background
            wav = torch.clamp(wav + volume * torch.from_numpy(self.noise[k][start:start + n]), -1.0, 1.0)
        return wav

    def load(self, i: int, draws: AudioDraws):
        return self.mfcc(self.waveform(i, draws))[None], int(self.labels[i])

    def __getitem__(self, i: int):
        return self.load(i, self.draw(i))
