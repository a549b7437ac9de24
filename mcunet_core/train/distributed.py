"""Data-parallel training over the processes ``torchrun`` starts (gloo on CPU, nccl on cuda).

Every rank walks the same global batches in the same order (``batches``: the one-process
order, every sample's augmentation drawn on every rank, only its own slice loaded) and trains
on its slice of each; gradients are averaged over the ranks once per optimizer step (by hand
for the supernet, by DistributedDataParallel for a network), and BatchNorm in training mode
normalises with the statistics of the whole global batch (``batch_norm``), so N
processes compute what one process computes on the full batch, up to the order of float sums.

    Ranks.from_environment(compute) -> Ranks      (torchrun's RANK / WORLD_SIZE; one rank without)
    ranks.part(n) -> (lo, hi): this rank's slice of a global batch of n samples
    AveragedByHand(ranks) | Replicated(ranks): .wrap(model) -> the module a step runs; .after_backward(model)
    ranks.average_gradients(params);  with ranks.global_batch(model): ...
    ranks.gather(items, fn) -> [fn(item) for item in items], each computed on one rank
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from ..errors import UserError

_SYNCED = False  # inside Ranks.global_batch: training BatchNorm reduces its statistics over the ranks


@dataclass(frozen=True)
class Ranks:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @classmethod
    def from_environment(cls, device: str = "cpu") -> "Ranks":
        """The ranks torchrun started (its RANK, WORLD_SIZE, LOCAL_RANK), with the process group
        joined (nccl for cuda, else gloo); one rank when not started by torchrun."""
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world == 1:
            return cls()
        ranks = cls(int(os.environ["RANK"]), world, int(os.environ.get("LOCAL_RANK", "0")))
        if not dist.is_initialized():
            if device == "cuda":
                torch.cuda.set_device(ranks.local_rank)
            dist.init_process_group("nccl" if device == "cuda" else "gloo")
        return ranks

    @property
    def distributed(self) -> bool:
        return self.world > 1

    @property
    def main(self) -> bool:
        """Rank 0: the one that writes artifacts and prints progress."""
        return self.rank == 0

    def check_batch(self, batch_size: int) -> None:
        if batch_size % self.world:
            raise UserError(f"batch_size {batch_size} does not split over {self.world} processes: "
                            "give procs= a divisor of the batch size")

    def part(self, n: int) -> tuple[int, int]:
        """This rank's slice [lo, hi) of a global batch of ``n`` samples (``torch.tensor_split``'s)."""
        q, r = divmod(n, self.world)
        lo = self.rank * q + min(self.rank, r)
        return lo, lo + q + (self.rank < r)

    def average_gradients(self, params) -> None:
        """Every parameter's gradient averaged over the ranks (one collective per step)."""
        grads = [p.grad for p in params if p.grad is not None]
        if not self.distributed or not grads:
            return
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        flat /= self.world
        offset = 0
        for g in grads:
            g.copy_(flat[offset:offset + g.numel()].view(g.shape))
            offset += g.numel()

    def mean(self, value: float, weight: float) -> float:
        """The weighted mean over the ranks of a per-rank ``value`` (a logged loss)."""
        if not self.distributed:
            return value
        t = torch.tensor([value * weight, weight], dtype=torch.float64)
        dist.all_reduce(t)
        return float(t[0] / t[1])

    @contextlib.contextmanager
    def global_batch(self, model: nn.Module):
        """Within: ``model``'s BatchNorm layers (and ``batch_norm`` calls) in training mode use
        the statistics of the global batch, and its Dropout layers this rank's rows of the
        global batch's mask."""
        global _SYNCED
        if not self.distributed:
            yield
            return
        swaps = {nn.BatchNorm2d: GlobalBatchNorm2d, nn.Dropout: GlobalDropout}
        swapped = [m for m in model.modules() if type(m) in swaps]
        for m in swapped:
            m.__class__ = swaps[type(m)]
        _SYNCED = True
        try:
            yield
        finally:
            _SYNCED = False
            for m in swapped:
                m.__class__ = next(plain for plain, synced in swaps.items() if synced is type(m))

    def gather(self, items: list, fn) -> list:
        """``[fn(item) for item in items]``, item i computed on rank i % world, every result on every rank."""
        if not self.distributed:
            return [fn(item) for item in items]
        mine = {i: fn(item) for i, item in enumerate(items) if i % self.world == self.rank}
        parts: list = [None] * self.world
        dist.all_gather_object(parts, mine)
        merged = {i: r for part in parts for i, r in part.items()}
        return [merged[i] for i in range(len(items))]

    def broadcast(self, value):
        """Rank 0's ``value`` on every rank."""
        if not self.distributed:
            return value
        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def barrier(self) -> None:
        if self.distributed:
            dist.barrier()


def batch_norm(x, running_mean, running_var, weight, bias, training: bool, momentum: float, eps: float):
    """``F.batch_norm``; inside ``Ranks.global_batch`` a training pass normalises with the
    mean and variance of the global batch (two all-reduces, gradients through both) and
    updates the running statistics with them, as one process on the whole batch does."""
    if not (training and _SYNCED):
        return F.batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps)
    all_reduce = _SumOverRanks.apply
    dims = [0, *range(2, x.dim())]
    count = torch.tensor([x.numel() / x.shape[1]], dtype=x.dtype, device=x.device)
    dist.all_reduce(count)
    mean = all_reduce(x.sum(dims)) / count
    shape = [1, -1] + [1] * (x.dim() - 2)
    centred = x - mean.reshape(shape)
    var = all_reduce((centred * centred).sum(dims)) / count
    if running_mean is not None:
        with torch.no_grad():
            running_mean.mul_(1 - momentum).add_(mean.detach(), alpha=momentum)
            running_var.mul_(1 - momentum).add_(var.detach() * (count / (count - 1)), alpha=momentum)
    y = centred * torch.rsqrt(var + eps).reshape(shape)
    if weight is not None:
        y = y * weight.reshape(shape) + bias.reshape(shape)
    return y


class AveragedByHand:
    """The supernet's gradient averaging: one all-reduce of every gradient after the step's
    backward passes. Not DistributedDataParallel: the sandwich rule accumulates several
    subnets' backward passes, each over another subset of the weights, into one optimizer step;
    DDP reduces in every backward pass (``sandwich`` times the traffic, or ``no_sync`` and
    ``find_unused_parameters`` around the passes), where one all-reduce after the last is exact."""

    def __init__(self, ranks: Ranks):
        self.ranks = ranks

    def wrap(self, model: nn.Module) -> nn.Module:
        return model

    def after_backward(self, model: nn.Module) -> None:
        self.ranks.average_gradients(model.parameters())


class Replicated:
    """A static network's replicas under ``torch.nn.parallel.DistributedDataParallel``: its
    reducer averages the gradients in buckets while the backward pass still runs. Buffers are
    not re-sent before each forward (``forward_sync_buffers=False``): the running statistics
    are the global batch's on every rank already (``global_batch``, not torch's
    ``SyncBatchNorm``, which takes only GPU tensors, not gloo's CPU ones)."""

    def __init__(self, ranks: Ranks):
        self.ranks = ranks

    def wrap(self, model: nn.Module) -> nn.Module:
        if not self.ranks.distributed:
            return model
        device = next(model.parameters()).device
        return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None,
                                       forward_sync_buffers=False)

    def after_backward(self, model: nn.Module) -> None:
        pass  # reduced during the backward pass


class _SumOverRanks(torch.autograd.Function):
    """The sum of a tensor over the ranks; its gradient is the sum of the ranks' gradients."""

    @staticmethod
    def forward(ctx, x):
        y = x.clone()
        dist.all_reduce(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        grad = grad.clone()
        dist.all_reduce(grad)
        return grad


class GlobalBatchNorm2d(nn.BatchNorm2d):
    """``nn.BatchNorm2d`` through ``batch_norm`` (what ``Ranks.global_batch`` swaps in)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
        return batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, self.training,
                          self.momentum, self.eps)


class GlobalDropout(nn.Dropout):
    """``nn.Dropout`` (what ``Ranks.global_batch`` swaps in) whose training mask is this rank's
    rows of the mask one process draws for the global batch: every rank draws that whole mask
    (``bernoulli_`` over the global batch's shape: on the CPU what ``F.dropout`` draws in one
    process, bit for bit; cuda's fused kernel draws otherwise), not its own slice's, which on
    every rank would be the same first rows of it."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (self.training and self.p > 0 and _SYNCED):
            return super().forward(x)
        sizes = [torch.zeros((), dtype=torch.int64, device=x.device) for _ in range(dist.get_world_size())]
        dist.all_gather(sizes, torch.tensor(len(x), device=x.device))
        lo = int(sum(sizes[:dist.get_rank()]))
        noise = torch.empty((int(sum(sizes)), *x.shape[1:]), dtype=x.dtype, device=x.device).bernoulli_(1 - self.p)
        return x * noise.div_(1 - self.p)[lo:lo + len(x)]
