"""MFCC: MLPerf Tiny's 49 x 10 features, checked against a direct NumPy transcription of the
TF formulas (framing, periodic Hann, 512-point FFT magnitude, HTK mel triangles without
the DC bin, log(x + 1e-6), DCT-II scaled by sqrt(2 / 40)) and against values derived by hand."""

import math

import numpy as np
import pytest
import torch

from conftest import shared_speech_commands
from mcunet_core.spec import load_task
from mcunet_core.train.data import Mfcc


def numpy_mfcc(wav: np.ndarray, rate=16000, window=480, step=320, fft=512, mels=40, low=20.0, high=4000.0, keep=10):
    frames = np.stack([wav[s:s + window] for s in range(0, len(wav) - window + 1, step)]).astype(np.float64)
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(window) / window)  # periodic
    mag = np.abs(np.fft.rfft(frames * hann, n=fft))
    mel = lambda f: 1127.0 * np.log(1.0 + f / 700.0)  # noqa: E731
    edges = np.linspace(mel(low), mel(high), mels + 2)
    weights = np.zeros((fft // 2 + 1, mels))
    for b in range(1, fft // 2 + 1):  # bin 0 (DC) gets no weight
        m = mel(b * rate / fft)
        for j in range(mels):
            rise = (m - edges[j]) / (edges[j + 1] - edges[j])
            fall = (edges[j + 2] - m) / (edges[j + 2] - edges[j + 1])
            weights[b, j] = max(0.0, min(rise, fall))
    log_mel = np.log(mag @ weights + 1e-6)
    n = np.arange(mels)
    dct = np.array([[math.cos(math.pi * k * (2 * i + 1) / (2 * mels)) for k in range(keep)] for i in n])
    return log_mel @ dct * math.sqrt(2.0 / mels)


@pytest.fixture(scope="module")
def mfcc():
    return Mfcc.from_task(load_task("kws"))


def test_shape_is_49_frames_of_10_coefficients(mfcc):
    assert (mfcc.frames, mfcc.coefficients, mfcc.fft) == (49, 10, 512)
    assert mfcc(torch.zeros(16000)).shape == (49, 10)
    assert mfcc(torch.zeros(3, 16000)).shape == (3, 49, 10)


def test_agrees_with_a_direct_numpy_transcription(mfcc):
    """Signals with some noise in every band: float32 and float64 then agree to ~1e-5 (a pure
    tone's nearly empty bands would amplify float32 rounding in the log)."""
    rng = np.random.default_rng(0)
    t = np.arange(16000) / 16000
    chirp = 0.5 * np.sin(2 * np.pi * (200 + 1800 * t) * t)
    for wav in (chirp + rng.normal(0, 0.02, 16000), rng.normal(0, 0.1, 16000),
                chirp * (t > 0.4) + rng.normal(0, 0.01, 16000)):
        expected = numpy_mfcc(wav)
        got = mfcc(torch.tensor(wav, dtype=torch.float32)).numpy()
        assert np.abs(got - expected).max() < 1e-4
        late = numpy_mfcc(np.concatenate([np.zeros(16), wav[:-16]]))  # frames 16 samples off
        assert np.abs(got - late).max() > 0.1


def test_silence_and_loudness(mfcc):
    """Digital silence: every mel energy is the 1e-6 floor, so c0 = log(1e-6) * 40 * sqrt(2 / 40)
    and the other coefficients (cosines summing to zero) vanish."""
    quiet = mfcc(torch.zeros(16000)).numpy()
    assert np.allclose(quiet[:, 0], math.log(1e-6) * math.sqrt(80), atol=1e-3)
    assert np.allclose(quiet[:, 1:], 0, atol=1e-3)
    tone = torch.sin(2 * math.pi * 1000 * torch.arange(16000) / 16000)
    assert torch.all(mfcc(0.5 * tone)[:, 0] > mfcc(0.05 * tone)[:, 0] + 10)  # 20 dB louder: c0 up by 40 log(10) sqrt(1/20)


def test_real_speech_commands_clips(shared_dir, mfcc):
    data = shared_speech_commands(shared_dir)
    for i in (0, 500, 2500, 4700):
        wav = data.waveform(i).numpy()
        assert np.abs(data[i][0][0].numpy() - numpy_mfcc(wav)).max() < 5e-3
