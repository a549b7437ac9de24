"""A generated model folder -> a static library an application links with its own startup,
linker script and HAL.

The library holds what the folder's ``build.json`` names (``GeneratedBuild``): the model's C
and only the kernels it calls, compiled with the board spec's flags (``toolchain.library_flags``).
No runtime, startup or linker script: those are the application's. Objects are named after
their sources (``vww_model.o``, ``mcunet_conv2d_s8.o``), so the archive's members and the
application's map file say where each byte comes from.
"""

from __future__ import annotations

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..errors import UserError
from .generated import GeneratedBuild
from .toolchain import DEFAULT_OPT, Toolchain, compile_source, find_toolchain, library_flags


def object_names(build: GeneratedBuild, prefix: str) -> list[tuple[Path, str]]:
    """(source, object file name) for each source: the model's own files carry the prefix
    (two models' ``model.c`` never meet in one map file), the kernels keep their names."""
    names = []
    for source in build.sources:
        stem = f"{prefix}_{source.stem}" if source.parent == build.gen_dir else source.stem
        names.append((source, f"{stem}.o"))
    seen = [n for _, n in names]
    clashes = sorted({n for n in seen if seen.count(n) > 1})
    if clashes:
        raise UserError(f"{build.gen_dir}: two sources compile to {', '.join(clashes)}")
    return names


def build_library(board, gen_dir, lib_path, *, prefix: str, opt: str = DEFAULT_OPT, defines: dict | None = None,
                  toolchain: Toolchain | None = None, jobs: int | None = None) -> Path:
    """Compile ``gen_dir`` for ``board`` into ``lib_path`` (objects in ``obj-<prefix>/`` beside
    it), with the application's ``defines`` (where the arena goes: README "The engine"); the
    archive is replaced whole, so a failed build never leaves a half library."""
    toolchain = toolchain or find_toolchain()
    build = GeneratedBuild.load(gen_dir)
    lib_path = Path(lib_path)
    obj_dir = lib_path.parent / f"obj-{prefix}"
    flags = library_flags(board, opt=opt, include_dirs=build.include_dirs, defines=defines)
    jobs_ = [(src, obj_dir / name) for src, name in object_names(build, prefix)]
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 2) as pool:
        list(pool.map(lambda so: compile_source(toolchain, flags, *so), jobs_))
    partial = lib_path.with_name(lib_path.name + ".tmp")
    partial.unlink(missing_ok=True)
    cmd = [toolchain.tool("ar"), "rcsD", str(partial), *(str(obj) for _, obj in jobs_)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        partial.unlink(missing_ok=True)
        raise UserError([f"archiving {lib_path} failed (exit {proc.returncode}):",
                         *(proc.stderr + proc.stdout).strip().splitlines()[-20:]])
    os.replace(partial, lib_path)
    return lib_path
