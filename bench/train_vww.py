"""Train a VWW network on real COCO images and report float and int8 accuracy.

Data: ../shared/datasets/vww_coco_96.npz (Visual Wake Words labels on 3,217 COCO 2017
images, 96 x 96), split by its own ``splits`` column: train on train2017 (343 images),
evaluate on val2017 (2,874). The training set is small and 80 % "person", so the loss is
class-balanced and the class-balanced accuracy is printed beside the plain one. Optionally
the network first learns from the project's own synthetic-vww scenes (--synthetic N).

int8 accuracy is measured with the reference interpreter, which is bit-exact with the
generated firmware. Not run in tests (minutes on 2 cores):

    python bench/train_vww.py [--model mcunet-vww-80] [--epochs 40] [--synthetic 4000] [--qat]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np
import torch

from mcunet_core.arch import Arch
from mcunet_core.spec import load_model, load_quant, load_task
from mcunet_core.train import ArchNet, TrainSettings, int8_predict, predict, quantize_net, train_net
from mcunet_core.train.data import ImageArrayDataset, ImagePreprocess, synthetic_vww

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "vww_coco_96.npz"


def accuracies(predicted: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(accuracy, class-balanced accuracy)."""
    per_class = [float((predicted[labels == c] == c).mean()) for c in np.unique(labels)]
    return float((predicted == labels).mean()), float(np.mean(per_class))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="mcunet-vww-80", help="a model spec with an architecture")
    ap.add_argument("--resolution", type=int, help="input resolution (default: the model spec's)")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--synthetic", type=int, default=0, help="pre-train on this many synthetic-vww scenes first")
    ap.add_argument("--synthetic-epochs", type=int, default=15)
    ap.add_argument("--qat", action="store_true", help="quantization-aware fine-tuning after calibration")
    ap.add_argument("--train-split", default="train2017")
    ap.add_argument("--eval-split", default="val2017")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if not DATA.exists():
        print(f"{DATA} is not there", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    task = load_task("vww")
    spec = load_model(args.model)
    res = args.resolution or spec.resolution or task.resolution
    arch = Arch.from_spec(spec.architecture, (res, res, 3), task.classes, spec.name)
    with np.load(DATA) as z:
        images, labels, splits = z["images"], z["labels"], z["splits"]
    pick = {s: splits == s for s in (args.train_split, args.eval_split)}
    train = ImageArrayDataset(images[pick[args.train_split]], labels[pick[args.train_split]],
                              ImagePreprocess.from_task(task, res, augment=True), list(task.labels))
    plain = ImageArrayDataset(train.images, train.labels, ImagePreprocess.from_task(task, res), list(task.labels))
    val = ImageArrayDataset(images[pick[args.eval_split]], labels[pick[args.eval_split]],
                            ImagePreprocess.from_task(task, res), list(task.labels))
    print(f"{arch.name} at {res}x{res}: {arch.macs() / 1e6:.2f} M MACs, {arch.params() / 1e3:.1f} k parameters")
    print(f"train {args.train_split}: {len(train)} images ({train.labels.mean():.0%} person); "
          f"eval {args.eval_split}: {len(val)} images ({val.labels.mean():.0%} person)")

    torch.manual_seed(args.seed)
    net = ArchNet(arch)
    settings = TrainSettings(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, balance_classes=True,
                             seed=args.seed)
    t0 = time.time()
    if args.synthetic:
        images_s, labels_s = synthetic_vww(args.synthetic, args.seed, "train", res)
        synthetic = ImageArrayDataset(images_s, labels_s, ImagePreprocess.from_task(task, res, augment=True),
                                      list(task.labels))
        train_net(net, synthetic, dataclasses.replace(settings, epochs=args.synthetic_epochs))
        print(f"synthetic pre-training: {len(synthetic)} scenes, {time.time() - t0:.0f} s; "
              f"real eval accuracy %.3f (balanced %.3f)" % accuracies(*predict(net, val)))
    t1 = time.time()
    train_net(net, train, settings)
    float_acc = accuracies(*predict(net, val))
    print(f"training: {time.time() - t1:.0f} s")

    t2 = time.time()
    graph = quantize_net(net, plain, load_quant("int8"), qat_data=train if args.qat else None, settings=settings)
    qat_float = accuracies(*predict(net, val)) if args.qat else None
    int8_acc = accuracies(*int8_predict(graph, val))
    print(f"quantization{' + QAT' if args.qat else ''} and int8 evaluation: {time.time() - t2:.0f} s")

    print()
    print("| model | resolution | eval images | float acc | float balanced | int8 acc | int8 balanced |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {arch.name} | {res} | {len(val)} | {float_acc[0]:.3f} | {float_acc[1]:.3f} | {int8_acc[0]:.3f} | {int8_acc[1]:.3f} |")
    if qat_float:
        print(f"(float accuracy after QAT: {qat_float[0]:.3f}, balanced {qat_float[1]:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
