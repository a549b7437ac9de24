"""The package's build files and README, rendered from Jinja2 templates (``templates/``,
laid out as in the package) with deterministic bytes: the same model exports the same files."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2

from .. import __version__
from .contents import Package

_TEMPLATES = Path(__file__).resolve().parent / "templates"

#: template -> the file it renders, relative to the package ({target}: mcunet_<prefix>)
TEMPLATES = {
    "CMakeLists.txt.j2": "CMakeLists.txt",
    "cmake/sources.cmake.j2": "cmake/{target}_sources.cmake",
    "cmake/arm-none-eabi.cmake.j2": "cmake/arm-none-eabi.cmake",
    "zephyr/module.yml.j2": "zephyr/module.yml",
    "zephyr/CMakeLists.txt.j2": "zephyr/CMakeLists.txt",
    "zephyr/Kconfig.j2": "zephyr/Kconfig",
    "README.md.j2": "README.md",
}

_MACRO = re.compile(r"^#define\s+(\w+)\s+(\S+)", re.M)


def target_name(pkg: Package) -> str:
    """The CMake library and Zephyr module name: ``mcunet_<prefix>``."""
    return f"mcunet_{pkg.prefix}"


def variable(pkg: Package) -> str:
    """The stem of the package's CMake variables and Kconfig symbols: ``MCUNET_<PREFIX>``."""
    return f"MCUNET_{pkg.macro}"


def header_macros(header: str, macro_prefix: str) -> list[tuple[str, str]]:
    """The ``#define <PREFIX>_...`` lines of a generated header (not its guard), for the README."""
    return [(n, v) for n, v in _MACRO.findall(header) if n.startswith(macro_prefix + "_") and not n.endswith("_H")]


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(_TEMPLATES)), undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render_files(pkg: Package) -> dict[str, str]:
    """Package path -> text of every build file and the README."""
    var = variable(pkg)
    context = {
        "pkg": pkg,
        "version": __version__,
        "target": target_name(pkg),
        "alias": f"mcunet::{pkg.prefix}",
        "var": var,
        "ref": lambda name: "${" + f"{var}_{name}" + "}",
        "section_var": lambda pool: f"MCUNET_{pool.symbol.upper()}_SECTION",
        "arena_bytes": sum(p.nbytes for p in pkg.pools),
        "macros": header_macros(pkg.model.files["model.h"], pkg.macro),
    }
    env = _environment()
    return {out.format(target=context["target"]): env.get_template(name).render(context)
            for name, out in TEMPLATES.items()}
