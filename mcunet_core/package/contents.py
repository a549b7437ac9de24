"""What an exported package holds: the model generated under its own C prefix, only the
kernels it calls with the headers they include, and what the build files need to know.

Layout (paths relative to the package folder):

    include/<prefix>/model.h      the API: <prefix>_invoke(), <PREFIX>_* memory macros
    src/                          model.c, weights.c, model_weights.h (private); a detector's
                                  postprocess.c (its decode + NMS after the network)
    kernels/                      the kernel sources this model calls and their headers,
                                  in the kernel library's own layout (relative includes hold)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import engine
from ..device.linker import overflow_messages
from ..device.toolchain import compile_flags
from ..errors import UserError
from ..paths import KERNEL_DIR
from .includes import include_closure, quoted_includes

PUBLIC_HEADER = "model.h"
PRIVATE_FILES = ("model.c", "weights.c", "model_weights.h")  # the harness's config header stays out
HARNESS_CONFIG = "mcunet_model_config.h"  # mcunet's own firmware harness reads it; a package has no use for it
SRC_DIR = "src"
KERNELS_DIR = "kernels"
KERNEL_INCLUDE_DIR = "include"  # inside the kernel library


def package_prefix(name: str) -> str:
    """The C prefix of a package's model: its name as a lower-case C identifier (``dscnn-kws``
    -> ``dscnn_kws``, ``3x`` -> ``m_3x``), so packages of two models link side by side. The
    harness's own ``mcunet`` would drop the memory macros and prefixed constants, so a model
    of that name gets ``mcunet_model``."""
    prefix = re.sub(r"[^a-z0-9_]", "_", name.lower()) or "model"
    if prefix[0].isdigit():
        prefix = "m_" + prefix
    return "mcunet_model" if prefix == engine.DEFAULT_PREFIX else prefix


@dataclass(frozen=True)
class TensorInfo:
    """A model input or output as the package README documents it."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    nbytes: int
    scale: float | None
    zero_point: int | None


@dataclass(frozen=True)
class PoolInfo:
    """One arena array: its symbol, its bytes macro, its size, default section and region."""

    symbol: str
    macro: str
    nbytes: int
    section: str
    region: str


@dataclass(frozen=True)
class Package:
    """A model generated for a board under its prefix, and the kernel files it compiles from."""

    name: str
    prefix: str
    board: object  # spec.Board
    graph_name: str
    model: engine.GeneratedModel
    kernel_files: tuple[str, ...]  # relative to the kernel library: the sources and their headers
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    opt: str = "O2"  # the optimisation the library is compiled with by default (scons opt=)

    @property
    def macro(self) -> str:
        return self.prefix.upper()

    @property
    def include_dir(self) -> str:
        return f"include/{self.prefix}"

    @property
    def kernel_sources(self) -> tuple[str, ...]:
        return tuple(self.model.kernel_sources)

    @property
    def measured_flags(self) -> tuple[str, ...]:
        """gcc's flags for the model past the board's core flags: what mcunet's own firmware
        compiles it with (``toolchain.compile_flags``), so the library runs as measured."""
        return tuple(f for f in compile_flags(self.board, self.opt) if f not in self.board.cflags)

    @property
    def postprocess(self):
        """The detection post-processing the model runs after the network (``engine.YoloPostprocess``), or None."""
        return self.model.postprocess

    @property
    def private_files(self) -> tuple[str, ...]:
        """The generated files under ``src/``: the network's, then what else the engine generated
        (a detector's ``postprocess.c``)."""
        more = sorted(set(self.model.files) - {*PRIVATE_FILES, PUBLIC_HEADER, HARNESS_CONFIG})
        return (*PRIVATE_FILES, *more)

    @property
    def model_sources(self) -> tuple[str, ...]:
        """The generated C files, relative to the package folder."""
        return tuple(f"{SRC_DIR}/{n}" for n in self.private_files if n.endswith(".c"))

    @property
    def sources(self) -> tuple[str, ...]:
        """Every C file the library compiles, relative to the package folder."""
        return (*self.model_sources, *(f"{KERNELS_DIR}/{s}" for s in self.kernel_sources))

    @property
    def private_include_dirs(self) -> tuple[str, ...]:
        return (SRC_DIR, self.include_dir, f"{KERNELS_DIR}/{KERNEL_INCLUDE_DIR}")

    @property
    def pools(self) -> tuple[PoolInfo, ...]:
        plan = self.model.plan
        used = [p for i, p in enumerate(plan.pools) if i == 0 or plan.pool_bytes.get(p.name, 0)]
        return tuple(PoolInfo(p.symbol, f"{p.symbol.upper()}_BYTES", max(plan.pool_bytes.get(p.name, 0), 8),
                              p.section, p.name) for p in used)

    def model_files(self) -> dict[str, str]:
        """The generated C under the package's layout (package path -> text)."""
        files = {f"{self.include_dir}/{PUBLIC_HEADER}": self.model.files[PUBLIC_HEADER]}
        files.update({f"{SRC_DIR}/{n}": self.model.files[n] for n in self.private_files})
        return files

    def kernel_file_bytes(self, kernel_dir: Path = KERNEL_DIR) -> dict[str, bytes]:
        return {f"{KERNELS_DIR}/{rel}": (kernel_dir / rel).read_bytes() for rel in self.kernel_files}


def _tensor_info(graph, name: str) -> TensorInfo:
    t = graph.tensors[name]
    q = t.quant
    per_tensor = q is not None and q.scale.size == 1
    return TensorInfo(name, t.dtype.value, tuple(t.shape), t.nbytes,
                      float(np.float32(q.scale[0])) if per_tensor else None,
                      int(q.zero_point[0]) if per_tensor else None)


def check_flash(board, const_bytes: int) -> None:
    """Constants over the board's flash never link: say so now, in the linker's words, rather
    than in the user's build. (The arena is checked by the planner; code size is the link's.)"""
    flash = board.flash_region
    if const_bytes > flash.size:
        raise UserError(overflow_messages(board, f"region `{flash.name}' overflowed by {const_bytes - flash.size} bytes"))


def kernel_files(model: engine.GeneratedModel, kernel_dir: Path = KERNEL_DIR) -> tuple[str, ...]:
    """The kernel sources ``model`` calls and every header they and the generated C include
    from the kernel library (relative to it)."""
    generated = set(model.files)
    roots = set(model.kernel_sources)
    for name, text in model.files.items():
        if name.endswith((".c", ".h")):
            roots.update(f"{KERNEL_INCLUDE_DIR}/{h}" for h in quoted_includes(text) if h not in generated)
    return tuple(include_closure(sorted(roots), kernel_dir, (KERNEL_INCLUDE_DIR,)))


def build_package(graph, target, board, name: str, *, opt: str = "O2", kernel_dir: Path = KERNEL_DIR,
                  postprocess=None) -> Package:
    """Generate ``graph`` for ``target`` (the board's deployment target) under the package's
    prefix, in memory, and collect what it compiles from (with ``-<opt>`` by default).
    ``postprocess`` (``engine.YoloPostprocess``: a detector's decode + NMS) is generated after
    the network as the firmware runs it, so the package carries it and the kernels it calls."""
    prefix = package_prefix(name)
    model = engine.compile_graph(graph, target, prefix=prefix, postprocess=postprocess)
    check_flash(board, model.const_bytes + (0 if postprocess is None else postprocess.constant_bytes))
    return Package(name=name, prefix=prefix, board=board, graph_name=graph.name, model=model,
                   kernel_files=kernel_files(model, kernel_dir),
                   inputs=tuple(_tensor_info(graph, n) for n in graph.inputs),
                   outputs=tuple(_tensor_info(graph, n) for n in graph.outputs), opt=opt)
