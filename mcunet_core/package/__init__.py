"""An exported C package: one model as a self-contained folder for a user's own build.

``export_package(graph, target, board, folder, name)`` generates the model under its own C
prefix (``package_prefix(name)``: ``vww_invoke``), copies only the kernels it calls and the
headers they include (a detector's decode + NMS, ``postprocess=``, with its kernels), renders
a CMake library (``mcunet::<prefix>``), a Zephyr module and a README, and writes the folder
whole or not at all (``atomic.atomic_write_tree``), its manifest (``mcunet_package.json``)
listing every file. ``rules/mcunet_export.py`` wires it into SCons
as ``export=DIR``.
"""

from __future__ import annotations

from pathlib import Path

from ..atomic import atomic_write_tree
from .contents import Package, build_package, package_prefix
from .manifest import MANIFEST, export_dir_problems, is_intact, manifest_bytes, read_manifest
from .render import render_files, target_name


def package_files(pkg: Package) -> dict[str, bytes]:
    """Package path -> bytes of every file, the manifest last."""
    files = {path: text.encode() for path, text in pkg.model_files().items()}
    files.update(pkg.kernel_file_bytes())
    files.update({path: text.encode() for path, text in render_files(pkg).items()})
    about = {"name": pkg.name, "prefix": pkg.prefix, "target": target_name(pkg), "board": pkg.board.name,
             "graph": pkg.graph_name, "opt": pkg.opt, "kernels": list(pkg.kernel_sources),
             "postprocess": "yolo decode + nms" if pkg.postprocess is not None else None}
    files[MANIFEST] = manifest_bytes(files, about)
    return files


def export_package(graph, target, board, folder: str | Path, name: str, *, opt: str = "O2",
                   postprocess=None) -> Package:
    """Write the package of ``graph`` for ``board`` (compiled for ``target``) as ``folder``;
    ``postprocess``: a detector's decode + NMS (``engine.YoloPostprocess``), carried with it."""
    pkg = build_package(graph, target, board, name, opt=opt, postprocess=postprocess)
    atomic_write_tree(folder, package_files(pkg))
    return pkg


__all__ = ["MANIFEST", "Package", "build_package", "export_dir_problems", "export_package", "is_intact",
           "package_files", "package_prefix", "read_manifest"]
