"""Instruction counts of the hand-written int8 test kernel on each board's emulated stand-in.

    python bench/device_kernel.py [--boards f746,h743,f412] [--opts O2,O3,Os]

Prints, per board and optimisation level: instructions around invoke(), instructions per
MAC, the latency estimate at the board clock (1 instruction/cycle), flash and peak SRAM,
build and run wall time, and whether the output matched NumPy bit for bit. The layer is
the reference shape of docs/emulation.md: 1x1 conv 32x32x16 -> 32 (524,288 MACs).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mcunet_core.device.runners.qemu import QemuRunner  # noqa: E402
from mcunet_core.device.test_kernel import Conv1x1Case  # noqa: E402
from mcunet_core.device.toolchain import build_firmware  # noqa: E402
from mcunet_core.spec import load_board  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--boards", default="f746,h743,f412")
    ap.add_argument("--opts", default="O2,O3,Os")
    args = ap.parse_args(argv)
    case = Conv1x1Case.random(seed=0, height=32, width=32, in_ch=16, out_ch=32)
    x = case.random_input(seed=1)
    expected = case.expected(x)
    print(f"1x1 conv {case.height}x{case.width}x{case.in_ch} -> {case.out_ch}, {case.macs} MACs, plain C")
    print(f"{'board':6} {'opt':3} {'instructions':>12} {'instr/MAC':>9} {'est. ms':>8} {'flash B':>8} {'peak SRAM B':>11} {'build s':>7} {'run s':>6} exact")
    with tempfile.TemporaryDirectory() as tmp:
        model = case.write_model(Path(tmp) / "model")
        for name in args.boards.split(","):
            board = load_board(name)
            for opt in args.opts.split(","):
                t0 = time.monotonic()
                fw = build_firmware(board, model.sources, Path(tmp) / f"{name}-{opt}", opt=opt, include_dirs=model.include_dirs)
                t1 = time.monotonic()
                run = QemuRunner(board).run(fw.elf, x).raise_for_status()
                t2 = time.monotonic()
                again = QemuRunner(board).run(fw.elf, x).raise_for_status()
                assert again.count == run.count, "instruction count not deterministic"
                peak = fw.memory["static_ram_excl_stack_bytes"] + run.stack_used
                exact = np.array_equal(run.output, expected)
                print(f"{name:6} {opt:3} {run.count:>12,} {run.count / case.macs:>9.2f} {run.latency_ms:>8.3f} "
                      f"{fw.memory['flash_bytes']:>8} {peak:>11} {t1 - t0:>7.2f} {t2 - t1:>6.2f} {exact}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
