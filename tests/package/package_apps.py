"""Tiny firmware applications around exported packages, built the way their users build:
with CMake and arm-none-eabi-gcc through the package's own toolchain file, or as Zephyr
modules (under a stand-in for Zephyr's CMake functions, since Zephyr itself is not here).

Startup and linker script are mcunet's own (``firmware/runtime`` and the board's emulator
linker script from ``device.linker``), so QemuRunner runs the result as it runs mcunet's
firmware: the harness times ``mcunet_invoke()``, which here calls each package's
``<prefix>_invoke()`` on the inputs laid back to back (``multi_model.write_app``, as the
engine's multi-model tests do).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from mcunet_core.device.linker import render_linker_script
from mcunet_core.device.toolchain import RUNTIME_DIR, variant_defines
from multi_model import write_app

APP_FLAGS = "-O2 -ffunction-sections -fdata-sections"
APP_LINK = "-nostartfiles -Wl,--gc-sections -Wl,--no-warn-rwx-segments"

APP_CMAKE = """cmake_minimum_required(VERSION 3.13)
project(mcunet_package_app C)
{modules}
file(GLOB RUNTIME_SOURCES {runtime}/*.c)
add_executable(app.elf app.c ${{RUNTIME_SOURCES}})
target_include_directories(app.elf PRIVATE ${{CMAKE_CURRENT_LIST_DIR}} {runtime})
target_compile_definitions(app.elf PRIVATE {defines})
separate_arguments(APP_FLAGS UNIX_COMMAND "{flags}")
target_compile_options(app.elf PRIVATE ${{APP_FLAGS}})
separate_arguments(APP_LINK UNIX_COMMAND "{link} -T{ld}")
target_link_options(app.elf PRIVATE ${{APP_LINK}})
target_link_libraries(app.elf PRIVATE {libraries})
"""

#: Zephyr's library functions as Zephyr defines them (cmake/modules/extensions.cmake), on
#: plain CMake: a module's CMakeLists.txt runs unchanged; its libraries are linked whole.
ZEPHYR_STAND_IN = """add_library(zephyr_interface INTERFACE)
target_compile_options(zephyr_interface INTERFACE -Os)
macro(zephyr_library_named name)
  set(ZEPHYR_CURRENT_LIBRARY ${name})
  add_library(${name} STATIC "")
  set_property(GLOBAL APPEND PROPERTY ZEPHYR_LIBS ${name})
  target_link_libraries(${name} PUBLIC zephyr_interface)
endmacro()
function(zephyr_library_sources)
  target_sources(${ZEPHYR_CURRENT_LIBRARY} PRIVATE ${ARGN})
endfunction()
function(zephyr_include_directories)
  target_include_directories(zephyr_interface INTERFACE ${ARGN})
endfunction()
function(zephyr_library_include_directories)
  target_include_directories(${ZEPHYR_CURRENT_LIBRARY} PRIVATE ${ARGN})
endfunction()
function(zephyr_library_compile_definitions)
  target_compile_definitions(${ZEPHYR_CURRENT_LIBRARY} PRIVATE ${ARGN})
endfunction()
function(zephyr_library_compile_options)  # after zephyr_interface's, as Zephyr places them
  string(MD5 uniqueness "${ARGV}")
  if(NOT TARGET options_interface_lib_${uniqueness})
    add_library(options_interface_lib_${uniqueness} INTERFACE)
    target_compile_options(options_interface_lib_${uniqueness} INTERFACE ${ARGN})
  endif()
  target_link_libraries(${ZEPHYR_CURRENT_LIBRARY} PRIVATE options_interface_lib_${uniqueness})
endfunction()
"""


def _cmake_list(items) -> str:
    return " ".join(f'"{i}"' for i in items)


def _write_app_cmake(app_dir: Path, board, modules: str, libraries) -> None:
    ld = app_dir / "app.ld"
    ld.write_text(render_linker_script(board, "emulator"))
    defines = [f"{k}={v}" for k, v in variant_defines(board, "emulator").items()]
    (app_dir / "CMakeLists.txt").write_text(APP_CMAKE.format(
        modules=modules, runtime=RUNTIME_DIR, defines=_cmake_list(defines), flags=APP_FLAGS, link=APP_LINK,
        ld=ld, libraries=" ".join(libraries)))


def cmake_build(app_dir: Path, build_dir: Path, toolchain_file: Path) -> Path:
    """Configure and build ``app_dir`` with Ninja; the ELF's path. A failure shows CMake's output."""
    env = {**os.environ, "CMAKE_GENERATOR": "Ninja"}
    configure = ["cmake", "-S", str(app_dir), "-B", str(build_dir), f"-DCMAKE_TOOLCHAIN_FILE={toolchain_file}",
                 "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"]
    for cmd in (configure, ["cmake", "--build", str(build_dir), "--", f"-j{os.cpu_count() or 2}"]):
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
        assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return build_dir / "app.elf"


def cmake_app(app_dir: Path, board, packages: dict, graphs: dict) -> Path:
    """An application that adds each package folder (prefix -> folder) with add_subdirectory
    and links its ``mcunet::<prefix>`` target; its CMakeLists.txt."""
    write_app(app_dir, graphs)
    modules = "\n".join(f"add_subdirectory({folder} ${{CMAKE_BINARY_DIR}}/{p})" for p, folder in packages.items())
    _write_app_cmake(app_dir, board, modules, [f"mcunet::{p}" for p in packages])
    return app_dir


def zephyr_app(app_dir: Path, board, modules: dict, graphs: dict) -> Path:
    """An application that includes each Zephyr module (prefix -> (folder, module.yml's
    ``build.cmake``, {CONFIG_...: value})) under the stand-in and links every Zephyr library
    whole, as Zephyr does."""
    write_app(app_dir, graphs)
    (app_dir / "zephyr_stand_in.cmake").write_text(ZEPHYR_STAND_IN)
    lines = ["include(${CMAKE_CURRENT_LIST_DIR}/zephyr_stand_in.cmake)"]
    for p, (folder, cmake_dir, config) in modules.items():
        lines += [f'set({k} "{v}")' for k, v in config.items()]
        lines.append(f"add_subdirectory({folder}/{cmake_dir} ${{CMAKE_BINARY_DIR}}/{p})")
    lines.append("get_property(ZEPHYR_LIBS GLOBAL PROPERTY ZEPHYR_LIBS)")
    _write_app_cmake(app_dir, board, "\n".join(lines),
                     ["zephyr_interface", "-Wl,--whole-archive", "${ZEPHYR_LIBS}", "-Wl,--no-whole-archive"])
    return app_dir


def kconfig_values(kconfig: Path, enable: str) -> dict[str, str]:
    """``CONFIG_<SYM>`` -> value of every symbol in a Zephyr Kconfig file with ``enable`` set
    to y and the others at their defaults (kconfiglib, the library Zephyr's build uses)."""
    import kconfiglib

    conf = kconfiglib.Kconfig(str(kconfig), warn_to_stderr=False)
    assert not conf.warnings, conf.warnings
    conf.syms[enable].set_value("y")
    return {f"CONFIG_{s.name}": s.str_value for s in conf.unique_defined_syms}
