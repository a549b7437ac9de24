"""Training on CPU or a GPU (``Compute``): the one-shot supernet (sandwich rule with in-place distillation), a
standalone network (fine-tuning a searched subnet, or training a fixed architecture), and
accuracy, including a subnet's accuracy as the evolutionary search's fitness.

Every epoch seeds torch, the shuffling and the subnet sampling from (seed, epoch), so a run
is reproducible and a run resumed from its checkpoint (saved after every epoch) continues
exactly as an uninterrupted one. The learning rate follows a cosine schedule per step.
Models train on ``compute``'s device; evaluation and BN re-estimation run where the model is.
With ``ranks`` (torchrun's processes) each rank prepares and trains on its slice of every
global batch (``batches``, ``distributed``): the supernet's gradients averaged by hand, a
network's by DistributedDataParallel; only rank 0 prints and writes the checkpoint.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from ..arch import Arch
from .batches import rank_loader
from .checkpoint import load_checkpoint, save_checkpoint
from .compute import CPU, Compute, device_of
from .distributed import AveragedByHand, Ranks, Replicated
from .net import IrNet
from .supernet import Supernet


@dataclass(frozen=True)
class TrainSettings:
    epochs: int = 30
    batch_size: int = 64
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 4e-5  # not applied to BN parameters and biases
    label_smoothing: float = 0.1
    sandwich: int = 4  # subnets per supernet step: the largest, the smallest, sandwich - 2 random
    distill: bool = True  # in-place distillation: subnets learn the largest subnet's soft labels
    balance_classes: bool = False  # weight the loss by inverse class frequency
    seed: int = 0
    workers: int = 0


def train_supernet(supernet: Supernet, data, settings: TrainSettings, *, checkpoint=None,
                   progress: bool = True, compute: Compute = CPU, ranks: Ranks = Ranks(),
                   objective=None) -> list[dict]:
    """Train every subnet at once; returns the per-epoch history (mean loss per subnet).
    ``objective``: the loss (``Classification`` by default); in-place distillation only where
    it has soft labels to distil (``objective.distills``)."""
    space = supernet.space
    objective = objective or CLASSIFICATION
    criterion = objective.criterion(data, settings, compute)
    distill = settings.distill and objective.distills

    def step(model, x, y, rng, precision) -> float:
        archs = [space.largest(), space.smallest()][: settings.sandwich]
        archs += [space.sample(rng) for _ in range(settings.sandwich - len(archs))]
        teacher, total = None, 0.0
        for arch in archs:
            supernet.set_active(arch)
            with precision.autocast():
                out = model(x)
                loss = criterion(out, y) if teacher is None else soft_cross_entropy(out, teacher)
            precision.backward(loss)
            if distill and teacher is None:
                teacher = F.softmax(out.detach(), dim=1)
            total += loss.item()
        return total / len(archs)

    try:
        return _fit(supernet, data, settings, step, {"kind": "supernet", "space": dataclasses.asdict(space)},
                    checkpoint, progress, "supernet", compute=compute, ranks=ranks, gradients=AveragedByHand(ranks))
    finally:
        supernet.set_active(space.largest())


class Classification:
    """What training optimises and reports for a classification task: cross-entropy (label
    smoothing, optional class balance), and top-1 accuracy on the validation data. Other
    task kinds bring their own (``mcunet_core.detect.train.Detection``)."""

    distills = True  # the supernet's subnets learn the largest one's soft labels

    def criterion(self, data, settings: TrainSettings, compute: Compute = CPU) -> Callable:
        """``loss(outputs, targets)`` of a batch."""
        return _criterion(data, settings, compute)

    def validate(self, net: nn.Module, data) -> dict:
        """The per-epoch figures of ``net`` on ``data`` (history keys)."""
        return {"val_accuracy": evaluate(net, data)}


CLASSIFICATION = Classification()


def train_net(net: IrNet, data, settings: TrainSettings, *, checkpoint=None, progress: bool = True,
              before_epoch: Callable[[int], None] | None = None, desc: str = "train", val_data=None,
              compute: Compute = CPU, ranks: Ranks = Ranks(), objective=CLASSIFICATION) -> list[dict]:
    """Train (or fine-tune) one network with ``objective``'s loss (cross-entropy by default);
    returns the per-epoch history (with each epoch's ``objective.validate`` on ``val_data``
    when given).
    ``before_epoch(epoch)`` runs after the net is put in training mode (QAT freezes BN there);
    ``desc`` names the phase in the progress output."""
    criterion = objective.criterion(data, settings, compute)

    def step(model, x, y, rng, precision) -> float:
        with precision.autocast():
            loss = criterion(model(x), y)
        precision.backward(loss)
        return loss.item()

    validate = None if val_data is None else (lambda: objective.validate(net, val_data))
    return _fit(net, data, settings, step, {"kind": "net", "arch": repr(net.arch)}, checkpoint, progress, desc,
                before_epoch, validate, compute=compute, ranks=ranks, gradients=Replicated(ranks))


def channels_last(x):
    """Convolutions run 1.5-2x faster on CPU with NHWC strides (oneDNN); applied to a model
    (its 4-d weights) or a batch, values unchanged."""
    if isinstance(x, nn.Module):
        return x.to(memory_format=torch.channels_last)
    return x.contiguous(memory_format=torch.channels_last) if x.dim() == 4 else x


def soft_cross_entropy(logits: torch.Tensor, target_probs: torch.Tensor) -> torch.Tensor:
    return -(target_probs * F.log_softmax(logits, dim=1)).sum(dim=1).mean()


@torch.no_grad()
def predict(model: nn.Module, data, batch_size: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """(predicted class, label) of every sample of ``data`` (eval mode, on the model's device)."""
    was_training = model.training
    device = device_of(model)
    channels_last(model).eval()
    predicted, labels = [], []
    for x, y in torch.utils.data.DataLoader(data, batch_size=batch_size, shuffle=False):
        predicted.append(model(channels_last(x).to(device)).argmax(dim=1).cpu().numpy())
        labels.append(y.numpy())
    model.train(was_training)
    return np.concatenate(predicted), np.concatenate(labels)


def evaluate(model: nn.Module, data, batch_size: int = 128) -> float:
    """Top-1 accuracy (eval mode)."""
    predicted, labels = predict(model, data, batch_size)
    return float((predicted == labels).mean()) if len(labels) else 0.0


@torch.no_grad()
def recalibrate_bn(net: nn.Module, batches) -> None:
    """Re-estimate every BatchNorm's statistics as the exact average over ``batches``
    (OFA: a subnet's statistics differ from the supernet's mixed running averages), on the
    net's device."""
    device = device_of(net)
    norms = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average
    channels_last(net).train()
    with torch.no_grad():  # statistics only: no autograd graph to build
        for x in batches:
            net(channels_last(x).to(device))
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum
    net.eval()


def standard_error(accuracy: float, samples: int) -> float:
    """Standard error of an accuracy measured on ``samples`` independent samples (binomial)."""
    return math.sqrt(max(accuracy * (1 - accuracy), 0.0) / max(samples, 1))


#: images per BatchNorm re-estimation pass of ``SubnetEvaluator``
BN_CHUNK = 256


class SubnetEvaluator:
    """The evolutionary search's fitness: ``evaluate(arch)`` = top-1 accuracy on ``val_data``
    of the supernet's subnet ``arch``, after BN re-estimation on ``bn_batches`` fixed batches
    of ``calibration_data``, fed in chunks of up to ``BN_CHUNK`` images (fewer, larger
    forward passes: faster, and each chunk's variance is exact over its images). Batches are
    prepared once; each arch's per-sample correctness is
    memoized, so two networks compare on the same samples (``paired_stderr``).
    ``stderr(accuracy)`` is an accuracy's standard error on this many samples. Subnets run on
    the supernet's device; ``prefetch(archs)`` scores several at once, spread over ``ranks``."""

    def __init__(self, supernet: Supernet, calibration_data, val_data, *, bn_batches: int = 10,
                 batch_size: int = 64, seed: int = 0, ranks: Ranks = Ranks()):
        self.supernet, self.ranks = supernet, ranks
        self.device = device_of(supernet)
        g = torch.Generator().manual_seed(seed)
        loader = torch.utils.data.DataLoader(calibration_data, batch_size=batch_size, shuffle=True, generator=g)
        images = [x for x, _ in _take(loader, bn_batches)]
        per = max(1, BN_CHUNK // batch_size)
        self.calibration = [channels_last(torch.cat(images[i:i + per])) for i in range(0, len(images), per)]
        self.val = [(channels_last(x), y) for x, y in torch.utils.data.DataLoader(val_data, batch_size=256, shuffle=False)]
        self.samples = sum(len(y) for _, y in self.val)
        self.memo: dict[Arch, np.ndarray] = {}

    def stderr(self, accuracy: float) -> float:
        return standard_error(accuracy, self.samples)

    def correct(self, arch: Arch) -> np.ndarray:
        """Whether the subnet classifies each sample right (bool, in data order)."""
        if arch not in self.memo:
            self.memo[arch] = self._hits(arch)
        return self.memo[arch]

    def prefetch(self, archs) -> None:
        """Score the ``archs`` not scored yet, each on one rank (every rank gets every result)."""
        missing = list(dict.fromkeys(a for a in archs if a not in self.memo))
        self.memo.update(zip(missing, self.ranks.gather(missing, self._hits)))

    def _hits(self, arch: Arch) -> np.ndarray:
        net = self.supernet.extract(arch).to(self.device)
        recalibrate_bn(net, self.calibration)
        with torch.no_grad():
            hits = [(net(x.to(self.device)).argmax(dim=1).cpu() == y).numpy() for x, y in self.val]
        return np.concatenate(hits) if hits else np.zeros(0, bool)

    def evaluate(self, arch: Arch) -> float:
        hits = self.correct(arch)
        return float(hits.mean()) if len(hits) else 0.0

    def paired_stderr(self, a: Arch, b: Arch) -> float:
        """Standard error of accuracy(a) - accuracy(b) on these shared samples: subnets of one
        supernet err on mostly the same samples, so the difference is far less noisy than
        either accuracy."""
        d = self.correct(a).astype(np.float64) - self.correct(b).astype(np.float64)
        return float(np.std(d, ddof=1) / math.sqrt(len(d))) if len(d) > 1 else 0.0

    __call__ = evaluate


# -- the loop ------------------------------------------------------------------------------

def _take(iterable, n: int):
    for i, item in enumerate(iterable):
        if i >= n:
            return
        yield item


def _criterion(data, settings: TrainSettings, compute: Compute = CPU) -> Callable:
    weight = None
    if settings.balance_classes:
        counts = np.bincount(np.asarray(data.labels), minlength=len(data.classes)).astype(np.float64)
        weight = torch.tensor(np.where(counts > 0, counts.sum() / np.maximum(counts, 1) / len(counts), 0.0),
                              dtype=torch.float32)
    return compute.to(nn.CrossEntropyLoss(weight=weight, label_smoothing=settings.label_smoothing))


def _optimizer(model: nn.Module, s: TrainSettings) -> torch.optim.Optimizer:
    decay = [p for p in model.parameters() if p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.ndim <= 1]
    return torch.optim.SGD([{"params": decay, "weight_decay": s.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
                           lr=s.lr, momentum=s.momentum, nesterov=s.momentum > 0)


def _loader(data, s: TrainSettings, epoch: int, compute: Compute = CPU, ranks: Ranks = Ranks()):
    g = torch.Generator().manual_seed(int(np.random.SeedSequence([s.seed, epoch, 1]).generate_state(1)[0]))
    return rank_loader(data, s.batch_size, g, ranks, workers=s.workers, pin_memory=compute.device == "cuda")


class _Precision:
    """A training step's forward context and its backward and optimizer step: plain, or float16
    autocast with gradient scaling (``Compute.amp``). ``share``: this rank's part of the global
    batch (its mean loss is weighted by it, so the averaged gradient is the global batch's)."""

    def __init__(self, compute: Compute):
        self.autocast = compute.autocast
        self.scaler = compute.scaler()
        self.share = 1.0

    def backward(self, loss: torch.Tensor) -> None:
        loss = loss if self.share == 1.0 else loss * self.share
        (loss if self.scaler is None else self.scaler.scale(loss)).backward()

    def step(self, opt: torch.optim.Optimizer) -> None:
        if self.scaler is None:
            opt.step()
        else:
            self.scaler.step(opt)
            self.scaler.update()


def _fit(model: nn.Module, data, s: TrainSettings, step, fingerprint: dict, checkpoint, progress: bool,
         desc: str, before_epoch: Callable[[int], None] | None = None,
         validate: Callable[[], dict] | None = None, compute: Compute = CPU, ranks: Ranks = Ranks(),
         *, gradients: AveragedByHand | Replicated) -> list[dict]:
    """The epochs of ``step(module, x, y, rng, precision)`` over this rank's slices of the global
    batches; ``gradients`` makes ``module`` and averages the gradients over the ranks."""
    fingerprint = {**fingerprint, "settings": dataclasses.asdict(s), "samples": len(data)}
    ranks.check_batch(s.batch_size)
    progress = progress and ranks.main
    compute.to(channels_last(model))
    precision = _Precision(compute)
    opt = _optimizer(model, s)
    start, history = 0, []
    state = ranks.broadcast(load_checkpoint(checkpoint, fingerprint) if checkpoint and ranks.main else None)
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        if precision.scaler is not None and "scaler" in state:
            precision.scaler.load_state_dict(state["scaler"])
        start, history = state["epoch"], state["history"]
        if progress:
            print(f"{desc}: resuming after epoch {start}/{s.epochs} from {checkpoint}", flush=True)
    steps = len(_loader(data, s, 0))
    module = gradients.wrap(model)
    with ranks.global_batch(model):
        for epoch in range(start, s.epochs):
            torch.manual_seed(int(np.random.SeedSequence([s.seed, epoch, 0]).generate_state(1)[0]))
            rng = np.random.default_rng([s.seed, epoch, 2])
            model.train()
            if before_epoch is not None:
                before_epoch(epoch)
            losses = []
            # a bar on a terminal; a log (CI, a file) gets one line per epoch instead
            loader = _loader(data, s, epoch, compute, ranks)
            precision.share = loader.batch_sampler.share
            bar = tqdm(loader, desc=f"{desc} {epoch + 1}/{s.epochs}", leave=False,
                       disable=None if progress else True)
            for i, (x, y) in enumerate(bar):
                for group in opt.param_groups:
                    group["lr"] = 0.5 * s.lr * (1 + math.cos(math.pi * (epoch * steps + i) / (s.epochs * steps)))
                opt.zero_grad(set_to_none=True)
                losses.append(ranks.mean(step(module, compute.to(channels_last(x)), compute.to(y), rng, precision),
                                         precision.share))
                gradients.after_backward(model)
                precision.step(opt)
                bar.set_postfix(loss=f"{losses[-1]:.3f}")
            history.append({"epoch": epoch + 1, "loss": float(np.mean(losses)) if losses else float("nan"),
                            **(validate() if validate is not None else {})})
            if progress:
                val = "".join(f", {k.replace('_', ' ')} {v:.3f}" for k, v in history[-1].items()
                              if k.startswith("val_"))
                line = f"{desc} {epoch + 1}/{s.epochs}: loss {history[-1]['loss']:.3f}{val}"
                tqdm.write(line) if not bar.disable else print(line, flush=True)
            if checkpoint and ranks.main:
                state = {"fingerprint": fingerprint, "epoch": epoch + 1, "history": history,
                         "model": model.state_dict(), "optimizer": opt.state_dict()}
                if precision.scaler is not None:
                    state["scaler"] = precision.scaler.state_dict()
                save_checkpoint(checkpoint, state)
    return history
