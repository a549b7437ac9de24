"""Detection data: the generated person scenes (deterministic, boxes exact), the VOC, COCO and
npz loaders on tiny trees built here, box-aware letterbox and augmentation, the task's front
door, and user mistakes as one-line errors."""

from __future__ import annotations

import dataclasses
import importlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from mcunet_core.detect import Truth
from mcunet_core.detect.data import Geometry, collate, load_detection_npz, make_detection_dataset, synthetic_person_det
from mcunet_core.detect.data.synthetic import _painted, scene
from mcunet_core.errors import UserError
from mcunet_core.spec import load_task

SHARED = Path(__file__).resolve().parents[3] / "shared" / "datasets"


def person_det(samples: int = 40, **dataset):
    task = load_task("person-det")
    ds = dataclasses.replace(task.dataset, embedded={**task.dataset.embedded, "samples": samples}, **dataset)
    return dataclasses.replace(task, dataset=ds)


def with_data(task_name: str, fmt: str, path: Path, splits: dict | None = None):
    task = load_task(task_name)
    ds = dataclasses.replace(task.dataset, format=fmt, source="path", path=str(path), path_env=None,
                             splits=splits if splits is not None else task.dataset.splits)
    return dataclasses.replace(task, dataset=ds)


# -- synthetic-person-det --------------------------------------------------------------------------

def test_synthetic_scenes_are_deterministic_and_regenerate_alone():
    images, truths = synthetic_person_det(30, 5, "train", 64, 48)
    again, again_truths = synthetic_person_det.__wrapped__(30, 5, "train", 64, 48)
    assert np.array_equal(images, again) and images.shape == (24, 48, 64, 3) and not images.flags.writeable
    assert all(np.array_equal(a.boxes, b.boxes) for a, b in zip(truths, again_truths))
    s = scene(5, 7, 64 / 48)
    assert np.array_equal(s.render(64, 48), images[7]) and np.array_equal(s.truth(64, 48).boxes, truths[7].boxes)
    val, _ = synthetic_person_det(30, 5, "val", 64, 48)
    assert len(val) == 6 and not any(np.array_equal(v, t) for v in val for t in images)


def test_synthetic_chunks_render_as_one_process_would(monkeypatch):
    module = importlib.import_module("mcunet_core.detect.data.synthetic")
    monkeypatch.setattr(module, "CHUNK", 7)
    images, truths = module.synthetic_person_det.__wrapped__(25, 2, "train", 40, 32)  # 20 scenes, 3 chunks
    one, one_truths = module._render((2, range(20), 40, 32))
    assert np.array_equal(images, one)
    assert all(np.array_equal(a.boxes, b.boxes) for a, b in zip(truths, one_truths))


def test_synthetic_boxes_are_the_painted_figures_extent():
    """The pixels a person's parts paint at half coverage or more (the renderer's edge) span its box."""
    checked = 0
    width, height = 400, 320
    for index in range(30):
        s = scene(0, index, width / height)
        for k, (start, end) in enumerate(s.figures):
            cover = np.zeros((height, width))
            for part in s.parts[start:end]:
                for window, cov in _painted(part.shape, width, height):
                    cover[window] = np.maximum(cover[window], cov)
            ys, xs = np.nonzero(cover >= 0.5)
            x0, y0, x1, y1 = dataclasses.replace(s, persons=(s.persons[k],)).truth(width, height).boxes[0]
            # pixel centres inside the figure's exact extent, the outermost within a pixel of it
            # (1.5 px: a slanted limb the border cuts reaches on past the last row of centres)
            assert x0 <= xs.min() + 0.5 <= x0 + 1.5 and x1 - 1.5 <= xs.max() + 0.5 <= x1
            assert y0 <= ys.min() + 0.5 <= y0 + 1.5 and y1 - 1.5 <= ys.max() + 0.5 <= y1
            checked += 1
    assert checked >= 20


def test_synthetic_set_has_people_and_empty_scenes():
    _, truths = synthetic_person_det(400, 0, "train", 160, 128)
    counts = np.array([len(t) for t in truths])
    assert 0.12 < (counts == 0).mean() < 0.3 and counts.max() == 3
    boxes = np.concatenate([t.boxes for t in truths])
    assert (boxes[:, 2] > boxes[:, 0]).all() and (boxes >= 0).all() and (boxes[:, [0, 2]] <= 160).all()
    heights = boxes[:, 3] - boxes[:, 1]
    assert heights.min() < 25 and heights.max() > 100  # small and large persons


# -- geometry --------------------------------------------------------------------------------------

def _white_box_image(w, h, box):
    image = np.zeros((h, w, 3), np.uint8)
    x0, y0, x1, y1 = box
    image[y0:y1, x0:x1] = 255
    return image


def test_letterbox_keeps_the_aspect_and_moves_the_boxes():
    image = _white_box_image(200, 100, (40, 20, 120, 60))
    out, truth, placement = Geometry(160, 128)(image, Truth([[40, 20, 120, 60]], [0]))
    assert out.shape == (128, 160, 3) and (placement.scale_x, placement.pad_x, placement.pad_y) == (0.8, 0, 24)
    assert np.allclose(truth.boxes, [[32, 40, 96, 72]])
    assert (out[:24] == 114).all() and (out[104:] == 114).all()
    assert np.allclose(placement.boxes_to_image(truth.boxes), [[40, 20, 120, 60]])


def test_flip_and_scale_jitter_follow_the_image():
    image = _white_box_image(96, 64, (10, 8, 40, 50))
    geometry = Geometry(80, 64, pad=0, horizontal_flip=True, scale_jitter=0.5)
    torch.manual_seed(0)
    flips = 0
    for _ in range(30):
        out, truth, _ = geometry(image, Truth([[10, 8, 40, 50]], [0]))
        white = out.min(-1) > 127
        ys, xs = np.nonzero(white)
        if not len(truth):
            assert white.sum() < 0.25 * 30 * 42 * (80 / 96) ** 2 * 2.5  # little of it is left in the crop
            continue
        (b,) = truth.boxes
        assert abs(xs.min() - b[0]) <= 1.5 and abs(xs.max() + 1 - b[2]) <= 1.5
        assert abs(ys.min() - b[1]) <= 1.5 and abs(ys.max() + 1 - b[3]) <= 1.5
        flips += b[0] > 40  # the box started on the left
    assert 5 < flips < 25


def test_augmentation_is_driven_by_the_torch_seed():
    ds = make_detection_dataset(person_det(), "train")
    torch.manual_seed(3)
    a = [ds[i][0] for i in range(4)]
    torch.manual_seed(3)
    b = [ds[i][0] for i in range(4)]
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    val = make_detection_dataset(person_det(), "val")
    assert torch.equal(val[0][0], val[0][0])  # no augmentation off the train split


# -- the task's front door -------------------------------------------------------------------------

def test_person_det_embedded_default():
    task = person_det()
    ds = make_detection_dataset(task, "val")
    x, target = ds[1]
    assert x.shape == (3, 128, 160) and x.min() >= -1 and x.max() <= 1
    images, truths = synthetic_person_det(40, 0, "val", 160, 128)
    assert torch.allclose(target[:, 1:5], torch.from_numpy(truths[1].boxes).float())
    assert torch.allclose((x + 1) / 2 * 255, torch.from_numpy(np.array(images[1])).permute(2, 0, 1).float(), atol=1e-3)
    images, rows = collate([ds[0], ds[1], ds[2]])
    assert images.shape == (3, 3, 128, 160) and rows.shape[1] == 8
    assert rows[:, 0].tolist() == sorted(rows[:, 0].tolist())
    small = make_detection_dataset(task, "val", height=96)
    assert small[0][0].shape == (3, 96, 128)  # the width: the multiple of 32 nearest 96 x 5 / 4


def test_classification_data_refuses_a_detection_task():
    from mcunet_core.train.data import make_dataset
    with pytest.raises(UserError, match="person-det is a detection task"):
        make_dataset(person_det(), "train")


# -- VOC -------------------------------------------------------------------------------------------

def _voc_xml(objects):
    body = "".join(
        f"<object><name>{name}</name><difficult>{int(d)}</difficult><bndbox><xmin>{x0}</xmin><ymin>{y0}</ymin>"
        f"<xmax>{x1}</xmax><ymax>{y1}</ymax></bndbox></object>" for name, d, (x0, y0, x1, y1) in objects)
    return f"<annotation><size><width>64</width><height>48</height></size>{body}</annotation>"


@pytest.fixture
def voc_tree(tmp_path):
    root = tmp_path / "VOC2007"
    for sub in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (root / sub).mkdir(parents=True)
    annotations = {"000001": [("person", False, (11, 6, 30, 40)), ("dog", False, (1, 1, 10, 10))],
                   "000002": [("person", True, (21, 11, 60, 48))],
                   "000003": [("cat", False, (5, 5, 20, 20))]}
    for image_id, objects in annotations.items():
        (root / "Annotations" / f"{image_id}.xml").write_text(_voc_xml(objects))
        Image.fromarray(np.full((48, 64, 3), 90, np.uint8)).save(root / "JPEGImages" / f"{image_id}.jpg")
    (root / "ImageSets/Main/trainval.txt").write_text("000001\n000002\n")
    (root / "ImageSets/Main/test.txt").write_text("000003\n")
    return root


def test_voc_tree_through_the_person_task(voc_tree):
    ds = make_detection_dataset(with_data("person-det", "voc", voc_tree, {"train": "trainval", "val": "test"}), "train",
                                augment=False)
    assert len(ds) == 2
    # 64x48 letterboxed to 160x128: scale 2.5, pad y 4; VOC's xmin 11 is the continuous corner 10
    first, second = ds.truth(0), ds.truth(1)
    assert np.allclose(first.boxes, [[25, 4 + 12.5, 75, 4 + 100]]) and first.classes.tolist() == [0]  # the dog is dropped
    assert second.difficult.tolist() == [True]
    val = make_detection_dataset(with_data("person-det", "voc", voc_tree, {"train": "trainval", "val": "test"}), "val")
    assert len(val) == 1 and len(val.truth(0)) == 0  # a cat only: a negative


def test_voc_all_classes(voc_tree):
    from mcunet_core.detect.data import VOC_CLASSES, voc
    src = voc(voc_tree, "trainval", VOC_CLASSES)
    assert src.truth(0).classes.tolist() == [VOC_CLASSES.index("person"), VOC_CLASSES.index("dog")]
    assert src.image(0).shape == (48, 64, 3) and load_task("voc").labels == VOC_CLASSES


def test_voc_mistakes_name_the_file_and_field(voc_tree):
    from mcunet_core.detect.data import voc
    with pytest.raises(UserError, match=r"no image list ImageSets/Main/train.txt \(lists: test, trainval;"):
        voc(voc_tree, "train", ["person"])
    (voc_tree / "Annotations/000002.xml").write_text("<annotation><object><name>person</name>")
    with pytest.raises(UserError, match=r"000002.xml: not valid XML"):
        voc(voc_tree, "trainval", ["person"])
    (voc_tree / "Annotations/000002.xml").write_text(
        "<annotation><object><name>person</name><bndbox><xmin>a</xmin></bndbox></object></annotation>")
    with pytest.raises(UserError, match=r"000002.xml: object 0: bndbox/xmin is 'a', not a number"):
        voc(voc_tree, "trainval", ["person"])
    (voc_tree / "Annotations/000002.xml").unlink()
    with pytest.raises(UserError, match=r"000002.xml: no such annotation file"):
        voc(voc_tree, "trainval", ["person"])


# -- COCO ------------------------------------------------------------------------------------------

@pytest.fixture
def coco_tree(tmp_path):
    root = tmp_path / "coco"
    (root / "annotations").mkdir(parents=True)
    (root / "val2017").mkdir()
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        Image.fromarray(np.full((64, 80, 3), 50, np.uint8)).save(root / "val2017" / name)
    data = {"images": [{"id": 7, "file_name": "a.jpg"}, {"id": 9, "file_name": "b.jpg"}, {"id": 11, "file_name": "c.jpg"}],
            "categories": [{"id": 1, "name": "person"}, {"id": 18, "name": "dog"}],
            "annotations": [{"id": 1, "image_id": 7, "category_id": 1, "bbox": [10, 5, 20, 30], "iscrowd": 0},
                            {"id": 2, "image_id": 7, "category_id": 18, "bbox": [0, 0, 5, 5], "iscrowd": 0},
                            {"id": 3, "image_id": 9, "category_id": 1, "bbox": [0, 0, 80, 64], "iscrowd": 1},
                            {"id": 4, "image_id": 9, "category_id": 1, "bbox": [4, 4, 8, 8]}]}
    (root / "annotations" / "instances_val2017.json").write_text(json.dumps(data))
    return root


def test_coco_json_filtered_to_the_task(coco_tree):
    ds = make_detection_dataset(with_data("person-det", "coco", coco_tree), "val")
    assert len(ds) == 3
    # 80x64 -> 160x128: scale 2, no pad
    assert np.allclose(ds.truth(0).boxes, [[20, 10, 60, 70]]) and ds.truth(0).classes.tolist() == [0]
    assert ds.truth(1).crowd.tolist() == [True, False] and len(ds.truth(2)) == 0


def test_coco_mistakes_name_the_file_and_field(coco_tree):
    from mcunet_core.detect.data import coco
    with pytest.raises(UserError, match=r"no annotation file annotations/instances_train2017.json \(found: instances_val2017.json\)"):
        coco(coco_tree, "train2017", ["person"])
    with pytest.raises(UserError, match=r"instances_val2017.json: no category cat \(categories: dog, person\)"):
        coco(coco_tree, "val2017", ["cat"])
    path = coco_tree / "annotations" / "instances_val2017.json"
    data = json.loads(path.read_text())
    data["annotations"][3]["bbox"] = [1, 2, -3, 4]
    path.write_text(json.dumps(data))
    with pytest.raises(UserError, match=r"annotations\[3\]: bbox must be \[x, y, width, height\] with width, height >= 0"):
        coco(coco_tree, "val2017", ["person"])
    path.write_text("{")
    with pytest.raises(UserError, match="instances_val2017.json: not valid JSON"):
        coco(coco_tree, "val2017", ["person"])


# -- npz -------------------------------------------------------------------------------------------

def test_npz_arrays_and_encoded_images(tmp_path):
    images = np.random.default_rng(0).integers(0, 255, (4, 32, 40, 3), dtype=np.uint8)
    boxes = np.array([[1, 2, 10, 12], [5, 5, 30, 30], [0, 0, 4, 4]], np.float32)
    arrays = dict(boxes=boxes, box_image=np.array([2, 1, 2]), iscrowd=np.array([0, 0, 1], np.uint8),
                  split=np.array(["train", "val", "train", "train"]))
    np.savez(tmp_path / "raw.npz", x=images, **arrays)
    src = load_detection_npz(tmp_path / "raw.npz", "train", ["person"])
    assert len(src) == 3 and np.array_equal(src.image(1), images[2])
    assert np.allclose(src.truth(1).boxes, boxes[[0, 2]]) and src.truth(1).crowd.tolist() == [False, True]
    assert len(src.truth(0)) == 0 and len(src.truth(2)) == 0  # negatives
    assert np.allclose(load_detection_npz(tmp_path / "raw.npz", "val", ["person"]).truth(0).boxes, boxes[[1]])
    encoded, offsets = [], [0]
    for im in images:
        path = tmp_path / "im.png"
        Image.fromarray(im).save(path)
        encoded.append(np.frombuffer(path.read_bytes(), np.uint8))
        offsets.append(offsets[-1] + len(encoded[-1]))
    np.savez(tmp_path / "enc.npz", jpeg=np.concatenate(encoded), offsets=np.array(offsets), **arrays)
    enc = load_detection_npz(tmp_path / "enc.npz", "train", ["person"])
    assert np.array_equal(enc.image(1), images[2]) and np.allclose(enc.truth(1).boxes, src.truth(1).boxes)


def test_npz_mistakes_name_the_file_and_field(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, x=np.zeros((2, 8, 8, 3), np.uint8), boxes=np.zeros((1, 4)))
    with pytest.raises(UserError, match=r"d.npz: no array box_image \(has: boxes, x\)"):
        load_detection_npz(path, "train", ["person"])
    with pytest.raises(UserError, match=r"no array box_image, box_class"):
        load_detection_npz(path, "train", ["cat", "dog"])
    np.savez(path, x=np.zeros((2, 8, 8, 3), np.uint8), boxes=np.array([[5, 0, 1, 4]]), box_image=[0])
    with pytest.raises(UserError, match=r"boxes\[0\] = \[5.0, 0.0, 1.0, 4.0\] is not x0 <= x1, y0 <= y1"):
        load_detection_npz(path, "train", ["person"])
    np.savez(path, x=np.zeros((2, 8, 8, 3), np.uint8), boxes=np.array([[0, 0, 1, 4]]), box_image=[2])
    with pytest.raises(UserError, match=r"box_image must index the 2 images \(0..1\)"):
        load_detection_npz(path, "train", ["person"])
    np.savez(path, x=np.zeros((2, 8, 8, 3), np.uint8), boxes=np.array([[0, 0, 1, 4]]), box_image=[1], split=["a", "b"])
    with pytest.raises(UserError, match=r"no image has split 'train' \(splits: a, b\)"):
        load_detection_npz(path, "train", ["person"])
    path.write_bytes(b"not an archive")
    with pytest.raises(UserError, match="cannot read"):
        load_detection_npz(path, "train", ["person"])


def test_real_coco_person_boxes_through_the_npz_loader():
    path = SHARED / "coco_person_det.npz"
    if not path.exists():
        pytest.skip(f"{path} is absent (real data for benchmarks, outside the repository)")
    task = with_data("person-det", "npz", path, {"train": "train", "val": "val"})
    ds = make_detection_dataset(task, "val")
    assert len(ds) == 704
    boxes = sum(len(ds.source.truth(i)) for i in range(len(ds)))
    crowd = sum(int(ds.source.truth(i).crowd.sum()) for i in range(len(ds)))
    assert (boxes, crowd) == (2800, 59)
    x, target = ds[0]
    assert x.shape == (3, 128, 160)  # already 160x128: the letterbox leaves it as it is
    assert torch.allclose(target[:, 1:5], torch.from_numpy(ds.source.truth(0).boxes).float())
