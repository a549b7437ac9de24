"""Code size of the patch stage generated as a loop over patches (``codegen.patch_loop``)
against every patch's calls unrolled: MLPerf Tiny VWW and KWS at fixed schedules on h743
(-O2), the firmware's flash and its model.c's object (code + the loop's tables), instructions
on QEMU, and bit-exactness of both with TFLite's reference output (golden row 0).

    python bench/patch_loop.py          # needs ../shared/models (about 2 minutes)
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path

import numpy as np

from mcunet_core import engine
from mcunet_core.device.generated import build_generated
from mcunet_core.device.runners.qemu import QemuRunner
from mcunet_core.importers.tflite import import_tflite
from mcunet_core.spec import load_board

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "models"
#: (model, input placement, split, grid): auto's choice for VWW with its frame outside, finer grids
CASES = (("vww_96_int8", "external", 8, (2, 2)), ("vww_96_int8", "external", 8, (4, 4)),
         ("vww_96_int8", "arena", 4, (4, 4)), ("kws_ref_model", "arena", 3, (2, 1)))


def model_object_bytes(fw_dir: Path) -> int:
    """Flash bytes of model.c's object: its code and read-only data (the loop's tables)."""
    from elftools.elf.elffile import ELFFile

    (obj,) = sorted((fw_dir / "obj").glob("*_model.o"))  # toolchain.build_firmware names them NNN_<stem>.o
    with open(obj, "rb") as fh:  # not .arena: the object holds the arena as bytes the linker leaves uninitialised
        return sum(s["sh_size"] for s in ELFFile(fh).iter_sections() if s.name.startswith((".text", ".rodata")))


def calls_in(model_c: str) -> int:
    """Kernel calls written in model.c's run function (a loop body's once)."""
    body = model_c[model_c.index("_run(void)\n{"):model_c.index("_invoke(const int8_t *input")]
    return sum(1 for line in body.splitlines() if line.strip().startswith("mcunet_") and line.rstrip().endswith(");"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", default="h743")
    args = ap.parse_args(argv)
    board = load_board(args.board)
    print(f"board {board.name}, -O2; flash: the whole firmware's; model.o: model.c's code + tables; "
          "instructions of golden row 0 on QEMU; bit-exact: equals TFLite's output_ref\n")
    print("| model | input | schedule | calls in model.c (loop / unrolled) | firmware flash, loop | unrolled | "
          "model.o, loop | unrolled | instructions, loop | unrolled | bit-exact |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, placement, split, grid in CASES:
        graph = import_tflite(SHARED / f"{name}.tflite")
        with np.load(SHARED / f"{name}_golden.npz") as z:
            x, want = z["input"][0], z["output_ref"][0]
        target = dataclasses.replace(engine.Target.from_board(board),
                                     patch=engine.PatchPolicy("fixed", engine.PatchSchedule(split, grid)),
                                     input_placement=engine.InputPlacement(placement))
        row = {}
        for unroll in (False, True):
            with tempfile.TemporaryDirectory() as tmp:
                gen = Path(tmp) / "gen"
                engine.generate(graph, target, gen, plot=False, unroll_patches=unroll)
                text = (gen / "model.c").read_text()
                fw = build_generated(board, gen, Path(tmp) / "fw", opt="O2")
                r = QemuRunner(board).run(fw.elf, np.ascontiguousarray(x).tobytes()).raise_for_status()
                out = graph.tensors[graph.outputs[0]]
                got = np.asarray(r.output).view(out.dtype.numpy).reshape(out.shape)
                row[unroll] = (calls_in(text), fw.memory["flash_bytes"],
                               model_object_bytes(Path(tmp) / "fw"), int(r.count),
                               bool(np.array_equal(got, want.reshape(out.shape))))
        loop, flat = row[False], row[True]
        print(f"| {name} | {placement} | split {split}, {grid[0]}x{grid[1]} | {loop[0]} / {flat[0]} | "
              f"{loop[1]:,} B | {flat[1]:,} B ({flat[1] - loop[1]:+,}) | {loop[2]:,} B | {flat[2]:,} B | "
              f"{loop[3]:,} | {flat[3]:,} | {'yes' if loop[4] and flat[4] else 'NO'} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
