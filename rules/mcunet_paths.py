"""Where each run configuration's outputs go, so one never invalidates another's.

The default (runner=qemu, opt=O2, the engine's seeded input) keeps the plain layout:
``build/<board>/<name>/firmware/`` and ``result.json``, ``output.npy``, ``report.md`` in the
build folder. A hardware build or another optimisation level gets its own firmware folder
(``firmware-hardware-O2``, ``firmware-emulator-O3``); a run with another runner, probe,
input or optimisation level gets ``runs/<runner>[-<probe>]-<opt>[-input-<stem>-<hash>]/``.
Going back and forth rebuilds nothing, and a failed run of one leaves the others as they are.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

DEFAULT_OPT = "O2"


def variant_for(runner: str) -> str:
    return "hardware" if runner == "pyocd" else "emulator"


def firmware_dir(ctx):
    """The SCons Dir of the firmware build for ``ctx``'s runner variant and optimisation."""
    variant = variant_for(ctx.runner)
    if variant == "emulator" and ctx.opt == DEFAULT_OPT:
        return ctx.build_dir.Dir("firmware")
    return ctx.build_dir.Dir(f"firmware-{variant}-{ctx.opt}")


def run_tag(runner: str, probe: str | None, opt: str, input_path: str | None) -> str | None:
    """The run folder's name, None for the default configuration."""
    if runner == "qemu" and opt == DEFAULT_OPT and not input_path:
        return None
    tag = "-".join(p for p in (runner, probe, opt) if p)
    if input_path:
        digest = hashlib.sha256(str(Path(input_path).resolve()).encode()).hexdigest()[:8]
        tag += f"-input-{Path(input_path).stem}-{digest}"
    return tag


def run_dir(ctx):
    """The SCons Dir holding result.json, output.npy and report.md of ``ctx``'s run."""
    tag = run_tag(ctx.runner, ctx.probe, ctx.opt, ctx.input)
    return ctx.build_dir if tag is None else ctx.build_dir.Dir("runs").Dir(tag)


RESULT_FILES = ("result.json", "report.md")


def stale_results(run_folder: Path) -> list[Path]:
    """A run folder's results (result.json, every output*.npy, report.md): what a failed build
    upstream of them must remove, so none is left claiming success for an older build."""
    folder = Path(run_folder)
    return [folder / n for n in RESULT_FILES if (folder / n).exists()] + sorted(folder.glob("output*.npy"))
