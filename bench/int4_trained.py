"""MLPerf Tiny's KWS network (``dscnn-kws``) and a VWW network (``mbv2-vww-96``: the project
has no MobileNetV1 family, so MLPerf's VWW architecture itself is not among its specs)
trained once in float on the task's embedded data, then quantized twice from the same float
weights, ``quant=int8`` and ``quant=int4`` (calibration + each spec's QAT): filter bytes,
constants, instructions on QEMU (-O2) under the board's flash budget and a lean one (the
model's IR constants + 16 KB) and whether the firmware's output equals the reference
interpreter's, with the float and integer validation accuracies (the reference interpreter's,
bit-exact with the firmware).

    python bench/int4_trained.py                     # both models, 5 float epochs
    python bench/int4_trained.py --models kws --epochs 3
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from int4_mlperf import measure  # noqa: E402
from nas_latency_fit import LEAN_CODE_BYTES, OPT  # noqa: E402

from mcunet_core import engine  # noqa: E402
from mcunet_core.ir import DType  # noqa: E402
from mcunet_core.ir import ops as O  # noqa: E402
from mcunet_core.pipeline.train import arch_of_model  # noqa: E402
from mcunet_core.spec import load_board, load_model, load_quant, load_task  # noqa: E402
from mcunet_core.train import TrainSettings, build_net, evaluate, int8_accuracy, quantize_net, train_net  # noqa: E402
from mcunet_core.train.data import make_dataset  # noqa: E402
from mcunet_core.train.export import int8_filters  # noqa: E402

MODELS = {"kws": ("dscnn-kws", "f412"), "vww": ("mbv2-vww-96", "h743")}


def filter_bytes(graph) -> int:
    return sum(graph.tensors[op.inputs[1]].nbytes for op in graph.ops
               if isinstance(op, (O.Conv2D, O.DepthwiseConv2D, O.FullyConnected)))


def int4_filters(graph) -> int:
    return sum(graph.tensors[op.inputs[1]].dtype is DType.INT4 for op in graph.ops
               if isinstance(op, (O.Conv2D, O.DepthwiseConv2D, O.FullyConnected)))


def run_model(key: str, epochs: int, quants: list[str]) -> list[str]:
    spec_name, board_name = MODELS[key]
    spec, board = load_model(spec_name), load_board(board_name)
    task = load_task(spec.task)
    arch = arch_of_model(spec, task)
    resolution = arch.input_shape[0] if task.input_kind == "image" else None
    train = make_dataset(task, "train", resolution=resolution)
    plain = make_dataset(task, "train", resolution=resolution, augment=False)
    val = make_dataset(task, "val", resolution=resolution)
    settings = TrainSettings(**{**(task.raw.get("training") or {}), **(spec.raw.get("training") or {}),
                                "epochs": epochs})
    torch.manual_seed(settings.seed)
    start = time.monotonic()
    net = build_net(arch, seed=settings.seed)
    train_net(net, train, settings, progress=False)
    net.eval()
    float_acc = evaluate(net, val)
    print(f"{spec_name}: {epochs} float epochs in {time.monotonic() - start:.0f} s, val {float_acc:.3f}",
          file=sys.stderr, flush=True)
    rows, base = [], None
    for name in quants:
        quant = load_quant(name)
        qnet = copy.deepcopy(net)
        graph = quantize_net(qnet, plain, quant, qat_data=train if int(quant.qat.get("epochs", 0)) else None,
                             settings=settings, progress=False)
        acc = int8_accuracy(graph, val)
        weights = filter_bytes(graph)
        base = base or weights
        constants = sum(t.nbytes for t in graph.tensors.values() if t.is_constant)
        kept = [n for n in int8_filters(graph)] if name != "int8" else []
        for budget in ("board", "lean"):
            target = engine.Target.from_board(board)
            if budget == "lean":
                target = dataclasses.replace(target, flash_budget=constants + LEAN_CODE_BYTES)
            lowered = engine.lower(graph, target)
            count, exact = measure(graph, board, target)
            rows.append(f"| {spec_name} | {board.name} | {name} | {budget} | {weights:,} ({weights / base:.2f}x) | "
                        f"{int4_filters(graph)} int4, {len(kept)} int8 | {lowered.constant_bytes:,} | "
                        f"{lowered.instructions():,} | {count:,} | {'yes' if exact else 'NO'} | {float_acc:.3f} | "
                        f"{acc:.3f} |")
            print(rows[-1], flush=True)
        if kept:
            print(f"{spec_name} {name}: int8 filters {', '.join(kept)}", file=sys.stderr, flush=True)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="kws,vww")
    ap.add_argument("--epochs", type=int, default=5, help="float training epochs (then each quant spec's QAT)")
    ap.add_argument("--quants", default="int8,int4")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    print(f"-{OPT}, QEMU; {args.epochs} float epochs on the embedded data, then each quant spec's calibration + QAT\n")
    print("| model | board | quant | flash budget | filter bytes | filters | constants | predicted | measured | "
          "bit-exact | float | integer |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for key in args.models.split(","):
        run_model(key, args.epochs, args.quants.split(","))
    return 0


if __name__ == "__main__":
    sys.exit(main())
