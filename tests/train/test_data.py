"""Data sets: the embedded generators are deterministic and follow their labelling rules;
the ImageFolder, Speech Commands and npz loaders read the official layouts; user mistakes
are one-line errors."""

import dataclasses
import importlib
import math
import wave

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import embedded_task, shared_vww
from mcunet_core.errors import UserError
from mcunet_core.spec import load_task
from mcunet_core.train.data import make_dataset, synthetic_kws, synthetic_vww
from mcunet_core.train.data.synthetic_kws import CLASSES
from mcunet_core.train.data.synthetic_vww import Background, Box, Part, Scene, scene


def test_synthetic_vww_is_deterministic_and_any_sample_regenerates_alone():
    a_images, a_labels = synthetic_vww(40, 7, "train", 48)
    b_images, b_labels = synthetic_vww(40, 7, "train", 48)
    assert np.array_equal(a_images, b_images) and np.array_equal(a_labels, b_labels)
    assert np.array_equal(scene(7, 5).render(48), a_images[5])
    val_images, _ = synthetic_vww(40, 7, "val", 48)
    assert len(a_images) == 32 and len(val_images) == 8
    assert not any(np.array_equal(v, t) for v in val_images for t in a_images)
    other, _ = synthetic_vww(40, 8, "train", 48)
    assert not np.array_equal(other, a_images)


def test_synthetic_vww_renders_in_parallel_chunks_as_one_process_would(monkeypatch):
    """Thousands of scenes render in worker processes; the chunking must not change a pixel."""
    module = importlib.import_module("mcunet_core.train.data.synthetic_vww")
    monkeypatch.setattr(module, "CHUNK", 9)
    images, labels = module.synthetic_vww.__wrapped__(50, 3, "train", 24)  # 40 scenes, 5 chunks, 2 workers
    one, one_labels = module._render((3, range(40), 24))
    assert np.array_equal(images, one) and np.array_equal(labels, one_labels)
    assert not images.flags.writeable  # shared by the stages of a build: nobody may change it
    assert synthetic_vww(50, 3, "train", 24)[0] is synthetic_vww(50, 3, "train", 24)[0]


def test_synthetic_vww_labels_do_not_depend_on_the_resolution_and_are_balanced():
    _, small = synthetic_vww(300, 0, "train", 16)
    images, large = synthetic_vww(300, 0, "train", 64)
    assert np.array_equal(small, large)
    assert 0.35 < large.mean() < 0.65
    assert images.dtype == np.uint8 and images.shape == (240, 64, 64, 3)


def _box_scene(side: float, person: bool) -> Scene:
    flat = Background("noise", ((0.2, 0.2, 0.2),) * 3, np.zeros((2, 2)), 1.0, 0.0, 0.5)
    return Scene(flat, (Part(Box(0.5, 0.5, side / 2, side / 2), (1, 0, 0), person),), 0.0, 1.0, 0.0, 0)


def test_person_rule_is_more_than_half_a_percent_of_the_image():
    assert _box_scene(0.25, True).person_area() == pytest.approx(0.0625, abs=0.002)
    assert _box_scene(0.25, True).label == 1
    assert _box_scene(0.06, True).label == 0  # 0.36 %
    assert _box_scene(0.08, True).label == 1  # 0.64 %
    assert _box_scene(0.5, False).label == 0  # a large shape that is not a person


def test_synthetic_kws_is_deterministic_balanced_and_in_range():
    clips, labels = synthetic_kws(60, 3, "train")
    again, _ = synthetic_kws(60, 3, "train")
    assert np.array_equal(clips, again)
    assert clips.shape == (48, 16000) and np.abs(clips).max() <= 1.0
    assert labels.tolist() == [i % 12 for i in range(48)] and CLASSES[:2] == ["_silence_", "_unknown_"]
    rms = np.sqrt((clips ** 2).mean(axis=1))
    assert rms[labels == 0].max() < np.median(rms[labels > 1])  # silence is quieter than words


def test_a_vowel_longer_than_its_pitch_track_holds_the_last_pitch():
    """A word stretched past its pitch track (it happens among the 6,000 default clips) crashed the build."""
    from mcunet_core.train.data.synthetic_kws import V, Segment, _segment
    x = _segment(np.random.default_rng(0), Segment(V, 500, 1500, 1.0), 1000, np.full(10, 120.0), 1.0)
    assert x.shape == (1000,) and np.isfinite(x).all() and np.abs(x).max() > 0


def test_augmentation_is_driven_by_torch_seed():
    task = embedded_task("vww", 40)
    data = make_dataset(task, "train", resolution=32)
    torch.manual_seed(1)
    a = data[0][0]
    torch.manual_seed(1)
    assert torch.equal(a, data[0][0])
    plain = make_dataset(task, "train", resolution=32, augment=False)
    assert torch.equal(plain[0][0], plain[0][0]) and not torch.equal(a, plain[0][0])
    assert plain[0][0].shape == (3, 32, 32) and -1.0 <= plain[0][0].min() and plain[0][0].max() <= 1.0


def test_audio_pipeline_normalises_shifts_and_mixes_noise():
    task = embedded_task("kws", 60)
    plain = make_dataset(task, "val", augment=False)
    wav = plain.waveform(3)
    assert wav.max() == pytest.approx(1.0)  # divided by its maximum, as MLPerf Tiny does
    augmented = make_dataset(task, "val", augment=True)
    torch.manual_seed(0)
    shifted = [augmented.waveform(3) for _ in range(5)]
    assert any(not torch.allclose(s, wav) for s in shifted)
    x, y = plain[3]
    assert x.shape == (1, 49, 10) and y == 3 % 12


def _write_png_tree(root, images, labels, classes):
    for i, (im, lab) in enumerate(zip(images, labels)):
        folder = root / classes[lab]
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(im).save(folder / f"{i:03d}.png")


def test_imagefolder_through_the_task_environment_variable(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (6, 40, 40, 3), dtype=np.uint8)
    labels = [0, 1, 1, 0, 1, 0]
    _write_png_tree(tmp_path / "train", images, labels, ["no_person", "person"])
    monkeypatch.setenv("MCUNET_VWW_DIR", str(tmp_path))
    data = make_dataset(load_task("vww"), "train", resolution=40, augment=False)
    assert data.classes == ["no_person", "person"] and data.labels.tolist() == [0, 0, 0, 1, 1, 1]
    first_person = images[1]  # sorted: no_person/000, 003, 005, then person/001, ...
    expected = torch.from_numpy(first_person).permute(2, 0, 1).float() / 255 * 2 - 1
    torch.testing.assert_close(data[3][0], expected)
    with pytest.raises(UserError, match="does not exist"):
        make_dataset(load_task("vww"), "val")


def test_imagefolder_needs_every_class_folder(tmp_path, monkeypatch):
    _write_png_tree(tmp_path / "train", np.zeros((1, 8, 8, 3), np.uint8), [0], ["no_person", "person"])
    monkeypatch.setenv("MCUNET_VWW_DIR", str(tmp_path))
    with pytest.raises(UserError, match="no class folder person"):
        make_dataset(load_task("vww"), "train")


def _write_wav(path, samples: np.ndarray, rate: int = 16000):
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())


@pytest.fixture
def speech_tree(tmp_path):
    """A miniature official v0.02 tree: 3 target words, 2 other words, lists, background noise."""
    rng = np.random.default_rng(0)
    for word in ("yes", "no", "up", "bed", "cat"):
        for i in range(10):
            _write_wav(tmp_path / word / f"{i:04d}_nohash_0.wav", rng.integers(-3000, 3000, 16000 - 100 * i))
    _write_wav(tmp_path / "_background_noise_" / "white.wav", rng.integers(-5000, 5000, 48000))
    (tmp_path / "validation_list.txt").write_text("yes/0000_nohash_0.wav\nno/0000_nohash_0.wav\nbed/0001_nohash_0.wav\n")
    (tmp_path / "testing_list.txt").write_text("yes/0001_nohash_0.wav\n")
    return tmp_path


def test_speech_commands_tree(speech_tree, monkeypatch):
    monkeypatch.setenv("MCUNET_SPEECH_COMMANDS_DIR", str(speech_tree))
    task = load_task("kws")
    train = make_dataset(task, "train", augment=False)
    known = 8 + 9 + 10  # yes (minus val and test), no (minus val), up
    n_unknown = n_silence = math.ceil(known * 0.10)
    labels = train.labels.tolist()
    assert len(labels) == known + n_unknown + n_silence
    assert labels.count(task.labels.index("yes")) == 8 and labels.count(task.labels.index("up")) == 10
    assert labels.count(1) == n_unknown and labels.count(0) == n_silence
    first = train.clips[0]
    with wave.open(str(speech_tree / "no" / "0001_nohash_0.wav")) as w:
        assert np.array_equal(first, np.frombuffer(w.readframes(w.getnframes()), "<i2"))
    assert train[0][0].shape == (1, 49, 10)
    val = make_dataset(task, "val", augment=False)
    assert val.labels.tolist()[:2] == [task.labels.index("no"), task.labels.index("yes")]
    assert make_dataset(task, "train", augment=False).labels.tolist() == labels  # seeded choice

    (speech_tree / "testing_list.txt").unlink()
    with pytest.raises(UserError, match="testing_list.txt"):
        make_dataset(task, "train")


def test_npz_with_splits(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    path = tmp_path / "data.npz"
    np.savez(path, x=rng.integers(0, 256, (5, 24, 24, 3), dtype=np.uint8), y=np.array([0, 1, 0, 1, 1]),
             split=np.array(["train", "val", "train", "train", "val"]))
    task = load_task("vww")
    task = dataclasses.replace(task, dataset=dataclasses.replace(task.dataset, format="npz", source="path",
                                                                 path=str(path), path_env=None))
    assert make_dataset(task, "val", resolution=24).labels.tolist() == [1, 1]
    assert len(make_dataset(task, "train", resolution=24)) == 3
    np.savez(path, images=np.zeros((1, 4, 4, 3), np.uint8))
    with pytest.raises(UserError, match="no array x, y"):
        make_dataset(task, "train")


def test_real_vww_images_through_the_image_pipeline(shared_dir):
    data = shared_vww(shared_dir, "train2017", 64)
    x, y = data[0]
    assert x.shape == (3, 64, 64) and y in (0, 1) and -1.0 <= float(x.min()) and float(x.max()) <= 1.0
