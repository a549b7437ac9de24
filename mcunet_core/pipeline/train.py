"""Training stage: one network for a task, trained (or fine-tuned from its supernet weights),
quantized to int8 by the quant spec and exported to the IR the engine compiles; the float and
int8 (reference interpreter, bit-exact with the firmware) figures are recorded: accuracy, or
a detection task's mAP (``tasks``: what differs per kind of task)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch

from ..arch import AnyArch
from ..atomic import atomic_write_text
from ..errors import UserError
from ..ir.serialize import save_graph
from ..train import Compute, TrainSettings, quantize_net, train_net
from ..train.compute import CPU
from ..train.distributed import Ranks
from ..train.export import int8_filters
from .pretrain import Pretraining
from .tasks import training_kind


def arch_of_model(model_spec, task) -> AnyArch:
    """The Arch of an architecture model spec: image tasks at the spec's resolution, MFCC tasks
    at their fixed input shape, a detection task's backbone with its heads."""
    if model_spec.kind != "architecture":
        raise UserError(f"model {model_spec.name}: not an architecture to train")
    return arch_of(model_spec.architecture, model_spec.resolution, task, model_spec.name)


def arch_of(architecture: dict, resolution: int, task, name: str) -> AnyArch:
    """The architecture (either family) of a spec's ``architecture:`` for ``task``."""
    return training_kind(task).arch(architecture, resolution, name)


@dataclass
class TrainOutcome:
    graph_dir: Path
    metrics: dict


def run_training(arch: AnyArch, task, quant, out_dir, ir_dir, *, init_state: Path | None = None,
                 training: dict | None = None, progress: bool = True, compute: Compute = CPU,
                 ranks: Ranks = Ranks()) -> TrainOutcome | None:
    """``training``: the model spec's settings, over the task's (``TrainSettings`` keys). The
    training runs on ``compute`` (resumed from ``out_dir/model.pt``); calibration, QAT and
    the int8 export on the CPU. With several ``ranks`` (torchrun) the training is data-parallel
    and rank 0 alone goes on to quantize and write (the others return None)."""
    out, ir_dir = Path(out_dir), Path(ir_dir)
    kind = training_kind(task)
    resolution = kind.resolution(arch)
    train_data = kind.dataset(task, "train", resolution)
    calibration = kind.dataset(task, "train", resolution, augment=False)
    val_data = kind.dataset(task, "val", resolution)
    objective = kind.objective(resolution)
    settings = TrainSettings(**{**(task.raw.get("training") or {}), **(training or {})})
    net = kind.build_net(arch, seed=settings.seed)
    pretraining = Pretraining.of(task) if init_state is None else None  # a supernet's weights already are
    pretrained = None
    if init_state is not None:
        net.load_state_dict(torch.load(init_state, weights_only=True))
    elif pretraining is not None:
        pre_data = kind.dataset(pretraining.task, "train", resolution)
        train_net(net, pre_data, pretraining.settings(settings), checkpoint=out / "pretrain.pt", progress=progress,
                  val_data=val_data, compute=compute, ranks=ranks, objective=objective)
        pretrained = pretraining.to_json(len(pre_data))
    history = train_net(net, train_data, settings, checkpoint=out / "model.pt", progress=progress, val_data=val_data,
                        compute=compute, ranks=ranks, objective=objective)
    if not ranks.main:
        return None
    float_metrics = kind.float_metrics(net, val_data)
    net.cpu()
    qat = int(quant.qat.get("epochs", 0)) > 0
    graph = quantize_net(net, calibration, quant, qat_data=train_data if qat else None, settings=settings,
                         progress=progress, objective=objective)
    save_graph(graph, ir_dir)
    metrics = {
        "model": arch.name, "task": task.name, "quant": quant.name, **kind.fields(),
        "train_samples": len(train_data), "val_samples": len(val_data),
        **float_metrics, **kind.int8_metrics(graph, val_data),
        **kind.sizes(arch, graph), "epochs": settings.epochs,
        "initialised_from": None if init_state is None else Path(init_state).name,
        "pretrained": pretrained,
        "history": history,
        **({"int8_filters": int8_filters(graph)} if quant.weights.get("dtype") == "int4" else {}),
    }
    atomic_write_text(out / "metrics.json", json.dumps(metrics, indent=1) + "\n")
    return TrainOutcome(ir_dir, metrics)
