"""The one-shot supernet of a detection task: the mbv2 space's ``Supernet`` as the backbone
and the task's heads (``make_heads``) reading, per level, the output of the last active block
of the last stage at that stride (as ``DetectionArch.taps`` picks them: with elastic depth the
tapped block moves, its channels do not). ``extract`` copies a subnet into a ``DetectionNet``
(the training stage fine-tunes it), and ``DetectionFitness`` scores subnets for the evolution
by mAP@0.5 on held-out scenes after BatchNorm re-estimation."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..arch.detection import DetectionArch
from ..train.net import init_weights
from ..train.supernet import Supernet
from ..train.train import recalibrate_bn
from .data import collate
from .decode import Decoder, to_float
from .net import DetectionNet, init_predictions, make_heads
from .train import score, truths


class DetectionSupernet(nn.Module):
    """Every detector of ``space`` (backbones) with ``spec``'s heads, in one set of weights."""

    def __init__(self, space, spec, seed: int = 0):
        super().__init__()
        self.space, self.spec = space, spec
        self.backbone = Supernet(space, seed=seed)
        template = DetectionArch.for_task(space.largest(), spec)
        self.heads = make_heads(template)
        init_weights(self.heads, seed)  # as DetectionNet initialises its own
        init_predictions(self.heads, template)
        stride, last = space.largest().stem_stride, {}
        for i, s in enumerate(space.strides):  # the first block keeps the stem's stride
            stride *= s
            last[stride] = i
        self.stages_tapped = [last[s] for s in spec.strides]

    @property
    def active(self):
        return self.backbone.active

    def set_active(self, arch) -> None:
        self.backbone.set_active(arch)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        bb = self.backbone
        x = bb.first(bb.stem(x))
        features = {}
        for i, (stage, slots) in enumerate(zip(bb.active.stages, bb.stages)):
            for slot in slots[: stage.depth]:
                x = slot(x)
            features[i] = x
        return [head(features[i]) for i, head in zip(self.stages_tapped, self.heads)]

    @torch.no_grad()
    def extract(self, arch) -> DetectionNet:
        """A standalone ``DetectionNet`` of ``arch``'s backbone with these weights."""
        backbone = self.backbone.extract(arch)
        net = DetectionNet(DetectionArch.for_task(arch, self.spec))
        net.stem.load_state_dict(backbone.stem.state_dict())
        for block, source in zip(net.blocks, backbone.blocks):
            block.load_state_dict(source.state_dict())
        net.heads.load_state_dict(self.heads.state_dict())
        return net.train(self.training)


#: bootstrap resamples of the fitness images for the paired standard error of two subnets
BOOTSTRAP = 200


class DetectionFitness:
    """The evolution's fitness for a detector: mAP@0.5 on ``fitness_data`` of the supernet's
    subnet, after BatchNorm re-estimation on ``bn_batches`` fixed batches of
    ``calibration_data``, decoded in integers as the device decodes (``Decoder``). Each
    subnet's detections are memoized per image, so two networks compare on the same images
    (``paired_stderr``: a paired bootstrap over the images; mAP has no per-sample variance)."""

    metric = "map50"

    def __init__(self, supernet: DetectionSupernet, calibration_data, fitness_data, *, bn_batches: int = 4,
                 batch_size: int = 64, seed: int = 0, ranks=None):
        self.supernet, self.spec = supernet, supernet.spec
        self.decoder = Decoder.from_spec(self.spec, fitness_data.geometry.height)
        g = torch.Generator().manual_seed(seed)
        loader = torch.utils.data.DataLoader(calibration_data, batch_size=batch_size, shuffle=True, generator=g,
                                             collate_fn=collate)
        self.calibration = [x for i, (x, _) in zip(range(bn_batches), loader)]
        self.images = [fitness_data[i][0] for i in range(len(fitness_data))]
        self.truths = truths(fitness_data)
        self.samples = len(self.images)
        self.seed = seed
        self.memo: dict = {}

    def detections(self, arch) -> list[np.ndarray]:
        key = _key(arch)
        if key not in self.memo:
            net = self.supernet.extract(arch)
            recalibrate_bn(net, self.calibration)
            with torch.no_grad():
                out = []
                for start in range(0, self.samples, 64):
                    levels = net(torch.stack(self.images[start:start + 64]))
                    out += [to_float(self.decoder.from_float([o[j].numpy() for o in levels]))
                            for j in range(levels[0].shape[0])]
            self.memo[key] = out
        return self.memo[key]

    def evaluate(self, arch) -> float:
        return self._map50(self.detections(arch), np.arange(self.samples))

    __call__ = evaluate

    def prefetch(self, archs) -> None:
        for arch in archs:
            self.detections(arch)

    def _map50(self, detections, images) -> float:
        value = score([detections[i] for i in images], [self.truths[i] for i in images], self.spec).map50
        return 0.0 if math.isnan(value) else float(value)

    #: a mAP has no per-sample variance (no ``stderr(value)``): the paired bootstrap is ``paired_stderr``
    stderr = None

    def paired_stderr(self, a, b) -> float:
        """Bootstrap standard error of mAP@0.5(a) - mAP@0.5(b), the same resampled images for both."""
        da, db = self.detections(a), self.detections(b)
        rng = np.random.default_rng(self.seed)
        diffs = []
        for _ in range(BOOTSTRAP):
            images = rng.integers(0, self.samples, self.samples)
            diffs.append(self._map50(da, images) - self._map50(db, images))
        return float(np.std(diffs, ddof=1)) if self.samples > 1 else 0.0


def _key(arch):
    import dataclasses

    return dataclasses.replace(arch, name="nas")
