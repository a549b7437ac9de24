"""Train a keyword-spotting network on real Speech Commands clips and report float and int8
accuracy.

Data: ../shared/datasets/speech_commands_v002_test.npz (the official v0.02 *test* set,
4,769 one-second clips, 12 classes), split here by speaker (a speaker's clips all on one
side): 80 % of the speakers train, 20 % evaluate. Trained on part of the test set, the
figures are lower than published ones trained on the full training set.

The network is a point of the TinyNAS KWS space (--width, depth/kernel/expand per block).
Features are the MLPerf Tiny MFCC (49 x 10); training adds time shifts and no background
noise (the archive holds none). int8 accuracy comes from the reference interpreter, which
is bit-exact with the generated firmware. Not run in tests (minutes on 2 cores):

    python bench/train_kws.py [--width 0.5] [--epochs 30] [--qat]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import torch

from mcunet_core.nas.space import SearchSpace
from mcunet_core.spec import load_quant, load_search, load_task
from mcunet_core.train import ArchNet, TrainSettings, int8_accuracy, quantize_net, train_net
from mcunet_core.train.data import AudioAugment, AudioDataset, Mfcc
from mcunet_core.train.train import evaluate

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "speech_commands_v002_test.npz"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--width", type=float, default=0.5)
    ap.add_argument("--depth", type=int, default=2)
    ap.add_argument("--kernel", type=int, default=3)
    ap.add_argument("--expand", type=int, default=4)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--qat", action="store_true", help="quantization-aware fine-tuning after calibration")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if not DATA.exists():
        print(f"{DATA} is not there", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    task = load_task("kws")
    space = SearchSpace.from_specs(load_search("mcunet"), task, args.width)
    n = len(space.stage_channels)
    arch = space.arch([args.depth] * n, [[args.kernel] * space.max_depth] * n, [[args.expand] * space.max_depth] * n)
    with np.load(DATA) as z:
        clips, labels, speakers = z["x"], z["y"], z["speaker"]
    held_out = np.array([zlib.crc32(s.encode()) % 5 == 0 for s in speakers.astype(str)])
    mfcc, classes = Mfcc.from_task(task), list(task.labels)
    shift_only = dataclasses.replace(AudioAugment.from_task(task), background_frequency=0.0)
    train = AudioDataset(clips[~held_out], labels[~held_out], mfcc, classes, shift_only)
    plain = AudioDataset(clips[~held_out], labels[~held_out], mfcc, classes)
    val = AudioDataset(clips[held_out], labels[held_out], mfcc, classes)
    print(f"{space.name} depth {args.depth} kernel {args.kernel} expand {args.expand}: "
          f"{arch.macs() / 1e6:.2f} M MACs, {arch.params() / 1e3:.1f} k parameters")
    print(f"train {len(train)} clips, eval {len(val)} clips ({len(set(speakers[held_out]))} held-out speakers)")

    torch.manual_seed(args.seed)
    net = ArchNet(arch)
    settings = TrainSettings(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed)
    t0 = time.time()
    train_net(net, train, settings)
    float_acc = evaluate(net, val)
    print(f"training: {time.time() - t0:.0f} s")
    t1 = time.time()
    graph = quantize_net(net, plain, load_quant("int8"), qat_data=train if args.qat else None, settings=settings)
    qat_float = evaluate(net, val) if args.qat else None
    int8_acc = int8_accuracy(graph, val)
    print(f"quantization{' + QAT' if args.qat else ''} and int8 evaluation: {time.time() - t1:.0f} s")
    print()
    print("| network | eval clips | float acc | int8 acc |")
    print("|---|---|---|---|")
    print(f"| {space.name} d{args.depth} k{args.kernel} e{args.expand} | {len(val)} | {float_acc:.3f} | {int8_acc:.3f} |")
    if qat_float is not None:
        print(f"(float accuracy after QAT: {qat_float:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
