"""Compile a generated model folder for the host and run it: the sanitizer check of the code
generator.

The host build uses the kernels' plain-C paths (no DSP extension), so it checks the
generated model, the memory plan and the fallbacks; ARM paths are checked under QEMU. Like
the firmware build it reads the folder's ``build.json`` and ``io.json``.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..ir.model_io import ModelIO
from ..paths import FIRMWARE_DIR
from .generated import GeneratedBuild

HOST_MAIN = FIRMWARE_DIR / "host" / "host_main.c"
SANITIZE = ("-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer")


@dataclass
class HostProgram:
    exe: Path
    input_dtypes: list[np.dtype]
    output_specs: list[tuple[tuple[int, ...], np.dtype]]

    def run(self, inputs: list[np.ndarray], workdir: Path, timeout: float = 60.0) -> list[np.ndarray]:
        in_paths, out_paths = [], []
        for i, (x, dt) in enumerate(zip(inputs, self.input_dtypes)):
            p = workdir / f"in{i}.bin"
            p.write_bytes(np.ascontiguousarray(x, dtype=dt).tobytes())
            in_paths.append(str(p))
        for i in range(len(self.output_specs)):
            out_paths.append(str(workdir / f"out{i}.bin"))
        proc = subprocess.run([str(self.exe), *in_paths, *out_paths], capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"host model run failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
        return [
            np.frombuffer(Path(p).read_bytes(), dtype=dt).reshape(shape)
            for p, (shape, dt) in zip(out_paths, self.output_specs)
        ]


def build_host(gen_dir: str | Path, workdir: str | Path | None = None, sanitize: bool = True, opt: str = "-O1",
               main: Path = HOST_MAIN) -> HostProgram:
    """Compile the generated folder ``gen_dir`` with ``main`` (default: the file-I/O harness)
    into ``workdir`` (default: ``gen_dir``)."""
    gen_dir = Path(gen_dir)
    workdir = Path(workdir or gen_dir)
    build = GeneratedBuild.load(gen_dir)
    exe = workdir / "host_model"
    cmd = [
        "gcc", opt, "-g", "-std=c11", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter",
        *(SANITIZE if sanitize else ()),
        *(f"-I{d}" for d in build.include_dirs),
        *map(str, build.sources), str(main), "-o", str(exe), "-lm",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"host compile failed:\n{' '.join(cmd)}\n{proc.stderr[-6000:]}")
    io = ModelIO.load(gen_dir / "io.json")
    return HostProgram(exe, [np.dtype(t.dtype) for t in io.inputs], [(t.shape, np.dtype(t.dtype)) for t in io.outputs])
