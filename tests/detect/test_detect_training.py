"""The detector: YOLO heads on an mbv2 backbone at the task's strides, its loss, and a few
training steps on generated scenes that already find people (scored by the task's metric)."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from mcunet_core.arch import Arch, Stage
from mcunet_core.arch.detection import DetectionArch
from mcunet_core.detect import DetectionSpec
from mcunet_core.detect.data import make_detection_dataset
from mcunet_core.detect.decode import Decoder
from mcunet_core.detect.loss import detection_loss, giou
from mcunet_core.detect.net import DetectionNet
from mcunet_core.detect.train import detect, score, train_steps
from mcunet_core.errors import UserError
from mcunet_core.spec import load_task

torch.set_num_threads(1)

HEIGHT = 64  # person-det at 96x64: small enough to train in seconds


def tiny_backbone(width: int, height: int, strides=(2, 2, 2, 2)) -> Arch:
    stages = tuple(Stage(c, s, (3,), (3,)) for c, s in zip((16, 24, 32, 48), strides))
    return Arch("tiny", (height, width, 3), 1, 8, 3, 2, 8, 3, stages)


@pytest.fixture(scope="module")
def task():
    t = load_task("person-det")
    return dataclasses.replace(t, dataset=dataclasses.replace(t.dataset, embedded={**t.dataset.embedded, "samples": 40}))


@pytest.fixture(scope="module")
def spec(task):
    return DetectionSpec.from_task(task)


def test_heads_tap_the_backbone_at_the_strides(spec):
    width, height = spec.input_size(HEIGHT)
    arch = DetectionArch.for_task(tiny_backbone(width, height), spec)
    assert (width, height) == (96, 64) and arch.taps() == [2, 3, 4]
    assert arch.level_shapes() == [(8, 12, 18), (4, 6, 18), (2, 3, 18)]
    net = DetectionNet(arch)
    outs = net(torch.zeros(2, 3, height, width))
    assert [tuple(o.shape) for o in outs] == [(2, 18, 8, 12), (2, 18, 4, 6), (2, 18, 2, 3)]
    assert {"det0.dw", "det0.pw", "det0.pred", "b4.project", "stem"} <= set(net.ir_layers())
    # training starts near "nothing here": objectness 1 %
    assert torch.sigmoid(outs[0][:, 4]).mean().item() == pytest.approx(0.01, rel=0.2)
    with pytest.raises(UserError, match=r"backbone tiny: no block output at stride 32 for the detection heads "
                                        r"\(its strides: 2, 4, 8, 16\)"):
        DetectionArch.for_task(tiny_backbone(width, height, (2, 2, 2, 1)), spec)


def test_loss_parts_and_ignored_boxes(spec):
    outs = [torch.zeros(1, 18, 8 // (2 ** i), 12 // (2 ** i), requires_grad=True) for i in range(3)]
    anchors = spec.anchors_at(HEIGHT)
    none, parts = detection_loss(outs, torch.zeros(0, 8), spec.strides, anchors, 1, spec.loss)
    assert parts["box"] == 0 and parts["class"] == 0 and parts["objectness"] > 0
    crowd = torch.tensor([[0, 0, 10, 10, 40, 50, 0, 1], [0, 0, 50, 5, 60, 30, 1, 0]], dtype=torch.float32)
    assert detection_loss(outs, crowd, spec.strides, anchors, 1, spec.loss)[0].item() == pytest.approx(none.item())
    person = torch.tensor([[0, 0, 10, 10, 40, 50, 0, 0]], dtype=torch.float32)
    loss, parts = detection_loss(outs, person, spec.strides, anchors, 1, spec.loss)
    assert parts["box"] > 0 and parts["class"] > 0
    loss.backward()
    assert all(o.grad is not None and o.grad.abs().sum() > 0 for o in outs[:2])
    box = torch.tensor([[5.0, 5.0, 2.0, 4.0]])
    assert giou(box, box).item() == pytest.approx(1.0)
    assert giou(box, box + torch.tensor([[10.0, 0, 0, 0]])).item() < 0


def test_a_few_steps_learn_to_find_people(task, spec):
    width, height = spec.input_size(HEIGHT)
    net = DetectionNet(DetectionArch.for_task(tiny_backbone(width, height), spec))
    data = make_detection_dataset(task, "train", height=HEIGHT, augment=False)
    losses = train_steps(net, data, spec, steps=150, batch_size=8, lr=1e-2)
    assert sum(losses[-20:]) / 20 < 0.4 * sum(losses[:5]) / 5
    decoder = Decoder.from_spec(dataclasses.replace(spec, postprocess={**spec.postprocess, "score_threshold": 0.05}),
                                height)
    detections = detect(net, data, decoder)
    result = score(detections, [data.truth(i) for i in range(len(data))], spec)
    assert result.metric == "coco" and result.map50 > 0.25  # on the scenes it saw; an untrained net scores ~0

