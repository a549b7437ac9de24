"""Google Speech Commands v0.02 as released: ``<root>/<word>/*.wav`` (16-bit PCM, 16 kHz),
``validation_list.txt`` and ``testing_list.txt`` (paths relative to root), and
``_background_noise_/*.wav``.

The 12 classes of MLPerf Tiny / TF's tutorial: the task's ten words, ``_unknown_`` (every
other word, subsampled to ``unknown_percent`` % of the known-word clips) and ``_silence_``
(``silence_percent`` % of them: one-second crops of the background-noise files at a random
volume, as TF Datasets builds its silence examples). Folders named ``_silence_`` or
``_unknown_`` (the official test archive's layout) count as those classes directly. The
subsampling and the crops are seeded, so a split is the same list on every run.
"""

from __future__ import annotations

import math
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import UserError

NOISE_DIR = "_background_noise_"
SILENCE, UNKNOWN = "_silence_", "_unknown_"
LISTS = {"val": "validation_list.txt", "test": "testing_list.txt"}


def read_wav(path: Path, sample_rate: int) -> np.ndarray:
    """int16 mono samples of a PCM WAV file."""
    try:
        with wave.open(str(path), "rb") as w:
            if w.getsampwidth() != 2 or w.getnchannels() != 1:
                raise UserError(f"{path}: expected 16-bit mono PCM, got {8 * w.getsampwidth()}-bit x {w.getnchannels()} channels")
            if w.getframerate() != sample_rate:
                raise UserError(f"{path}: sample rate {w.getframerate()} Hz, the task needs {sample_rate} Hz")
            return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").copy()
    except (wave.Error, EOFError, OSError) as e:
        raise UserError(f"cannot read WAV file {path}: {e}") from None


@dataclass(frozen=True)
class NoiseCrop:
    noise: int  # index into the background files
    start: int
    volume: float


class SpeechCommandsClips:
    """Clip ``i``: a WAV file read when asked, or a silence crop of a background file."""

    def __init__(self, items: list, noise: list[np.ndarray], samples: int, sample_rate: int):
        self.items, self.noise, self.samples, self.sample_rate = items, noise, samples, sample_rate

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> np.ndarray:
        item = self.items[i]
        if isinstance(item, NoiseCrop):
            bg = self.noise[item.noise][item.start:item.start + self.samples]
            return bg.astype(np.float32) / 32768.0 * item.volume
        return read_wav(item, self.sample_rate)


def speech_commands(root: Path, labels: list[str], split: str, sample_rate: int, samples: int,
                    silence_percent: float, unknown_percent: float, seed: int = 0):
    """(SpeechCommandsClips, labels, background noise clips) of ``split`` (train, val or test)."""
    root = Path(root)
    if not root.is_dir():
        raise UserError(f"Speech Commands folder {root} does not exist")
    if split not in ("train", "val", "test"):
        raise UserError(f"Speech Commands has splits train, val and test, not {split!r}")
    listed = {}
    for name, file in LISTS.items():
        if not (root / file).is_file():
            raise UserError(f"{root}: no {file} (expected the official speech_commands_v0.02 tree)")
        listed.update({line.strip(): name for line in (root / file).read_text().splitlines() if line.strip()})
    words = [w for w in labels if w not in (SILENCE, UNKNOWN)]
    known, unknown, direct = [], [], []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name != NOISE_DIR):
        for f in sorted(folder.glob("*.wav")):
            if listed.get(f"{folder.name}/{f.name}", "train") != split:
                continue
            if folder.name in words:
                known.append((f, labels.index(folder.name)))
            elif folder.name in (SILENCE, UNKNOWN):
                direct.append((f, labels.index(folder.name)))
            else:
                unknown.append(f)
    if not known and not direct:
        raise UserError(f"{root}: no clips of the words {', '.join(words)} in split {split}")
    noise = [read_wav(p, sample_rate) for p in sorted((root / NOISE_DIR).glob("*.wav"))] if (root / NOISE_DIR).is_dir() else []
    rng = np.random.default_rng([seed, ["train", "val", "test"].index(split)])
    n_unknown = min(len(unknown), math.ceil(len(known) * unknown_percent / 100))
    picked = [unknown[i] for i in sorted(rng.choice(len(unknown), n_unknown, replace=False))] if n_unknown else []
    crops = []
    usable = [i for i, n in enumerate(noise) if len(n) >= samples]
    if usable:
        for _ in range(math.ceil(len(known) * silence_percent / 100)):
            k = usable[int(rng.integers(len(usable)))]
            crops.append(NoiseCrop(k, int(rng.integers(len(noise[k]) - samples + 1)), float(rng.uniform(0, 1))))
    items = [f for f, _ in known] + picked + [f for f, _ in direct] + crops
    y = ([c for _, c in known] + [labels.index(UNKNOWN)] * len(picked) + [c for _, c in direct]
         + [labels.index(SILENCE)] * len(crops))
    return SpeechCommandsClips(items, noise, samples, sample_rate), np.array(y, dtype=np.int64), noise
