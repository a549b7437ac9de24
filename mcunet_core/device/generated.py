"""A generated model folder (the engine's output) -> sources and include folders -> firmware.

The engine describes what to compile in ``build.json`` (``engine.generate``); this module
reads that file, so the device layer builds any generated folder without asking the engine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..atomic import atomic_write_text
from ..errors import UserError
from ..paths import KERNEL_DIR

BUILD_DESCRIPTION = "build.json"


@dataclass(frozen=True)
class GeneratedBuild:
    """What ``build.json`` names, resolved: the generated folder's sources and includes, and
    the kernel library's sources this model links and its headers."""

    gen_dir: Path
    sources: tuple[Path, ...]
    include_dirs: tuple[Path, ...]

    @classmethod
    def load(cls, gen_dir: str | Path, kernel_dir: Path = KERNEL_DIR) -> "GeneratedBuild":
        gen_dir = Path(gen_dir)
        path = gen_dir / BUILD_DESCRIPTION
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            sources = [gen_dir / s for s in doc["sources"]] + [kernel_dir / s for s in doc["kernel_sources"]]
            includes = [gen_dir / d for d in doc["include_dirs"]] + [kernel_dir / d for d in doc["kernel_include_dirs"]]
        except FileNotFoundError:
            raise UserError(f"{gen_dir}: no {BUILD_DESCRIPTION}: not a folder the engine generated") from None
        except (ValueError, KeyError, TypeError) as err:
            raise UserError(f"{path}: not a build description ({err})") from None
        return cls(gen_dir, tuple(sources), tuple(includes))


def build_generated(board, gen_dir: str | Path, out_dir: str | Path, *, opt: str = "O2", variant: str = "emulator",
                    defines: dict | None = None, extra_sources=()):
    """Compile a generated folder + its kernels + the runtime for ``board`` (``toolchain.Firmware``)."""
    from .toolchain import build_firmware

    build = GeneratedBuild.load(gen_dir)
    return build_firmware(board, [*build.sources, *extra_sources], out_dir, opt=opt, variant=variant,
                          defines=defines, include_dirs=list(build.include_dirs))


def _unique(items) -> list:
    return list(dict.fromkeys(items))


def build_generated_models(board, gen_dirs, app_sources, out_dir, *, app_include_dirs=(), opt: str = "O2",
                           variant: str = "emulator", defines: dict | None = None, shared_arena: bool = False):
    """Several generated folders (each generated with its own ``prefix``) and an application
    into one firmware (``toolchain.Firmware``). The application is the harness's model object:
    its ``mcunet_invoke()`` calls the models' ``<prefix>_invoke()``, and its include folders
    come first so the harness reads its ``mcunet_model_config.h``, not a model's. A kernel two
    models use compiles once: the models share one copy.

    ``shared_arena``: the application says the models never run at the same time, so one
    array per pool, as large as the largest model's, serves them all (``shared_arena.c`` in
    ``out_dir``, ``shared_arena.share_arenas``). ``models.md`` in ``out_dir`` reports the
    arenas either way; ``defines`` (to every source) win over the shared arena's."""
    from .elf import Elf
    from .models_report import REPORT, render_models_report
    from .shared_arena import ModelArenas, share_arenas
    from .toolchain import build_firmware

    builds = [GeneratedBuild.load(d) for d in gen_dirs]
    arena = share_arenas(gen_dirs) if shared_arena else None
    models = arena.models if arena else tuple(ModelArenas.load(d) for d in gen_dirs)
    extra = []
    if arena:
        extra.append(Path(out_dir) / "shared_arena.c")
        atomic_write_text(extra[0], arena.c_source())
        defines = {**arena.defines(), **(defines or {})}
    sources = _unique([*(s for b in builds for s in b.sources), *extra, *map(Path, app_sources)])
    includes = _unique([*map(Path, app_include_dirs), *(d for b in builds for d in b.include_dirs)])
    firmware = build_firmware(board, sources, out_dir, opt=opt, variant=variant, defines=defines,
                              include_dirs=includes)
    atomic_write_text(Path(out_dir) / REPORT, render_models_report(
        board.name, models, arena, Elf(firmware.elf), firmware.layout, firmware.memory))
    return firmware
