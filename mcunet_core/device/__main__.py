"""``python -m mcunet_core.device``: list probes, run an image, or self-test a board.

    python -m mcunet_core.device probes
    python -m mcunet_core.device run --board f746 --elf build/f746/x/firmware/fw.elf \\
        [--runner qemu|pyocd] [--input in.npy] [--probe UID] [--hardware-map map.yaml] \\
        [--out DIR] [--junit hil.xml] [--timeout S]
    python -m mcunet_core.device selftest --board f746 [--runner pyocd] [--probe UID] ...
    python -m mcunet_core.device app --board h743 --elf build/qemu/app.elf \\
        [--runner qemu|pyocd] [--expect TEXT ...] [--junit app.xml] [--name NAME] ...

``run`` takes an image of mcunet's harness (``scons`` builds them); ``app`` an application's
own image (its startup and linker script, the model linked in as a library) that reports
through semihosting: it passes when it exits with status 0 and its console holds every
``--expect`` text. ``selftest`` builds the hand-written int8 test kernel for the board, runs it and checks
the output bit for bit against NumPy: the first thing to run on a newly attached board.
Exit status: 0 pass, 1 the run failed or mismatched, 2 a usage/setup error.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from ..errors import run_cli
from .elf import Elf, memory_report
from .linker import layout
from .result import write_junit, write_run
from .runners import RUNNERS, load_input_file, make_runner


def _board(name):
    from ..spec import load_board

    return load_board(name)


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--board", required=True, help="board spec name (specs/boards)")
    p.add_argument("--runner", choices=RUNNERS, default="qemu")
    p.add_argument("--probe", help="probe unique ID (or a unique part of it), as `pyocd list` shows")
    p.add_argument("--hardware-map", help="YAML: probe id -> board (Zephyr twister format)")
    p.add_argument("--timeout", type=float, default=None, help="seconds before a run counts as a hang")
    p.add_argument("--out", help="folder for result.json and output.npy")
    p.add_argument("--junit", help="write a JUnit XML report of the run here")


def _print_run(run) -> None:
    print(run.describe())
    if run.console.strip():
        print(run.console.rstrip())


def _finish(args, name: str, run, elf, input_path=None, opt=None, extra_ok=True) -> int:
    board = _board(args.board)
    _print_run(run)
    if args.out:
        variant = "hardware" if args.runner == "pyocd" else "emulator"
        memory = memory_report(Elf(elf), layout(board, variant))
        write_run(args.out, run, memory, opt=opt, input_path=input_path)
        print(f"wrote {Path(args.out) / 'result.json'}")
    if args.junit:
        write_junit(args.junit, "mcunet.device", [(name, run)])
    return 0 if run.ok and extra_ok else 1


def cmd_probes(args) -> int:
    from .runners.pyocd import PYOCD_LIST_HINT, list_probes

    probes = list_probes()
    if not probes:
        print(f"no debug probe attached ({PYOCD_LIST_HINT})")
    for p in probes:
        print(f"{p.uid}\t{p.description}")
    return 0


def cmd_run(args) -> int:
    board = _board(args.board)
    runner = make_runner(args.runner, board, timeout_s=args.timeout, probe=args.probe, hardware_map=args.hardware_map)
    run = runner.run(args.elf, load_input_file(args.input))
    return _finish(args, Path(args.elf).stem, run, args.elf, input_path=args.input)


def cmd_app(args) -> int:
    board = _board(args.board)
    runner = make_runner(args.runner, board, timeout_s=args.timeout, probe=args.probe, hardware_map=args.hardware_map)
    run = runner.run_app(args.elf, expect=args.expect)
    _print_run(run)
    if args.junit:
        write_junit(args.junit, "mcunet.app", [(args.name or Path(args.elf).stem, run)])
    return 0 if run.ok else 1


def cmd_selftest(args) -> int:
    from .test_kernel import Conv1x1Case
    from .toolchain import build_firmware

    board = _board(args.board)
    variant = "hardware" if args.runner == "pyocd" else "emulator"
    case = Conv1x1Case.random(seed=0)
    x = case.random_input(seed=1)
    with tempfile.TemporaryDirectory(prefix="mcunet-selftest-") as tmp:
        model = case.write_model(Path(tmp) / "model")
        fw = build_firmware(board, model.sources, Path(tmp) / "build", variant=variant, opt=args.opt,
                            include_dirs=model.include_dirs)  # fmt: skip
        runner = make_runner(args.runner, board, timeout_s=args.timeout, probe=args.probe, hardware_map=args.hardware_map)
        run = runner.run(fw.elf, x)
        exact = run.ok and np.array_equal(run.output, case.expected(x))
        if run.ok:
            print(f"output {'matches' if exact else 'DIFFERS FROM'} NumPy bit for bit ({case.macs} MACs)")
        if run.ok and not exact:
            run.status, run.message = "model_error", "output differs from the NumPy reference"
        return _finish(args, f"selftest_conv1x1_{board.name}", run, fw.elf, opt=args.opt)


def build_parser() -> argparse.ArgumentParser:
    """The command line (README's CI job is checked against it)."""
    ap = argparse.ArgumentParser(prog="python -m mcunet_core.device", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("probes", help="list attached debug probes (never waits)")
    p_run = sub.add_parser("run", help="run a built image on the emulator or a board")
    _add_run_options(p_run)
    p_run.add_argument("--elf", required=True)
    p_run.add_argument("--input", help="int8 .npy (or raw bytes) input; zeros if omitted")
    p_app = sub.add_parser("app", help="run an application's own image (semihosting console and exit status)")
    _add_run_options(p_app)
    p_app.add_argument("--elf", required=True)
    p_app.add_argument("--expect", action="append", default=[], metavar="TEXT",
                       help="text the console must hold for a pass (repeatable)")
    p_app.add_argument("--name", help="the JUnit test case's name (default: the ELF's file name)")
    p_self = sub.add_parser("selftest", help="build + run the int8 test kernel, check it bit for bit")
    _add_run_options(p_self)
    p_self.add_argument("--opt", choices=("O2", "O3", "Os"), default="O2")
    return ap


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return {"probes": cmd_probes, "run": cmd_run, "app": cmd_app, "selftest": cmd_selftest}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(run_cli(main))
