"""MFCC features as MLPerf Tiny's keyword-spotting reference computes them (TF ops):

    stft(frame 30 ms, step 20 ms, periodic Hann, FFT = next power of two, no padding)
    -> |.| -> HTK-mel filterbank (tf.signal.linear_to_mel_weight_matrix: DC bin dropped,
    triangles linear in mel between low_hz and high_hz) -> log(x + 1e-6)
    -> DCT-II scaled by sqrt(2 / mel_bins) (tf.signal.mfccs_from_log_mel_spectrograms)
    -> the first dct_coefficients values.

16 kHz, 1 s: 49 frames x 10 coefficients. ``torch.stft`` centres a window shorter than its
FFT inside the FFT frame; padding the signal by that offset on each side makes its frames
exactly TF's (frame t = samples [t*step, t*step + window)), and the resulting phase shift
does not change magnitudes. Differences from TF: the filterbank is computed in float64
(TF: float32) and the STFT by PocketFFT instead of TF's FFT, so values agree to float32
rounding, not bit for bit.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

LOG_OFFSET = 1e-6


def hertz_to_mel(f):
    return 1127.0 * torch.log1p(torch.as_tensor(f, dtype=torch.float64) / 700.0)


def mel_matrix(mel_bins: int, fft_bins: int, sample_rate: float, low_hz: float, high_hz: float) -> torch.Tensor:
    """(fft_bins, mel_bins) weights: tf.signal.linear_to_mel_weight_matrix's formula."""
    freqs = torch.linspace(0.0, sample_rate / 2.0, fft_bins, dtype=torch.float64)[1:]
    bins_mel = hertz_to_mel(freqs)[:, None]
    edges = torch.linspace(float(hertz_to_mel(low_hz)), float(hertz_to_mel(high_hz)), mel_bins + 2, dtype=torch.float64)
    lower, center, upper = edges[:-2][None], edges[1:-1][None], edges[2:][None]
    weights = torch.clamp(torch.minimum((bins_mel - lower) / (center - lower), (upper - bins_mel) / (upper - center)), min=0)
    return F.pad(weights, (0, 0, 1, 0)).to(torch.float32)  # the DC bin gets no weight


def dct_matrix(mel_bins: int, coefficients: int) -> torch.Tensor:
    """(mel_bins, coefficients): unnormalised DCT-II times 1/sqrt(2 N), as TF's MFCC."""
    n = torch.arange(mel_bins, dtype=torch.float64)[:, None]
    k = torch.arange(coefficients, dtype=torch.float64)[None]
    return (torch.cos(math.pi * k * (2 * n + 1) / (2 * mel_bins)) * math.sqrt(2.0 / mel_bins)).to(torch.float32)


class Mfcc:
    def __init__(self, sample_rate: int = 16000, clip_ms: float = 1000, window_ms: float = 30, stride_ms: float = 20,
                 mel_bins: int = 40, dct_coefficients: int = 10, low_hz: float = 20, high_hz: float = 4000):
        self.sample_rate = int(sample_rate)
        self.samples = int(sample_rate * clip_ms / 1000)
        self.window = int(sample_rate * window_ms / 1000)
        self.stride = int(sample_rate * stride_ms / 1000)
        self.fft = 1 << (self.window - 1).bit_length()
        self.frames = 1 + (self.samples - self.window) // self.stride
        self.coefficients = int(dct_coefficients)
        self.hann = torch.hann_window(self.window, periodic=True, dtype=torch.float32)
        self.mel = mel_matrix(mel_bins, self.fft // 2 + 1, sample_rate, low_hz, high_hz)
        self.dct = dct_matrix(mel_bins, dct_coefficients)

    @classmethod
    def from_task(cls, task) -> "Mfcc":
        return cls(**task.audio)

    def __call__(self, wav: torch.Tensor) -> torch.Tensor:
        """float (..., samples) in [-1, 1] -> (..., frames, coefficients)."""
        offset = (self.fft - self.window) // 2
        x = F.pad(wav.to(torch.float32), (offset, offset))
        spec = torch.stft(x, n_fft=self.fft, hop_length=self.stride, win_length=self.window, window=self.hann,
                          center=False, return_complex=True).abs()
        mel = spec.transpose(-1, -2)[..., : self.frames, :] @ self.mel
        return torch.log(mel + LOG_OFFSET) @ self.dct
