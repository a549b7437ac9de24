"""The one-shot flow on a task's embedded data set: train the supernet of one (width,
resolution) point of the TinyNAS space, score subnets as the evolutionary search does
(accuracy after BN re-estimation), fine-tune the best, quantize it and report its float
and int8 accuracy. Prints where the time goes. Not run in tests (minutes on 2 cores):

    python bench/train_supernet.py [--task kws] [--width 0.3] [--resolution 64] [--epochs 15]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time

import numpy as np
import torch

from mcunet_core.nas.space import SearchSpace
from mcunet_core.spec import load_quant, load_search, load_task
from mcunet_core.train import (Supernet, SubnetEvaluator, TrainSettings, evaluate, int8_accuracy, quantize_net,
                               train_net, train_supernet)
from mcunet_core.train.data import make_dataset


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", default="kws", choices=["kws", "vww"])
    ap.add_argument("--width", type=float, default=0.3)
    ap.add_argument("--resolution", type=int, default=64, help="image tasks only")
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--finetune-epochs", type=int, default=10)
    ap.add_argument("--subnets", type=int, default=8, help="random subnets scored beside the largest and smallest")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    task = load_task(args.task)
    space = SearchSpace.from_specs(load_search("mcunet"), task, args.width, args.resolution)
    res = space.resolution if task.input_kind == "image" else None
    train = make_dataset(task, "train", resolution=res)
    plain = make_dataset(task, "train", resolution=res, augment=False)
    val = make_dataset(task, "val", resolution=res)
    print(f"space {space.name}: {len(train)} training and {len(val)} validation samples of {task.name}")

    torch.manual_seed(args.seed)
    supernet = Supernet(space)
    settings = TrainSettings(epochs=args.epochs, batch_size=32, lr=0.05, seed=args.seed)
    t0 = time.time()
    train_supernet(supernet, train, settings)
    print(f"supernet training: {args.epochs} epochs, {time.time() - t0:.0f} s")

    t1 = time.time()
    fitness = SubnetEvaluator(supernet, plain, val, bn_batches=10, batch_size=32, seed=args.seed)
    rng = np.random.default_rng(args.seed)
    archs = [space.largest(), space.smallest()] + [space.sample(rng) for _ in range(args.subnets)]
    scored = sorted(((fitness.evaluate(a), a.macs(), a) for a in archs), key=lambda t: -t[0])
    print(f"scoring {len(archs)} subnets: {time.time() - t1:.1f} s")
    macs = np.array([m for _, m, _ in scored], dtype=float)
    acc = np.array([s for s, _, _ in scored])
    rank = np.corrcoef(np.argsort(np.argsort(macs)), np.argsort(np.argsort(acc)))[0, 1]
    print("| subnet | MACs | accuracy (supernet weights) |\n|---|---|---|")
    for a, m, arch in scored:
        tag = "largest" if arch == space.largest() else "smallest" if arch == space.smallest() else "random"
        print(f"| {tag} | {m / 1e6:.2f} M | {a:.3f} |")
    print(f"rank correlation of MACs and accuracy: {rank:.2f}")

    best = scored[0][2]
    net = supernet.extract(best)
    t2 = time.time()
    train_net(net, train, dataclasses.replace(settings, epochs=args.finetune_epochs, lr=0.01))
    float_acc = evaluate(net, val)
    graph = quantize_net(net, plain, load_quant("int8"))
    int8_acc = int8_accuracy(graph, val)
    print(f"fine-tuning, quantization and int8 evaluation: {time.time() - t2:.0f} s")
    print(f"best subnet ({best.macs() / 1e6:.2f} M MACs): supernet {scored[0][0]:.3f}, fine-tuned float {float_acc:.3f}, "
          f"int8 {int8_acc:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
