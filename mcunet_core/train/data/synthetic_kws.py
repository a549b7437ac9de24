"""synthetic-kws: the embedded default data set of the KWS task, generated, never downloaded.

Ten "words", each a fixed sequence of speech-like segments (the table ``WORDS``): voiced
vowels (harmonics of a pitch shaped by formants F1/F2/F3), fricatives (band-limited
noise), pitch glides and plosive bursts. Every clip is one second at 16 kHz: a word spoken
by a random "speaker" (pitch 90-250 Hz with drift, vocal-tract length scaling the formants
by 0.88-1.15, tempo, onset, loudness) over random white/pink noise. ``_unknown_`` clips say
a random segment sequence that is none of the ten words; ``_silence_`` clips hold noise only.

Sample ``i`` of a set has class ``i % 12`` and its own random stream (``seed``, ``i``): the set
is balanced, reproducible, and any sample can be regenerated alone. Background clips for
the noise augmentation (white, pink, brown, mains hum) come from the same seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

SAMPLE_RATE = 16000
FORMANT_BANDWIDTHS = (90.0, 110.0, 170.0)
F3 = 2700.0


@dataclass(frozen=True)
class Segment:
    kind: str  # "vowel" (a=F1, b=F2), "fricative" (a=centre Hz, b=bandwidth), "glide" (a -> b Hz), "burst"
    a: float = 0.0
    b: float = 0.0
    length: float = 1.0  # relative duration within the word


V, Fr, G, B = "vowel", "fricative", "glide", "burst"
WORDS: dict[str, tuple[Segment, ...]] = {
    "yes": (Segment(V, 350, 2300, 0.8), Segment(V, 580, 1850, 1.0), Segment(Fr, 3600, 800, 1.0)),
    "no": (Segment(G, 250, 420, 0.5), Segment(V, 520, 900, 1.0), Segment(V, 400, 780, 0.9)),
    "up": (Segment(V, 720, 1220, 1.3), Segment(B, length=0.25)),
    "down": (Segment(B, length=0.25), Segment(V, 760, 1300, 1.0), Segment(V, 450, 1000, 0.8), Segment(G, 320, 260, 0.5)),
    "left": (Segment(V, 460, 1900, 1.1), Segment(Fr, 2500, 1100, 0.6), Segment(B, length=0.25)),
    "right": (Segment(G, 1200, 1550, 0.5), Segment(V, 760, 1320, 0.9), Segment(V, 400, 2200, 0.7), Segment(B, length=0.25)),
    "on": (Segment(V, 620, 950, 1.2), Segment(G, 300, 300, 0.7)),
    "off": (Segment(V, 660, 1020, 1.0), Segment(Fr, 3000, 1600, 1.0)),
    "stop": (Segment(Fr, 3800, 600, 0.9), Segment(B, length=0.2), Segment(V, 620, 1100, 0.9), Segment(B, length=0.2)),
    "go": (Segment(B, length=0.2), Segment(V, 520, 880, 0.9), Segment(V, 400, 740, 1.0)),
}
CLASSES = ["_silence_", "_unknown_", *WORDS]


def _random_word(rng) -> tuple[Segment, ...]:
    """An ``_unknown_`` word: 2-4 random segments."""
    out = []
    for _ in range(int(rng.integers(2, 5))):
        kind = rng.choice([V, V, Fr, G, B])
        if kind == V:
            out.append(Segment(V, rng.uniform(300, 850), rng.uniform(800, 2400), rng.uniform(0.6, 1.3)))
        elif kind == Fr:
            out.append(Segment(Fr, rng.uniform(1800, 3900), rng.uniform(400, 1600), rng.uniform(0.5, 1.0)))
        elif kind == G:
            out.append(Segment(G, rng.uniform(250, 1600), rng.uniform(250, 1600), rng.uniform(0.4, 0.9)))
        else:
            out.append(Segment(B, length=0.2))
    return tuple(out)


def _fade(x: np.ndarray, ms: float = 12.0) -> np.ndarray:
    n = min(int(SAMPLE_RATE * ms / 1000), len(x) // 2)
    if n:
        ramp = 0.5 - 0.5 * np.cos(np.linspace(0, math.pi, n))
        x[:n] *= ramp
        x[-n:] *= ramp[::-1]
    return x


def _band_noise(rng, n: int, centre: float, width: float) -> np.ndarray:
    spec = np.fft.rfft(rng.normal(size=n))
    f = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
    return np.fft.irfft(spec * np.exp(-0.5 * ((f - centre) / (width / 2)) ** 2), n)


def _segment(rng, seg: Segment, n: int, f0: np.ndarray, tract: float) -> np.ndarray:
    if seg.kind == B:
        n = min(n, int(SAMPLE_RATE * 0.03))
        x = rng.normal(size=n) * np.exp(-np.arange(n) / (n / 4))
        return np.concatenate([np.zeros(int(SAMPLE_RATE * 0.02)), 0.8 * x])
    if seg.kind == Fr:
        return 0.35 * _fade(_band_noise(rng, n, seg.a * tract, seg.b) * 4.0)
    if seg.kind == G:
        freq = np.linspace(seg.a, seg.b, n) * tract
        phase = 2 * math.pi * np.cumsum(freq) / SAMPLE_RATE
        return _fade(sum(np.sin(k * phase) / k for k in (1, 2, 3)))
    # vowel: harmonics of the pitch, each weighted by the formant resonances at its frequency;
    # a word stretched past its pitch track (long segments and pauses) holds the last pitch
    f0 = np.pad(f0[:n], (0, max(n - len(f0), 0)), mode="edge")
    phase = 2 * math.pi * np.cumsum(f0) / SAMPLE_RATE
    mean_f0 = float(f0.mean())
    x = np.zeros(n)
    for k in range(1, int(4000 / mean_f0) + 1):
        f = k * mean_f0
        gain = sum(1.0 / (1.0 + ((f - fm * tract) / bw) ** 2)
                   for fm, bw in zip((seg.a, seg.b, F3), FORMANT_BANDWIDTHS))
        x += gain / math.sqrt(k) * np.sin(k * phase)
    return _fade(x)


def _noise(rng, n: int, colour: str) -> np.ndarray:
    white = rng.normal(size=n)
    if colour == "white":
        return white
    spec = np.fft.rfft(white)
    f = np.maximum(np.fft.rfftfreq(n, 1 / SAMPLE_RATE), 20.0)
    x = np.fft.irfft(spec / (np.sqrt(f) if colour == "pink" else f), n)
    return x / (np.std(x) + 1e-12)


def _speak(rng, word: tuple[Segment, ...]) -> np.ndarray:
    total = rng.uniform(0.35, 0.75) * SAMPLE_RATE
    unit = total / sum(s.length for s in word)
    f0_start, f0_end = rng.uniform(90, 250) * np.array([1.0, rng.uniform(0.85, 1.15)])
    f0 = np.linspace(f0_start, f0_end, int(total) + SAMPLE_RATE // 10)
    tract = rng.uniform(0.88, 1.15)
    parts = []
    for seg in word:
        n = max(int(seg.length * unit * rng.uniform(0.85, 1.15)), 64)
        x = _segment(rng, seg, n, f0[len(np.concatenate(parts)) if parts else 0:], tract)
        parts += [x / (np.abs(x).max() + 1e-12), np.zeros(int(rng.uniform(0, 0.02) * SAMPLE_RATE))]
    return np.concatenate(parts)


def clip(seed: int, index: int) -> tuple[np.ndarray, int]:
    """Sample ``index`` of the set seeded ``seed``: (float32 samples in [-1, 1], class)."""
    rng = np.random.default_rng([seed, index])
    label = index % len(CLASSES)
    out = _noise(rng, SAMPLE_RATE, rng.choice(["white", "pink"])) * rng.uniform(0.002, 0.03)
    if label == 0:
        out *= rng.uniform(0.1, 3.0)
    else:
        word = _random_word(rng) if label == 1 else WORDS[CLASSES[label]]
        speech = _speak(rng, word)[:SAMPLE_RATE] * rng.uniform(0.2, 0.9)
        start = int(rng.integers(0, SAMPLE_RATE - len(speech) + 1))
        out[start:start + len(speech)] += speech
    return np.clip(out, -1, 1).astype(np.float32), label


def background_noise(seed: int, seconds: float = 3.0) -> list[np.ndarray]:
    """White, pink, brown noise and mains hum, for the background-noise augmentation."""
    rng = np.random.default_rng([seed, 1 << 30])
    n = int(seconds * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    hum = sum(np.sin(2 * math.pi * 50 * k * t) / k for k in (1, 2, 3, 5)) + 0.3 * rng.normal(size=n)
    clips = [_noise(rng, n, c) for c in ("white", "pink", "brown")] + [hum]
    return [(0.5 * c / np.abs(c).max()).astype(np.float32) for c in clips]


def split_indices(samples: int, split: str) -> range:
    """``samples`` clips in all: the first 80 % train, the rest val."""
    n_train = samples - max(1, samples // 5)
    if split == "train":
        return range(0, n_train)
    if split == "val":
        return range(n_train, samples)
    raise ValueError(f"synthetic-kws has splits train and val, not {split!r}")


@lru_cache(maxsize=4)
def synthetic_kws(samples: int, seed: int, split: str) -> tuple[np.ndarray, np.ndarray]:
    """(float32 clips (N, 16000), int64 labels) of one split, read-only: the stages of one
    build share one synthesis."""
    pairs = [clip(seed, i) for i in split_indices(samples, split)]
    clips, labels = np.stack([p[0] for p in pairs]), np.array([p[1] for p in pairs], dtype=np.int64)
    clips.flags.writeable = labels.flags.writeable = False
    return clips, labels
