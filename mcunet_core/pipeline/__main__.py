"""``python -m mcunet_core.pipeline``: the long stages as processes of their own (what SCons
runs, and what a cluster's launcher starts).

    python -m mcunet_core.pipeline search --board B --task T --search S [--quant Q] --out DIR [--device D] [--amp]
    python -m mcunet_core.pipeline train --model M --task T --quant Q --out DIR --ir DIR [--init subnet.pt]
        [--device D] [--amp]

Under ``python -m torch.distributed.run`` (torchrun) each process is one rank of a
data-parallel training (gloo on CPU, nccl on cuda: one GPU per process) and rank 0 writes the
outputs. Specs are names or .yaml paths. A stage resumes from its checkpoint in ``--out``
(``supernet.pt``, ``model.pt``); an interrupt (Ctrl-C) exits with status 130 and leaves the
last epoch's checkpoint. User mistakes print one line each and exit with status 2.
"""

from __future__ import annotations

import argparse

from ..errors import UserError, run_cli
from ..train.compute import DEVICES


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UserError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="python -m mcunet_core.pipeline", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True, parser_class=_Parser)
    search = sub.add_parser("search", help="TinyNAS: stage 1, the supernet, the evolution")
    search.add_argument("--board", required=True)
    search.add_argument("--task", required=True)
    search.add_argument("--search", required=True)
    search.add_argument("--quant", help="the quant spec whose weight bits the flash limit counts (default int8)")
    train = sub.add_parser("train", help="train (or fine-tune) a network, quantize it and export the IR")
    train.add_argument("--model", required=True, help="an architecture model spec")
    train.add_argument("--task", required=True)
    train.add_argument("--quant", required=True)
    train.add_argument("--ir", required=True, help="folder for graph.json and weights.npz")
    train.add_argument("--init", help="initial weights (the search's subnet.pt)")
    for p in (search, train):
        p.add_argument("--out", required=True, help="the stage's folder (its checkpoint lives there)")
        p.add_argument("--device", choices=DEVICES, default="auto")
        p.add_argument("--amp", action="store_true", help="mixed precision on cuda")
    return ap


def main(argv=None) -> int:
    from ..spec import load_board, load_model, load_quant, load_search, load_task
    from ..train.compute import Compute
    from ..train.distributed import Ranks

    args = build_parser().parse_args(argv)
    compute = Compute.resolve(args.device, args.amp)
    ranks = Ranks.from_environment(compute.device)
    task = load_task(args.task)
    if args.command == "search":
        from .search import run_search

        outcome = run_search(load_board(args.board), task, load_search(args.search), args.out, compute=compute,
                             quant=load_quant(args.quant) if args.quant else None, ranks=ranks)
        if ranks.main:
            print(f"search: {outcome.model_spec}")
        return 0
    from .train import arch_of_model, run_training

    spec = load_model(args.model)
    outcome = run_training(arch_of_model(spec, task), task, load_quant(args.quant), args.out, args.ir,
                           init_state=args.init, training=spec.raw.get("training"), compute=compute, ranks=ranks)
    if outcome is None:  # not rank 0
        return 0
    m = outcome.metrics
    from .tasks import training_kind

    print(f"trained {m['model']}: {training_kind(task).describe(m)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
