"""arm-none-eabi-gcc: presence and version, flags from the board spec, compile, link.

One code path for flags: ``firmware_flags`` is used by the Python build
(``build_firmware``, for tests and benchmarks: a set of C files for a board in a temp
dir, no SCons) and by the SCons tool ``rules/arm_gcc.py``, which puts the same lists
into its construction environment and links through ``link_firmware``.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import atomic_write_text
from ..errors import UserError
from . import uart
from .elf import Elf, memory_report
from .linker import FIRMWARE_DIR, Layout, layout, overflow_messages, render_linker_script

RUNTIME_DIR = FIRMWARE_DIR / "runtime"
OPT_LEVELS = ("O2", "O3", "Os")
DEFAULT_OPT = "O2"
MIN_GCC_MAJOR = 12
INSTALL_COMMAND = "sudo apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi"
DEFAULT_PREFIX = "arm-none-eabi-"
PREFIX_ENV = "MCUNET_ARM_PREFIX"  # e.g. /opt/gcc-arm/bin/arm-none-eabi-


@dataclass(frozen=True)
class Toolchain:
    prefix: str
    gcc: str
    version: str

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    def tool(self, name: str) -> str:
        path = shutil.which(self.prefix + name)
        if not path:
            raise UserError(f"{self.prefix}{name} not found; install it with: {INSTALL_COMMAND}")
        return path


@functools.lru_cache(maxsize=None)
def find_toolchain(prefix: str | None = None) -> Toolchain:
    """Locate arm-none-eabi-gcc, check its version and newlib; UserError with the fix if not."""
    prefix = prefix or os.environ.get(PREFIX_ENV) or DEFAULT_PREFIX
    gcc = shutil.which(prefix + "gcc")
    if not gcc:
        raise UserError(
            f"{prefix}gcc not found on PATH: install the Arm embedded toolchain with: {INSTALL_COMMAND} "
            f"(or run scripts/setup.sh; a toolchain elsewhere: set {PREFIX_ENV})"
        )
    try:
        version = subprocess.run([gcc, "-dumpfullversion"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        raise UserError(f"{gcc} does not run ({exc}); reinstall with: {INSTALL_COMMAND}") from None
    if not re.match(r"^\d+(\.\d+)*$", version):
        raise UserError(f"{gcc} -dumpfullversion printed {version!r}; reinstall with: {INSTALL_COMMAND}")
    if int(version.split(".")[0]) < MIN_GCC_MAJOR:
        raise UserError(f"{gcc} is version {version}; mcunet needs {MIN_GCC_MAJOR} or newer: {INSTALL_COMMAND}")
    specs = subprocess.run([gcc, "-print-file-name=nano.specs"], capture_output=True, text=True).stdout.strip()
    if not os.path.isabs(specs):
        raise UserError(f"{gcc} has no newlib (nano.specs not found); install it with: {INSTALL_COMMAND}")
    return Toolchain(prefix=prefix, gcc=gcc, version=version)


def runtime_sources() -> list[Path]:
    """The firmware runtime's C files (each guards itself by MCUNET_EMULATOR/HARDWARE)."""
    return sorted(RUNTIME_DIR.glob("*.c"))


def check_opt(opt: str) -> str:
    opt = opt.lstrip("-")
    if opt not in OPT_LEVELS:
        raise UserError(f"unknown optimisation level {opt!r}; expected one of {', '.join(OPT_LEVELS)}")
    return opt


def variant_defines(board, variant: str) -> dict[str, str]:
    """The variant, the core's define (specs/cores/), and in hardware builds the family's
    register defines and UART wiring (specs/families/, see ``uart``)."""
    defines = {"MCUNET_EMULATOR" if variant == "emulator" else "MCUNET_HARDWARE": "1"}
    core = getattr(board, "core_spec", None)
    if core is not None:
        defines[core.define] = "1"
    if variant == "hardware":
        defines.update(uart.family_defines(board))
        defines.update(uart.uart_defines(board))
    return defines


@dataclass(frozen=True)
class FirmwareFlags:
    """Everything gcc needs for one (board, variant, opt) build; SCons and Python share it."""

    ccflags: tuple[str, ...]
    cppdefines: tuple[tuple[str, str], ...]
    cpppath: tuple[str, ...]
    linkflags: tuple[str, ...]
    libs: tuple[str, ...] = ("c", "m", "gcc")

    def compile_command(self, gcc: str, source, obj) -> list[str]:
        defs = [f"-D{k}={v}" for k, v in self.cppdefines]
        incs = [f"-I{p}" for p in self.cpppath]
        return [gcc, *self.ccflags, *defs, *incs, "-c", str(source), "-o", str(obj)]

    def link_command(self, gcc: str, objects, elf) -> list[str]:
        libs = ["-Wl,--start-group", *(f"-l{lib}" for lib in self.libs), "-Wl,--end-group"]
        return [gcc, *self.linkflags, *map(str, objects), *libs, "-o", str(elf)]


def compile_flags(board, opt: str = DEFAULT_OPT) -> list[str]:
    """gcc's flags for every C file built for ``board``: the board spec's core flags, the
    optimisation, and sections per function and object so the link keeps only what is called."""
    return [*board.cflags, f"-{check_opt(opt)}", "-g", "-std=gnu11", "-Wall", "-ffunction-sections",
            "-fdata-sections", "-fno-common", "-fstack-usage"]


def library_flags(board, *, opt: str = DEFAULT_OPT, include_dirs=(), defines: dict | None = None) -> FirmwareFlags:
    """Flags for a model library an application links itself: the firmware's compile flags
    without the runtime's include folder or defines (the model's C needs neither) and no link;
    ``defines`` are the application's (the arena's placement: ``VWW_ARENA_SECTION``, ...)."""
    return FirmwareFlags(ccflags=tuple(compile_flags(board, opt)),
                         cppdefines=tuple(sorted((k, str(v)) for k, v in (defines or {}).items())),
                         cpppath=tuple(map(str, include_dirs)), linkflags=())


def firmware_flags(
    board,
    *,
    variant: str,
    opt: str = DEFAULT_OPT,
    linker_script,
    map_file,
    include_dirs=(),
    defines: dict | None = None,
) -> FirmwareFlags:
    opt = check_opt(opt)
    arch = list(board.cflags)
    ccflags = compile_flags(board, opt)
    linkflags = [
        *arch,
        f"-{opt}",
        "-nostartfiles",
        "--specs=nano.specs",
        "--specs=nosys.specs",
        f"-T{linker_script}",
        f"-Wl,-Map={map_file}",
        "-Wl,--gc-sections",
        "-Wl,--print-memory-usage",
        "-Wl,--no-warn-rwx-segments",
    ]
    all_defines = {**variant_defines(board, variant), **{k: str(v) for k, v in (defines or {}).items()}}
    cpppath = [str(RUNTIME_DIR), *map(str, include_dirs)]
    return FirmwareFlags(
        ccflags=tuple(ccflags),
        cppdefines=tuple(sorted(all_defines.items())),
        cpppath=tuple(cpppath),
        linkflags=tuple(linkflags),
    )


def _run(cmd: list[str], what: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        lines = (proc.stderr + proc.stdout).strip().splitlines()
        raise UserError([f"{what} failed (exit {proc.returncode}):", *lines[-40:]])
    return proc


def compile_source(toolchain: Toolchain, flags: FirmwareFlags, source, obj) -> None:
    Path(obj).parent.mkdir(parents=True, exist_ok=True)
    _run(flags.compile_command(toolchain.gcc, source, obj), f"compiling {source}")


def link_firmware(toolchain: Toolchain, flags: FirmwareFlags, objects, elf, board) -> str:
    """Link; a program over the board's budget raises UserError naming board, region, bytes."""
    proc = subprocess.run(flags.link_command(toolchain.gcc, objects, elf), capture_output=True, text=True)
    output = proc.stderr + proc.stdout
    if proc.returncode != 0:
        overflow = overflow_messages(board, output)
        if overflow:
            raise UserError(overflow)
        raise UserError([f"linking {elf} for board {board.name} failed:", *output.strip().splitlines()[-40:]])
    return output


def embedded_input_source(data: bytes) -> str:
    """C source holding an input compiled into a hardware image (section .mcunet_input)."""
    rows = [", ".join(str(b - 256 if b > 127 else b) for b in data[i : i + 24]) for i in range(0, len(data), 24)]
    body = ",\n    ".join(rows)
    return (
        "/* Generated by mcunet_core.device.toolchain: an input compiled into the image. */\n"
        "#include <stdint.h>\n"
        f"__attribute__((section(\".mcunet_input\"), aligned(8))) const int8_t mcunet_embedded_input[{max(len(data), 1)}] = {{\n"
        f"    {body}\n}};\n"
        f"const uint32_t mcunet_embedded_input_bytes = {len(data)}u;\n"
    )


@dataclass
class Firmware:
    """A linked image and what is known about it without running it."""

    board: str
    variant: str
    opt: str
    elf: Path
    map_file: Path
    linker_script: Path
    layout: Layout
    memory: dict = field(default_factory=dict)
    link_output: str = ""


def build_firmware(
    board,
    sources,
    out_dir,
    *,
    variant: str = "emulator",
    opt: str = DEFAULT_OPT,
    include_dirs=(),
    defines: dict | None = None,
    name: str = "fw",
    embedded_input: bytes | None = None,
    toolchain: Toolchain | None = None,
    jobs: int | None = None,
    placement: str | None = None,
) -> Firmware:
    """Compile ``sources`` + the runtime for ``board`` into ``out_dir/<name>.elf``."""
    toolchain = toolchain or find_toolchain()
    out = Path(out_dir)
    (out / "obj").mkdir(parents=True, exist_ok=True)
    lay = layout(board, variant, placement)
    ld = out / f"{name}.ld"
    atomic_write_text(ld, render_linker_script(board, variant, placement))
    sources = [Path(s) for s in sources]
    defines = dict(defines or {})
    if embedded_input is not None:
        if variant != "hardware":
            raise UserError("an embedded input is for hardware builds; emulator builds read input.bin")
        src = out / "mcunet_input_data.c"
        atomic_write_text(src, embedded_input_source(bytes(embedded_input)))
        sources.append(src)
        defines["MCUNET_INPUT_EMBEDDED"] = "1"
    flags = firmware_flags(
        board,
        variant=variant,
        opt=opt,
        linker_script=ld,
        map_file=out / f"{name}.map",
        include_dirs=include_dirs,
        defines=defines,
    )
    all_sources = runtime_sources() + sources
    objects = [out / "obj" / f"{i:03d}_{s.stem}.o" for i, s in enumerate(all_sources)]
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 2) as pool:
        list(pool.map(lambda so: compile_source(toolchain, flags, *so), zip(all_sources, objects)))
    elf = out / f"{name}.elf"
    link_out = link_firmware(toolchain, flags, objects, elf, board)
    fw = Firmware(
        board=board.name,
        variant=variant,
        opt=check_opt(opt),
        elf=elf,
        map_file=out / f"{name}.map",
        linker_script=ld,
        layout=lay,
        link_output=link_out,
    )
    fw.memory = memory_report(Elf(elf), lay)
    return fw


def format_memory_report(board_name: str, memory: dict) -> str:
    """Per-region use, like ld's --print-memory-usage but with the board's names."""
    lines = [f"board {board_name}: flash {memory['flash_bytes']} B, static RAM {memory['static_ram_bytes']} B"]
    for name, r in memory["regions"].items():
        pct = 100.0 * r["used"] / r["size"] if r["size"] else 0.0
        lines.append(f"  {name:<12} {r['used']:>9} / {r['size']:>9} B  {pct:5.1f}%")
    return "\n".join(lines)
