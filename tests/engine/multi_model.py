"""Several prefixed models in one firmware, for the tests: generate them, the application that
calls each ``<prefix>_invoke`` in turn, the firmware, a bit-exact run on QEMU, and the models'
objects compiled as the firmware compiles them (for nm)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from graph_factory import random_input
from mcunet_core import engine
from mcunet_core.device.generated import GeneratedBuild, build_generated_models
from mcunet_core.device.toolchain import compile_source, find_toolchain, firmware_flags
from mcunet_core.engine import Target
from mcunet_core.ir.reference import run
from mcunet_core.spec import load_board


def spilling_board(tmp_path: Path, graph):
    """An H743 whose arena region holds 3/4 of what ``graph`` needs: its plan spills into DTCM."""
    need = engine.plan_memory(graph, engine.HOST).arena_bytes
    path = tmp_path / "h743-small-arena.yaml"
    path.write_text(f"extends: h743\nname: h743-small-arena\narena_bytes: {need * 3 // 4 // 8 * 8}\n")
    return load_board(path)


def generate_models(graphs: dict, target: Target, root: Path) -> list[Path]:
    """Each graph generated with its key as the C prefix, into ``root/<prefix>``."""
    for prefix, graph in graphs.items():
        engine.generate(graph, target, root / prefix, plot=False, prefix=prefix)
    return [root / p for p in graphs]


def write_app(app_dir: Path, graphs: dict, extra_c: str = "") -> Path:
    """The harness's model object: ``mcunet_invoke`` runs every model, one after the other, on
    the inputs laid back to back (``extra_c``: more of the application's C, after the includes)."""
    app_dir.mkdir(parents=True, exist_ok=True)
    nbytes = {p: (g.tensors[g.inputs[0]].nbytes, g.tensors[g.outputs[0]].nbytes) for p, g in graphs.items()}
    (app_dir / "mcunet_model_config.h").write_text(
        f"#define MCUNET_INPUT_BYTES {sum(i for i, _ in nbytes.values())}\n"
        f"#define MCUNET_OUTPUT_BYTES {sum(o for _, o in nbytes.values())}\n"
        "#define MCUNET_ARENA_BYTES 0\n")
    body = ['#include "mcunet_model.h"', *(f'#include "{p}/model.h"' for p in graphs), "", extra_c,
            "int mcunet_invoke(const int8_t *input, int8_t *output)", "{"]
    for p in graphs:
        body += [f"    if ({p}_invoke(input, output) != 0) return 1;",
                 f"    input += {p.upper()}_INPUT0_BYTES;", f"    output += {p.upper()}_OUTPUT0_BYTES;"]
    body += ["    return 0;", "}"]
    (app_dir / "app.c").write_text("\n".join(body) + "\n")
    return app_dir / "app.c"


def build_models(board, graphs: dict, root: Path, *, target: Target | None = None, extra_c: str = "", **kwargs):
    """Generate the models for ``board`` (or ``target``) under ``root`` and link them with the
    application into ``root/fw`` (``kwargs``: ``build_generated_models``'s)."""
    gen_dirs = generate_models(graphs, target or Target.from_board(board), root)
    app = write_app(root / "app", graphs, extra_c)
    return build_generated_models(board, gen_dirs, [app], root / "fw", app_include_dirs=[root / "app", root], **kwargs)


def assert_runs_bit_exactly(board, graphs: dict, elf: Path, seed: int = 4, inputs: dict | None = None) -> None:
    """One QEMU run of the firmware: each model's output equals the reference interpreter's."""
    from mcunet_core.device.runners.qemu import QemuRunner

    rng = np.random.default_rng(seed)
    inputs = inputs or {p: random_input(g, rng)[0] for p, g in graphs.items()}
    result = QemuRunner(board).run(elf, b"".join(np.ascontiguousarray(x).tobytes() for x in inputs.values()))
    raw = np.asarray(result.raise_for_status().output).view(np.int8).reshape(-1)
    for prefix, graph in graphs.items():
        out = graph.tensors[graph.outputs[0]]
        expected = run(graph, [inputs[prefix]])[graph.outputs[0]]
        np.testing.assert_array_equal(raw[: out.nbytes].reshape(out.shape), expected, err_msg=prefix)
        raw = raw[out.nbytes:]
    assert raw.size == 0


def model_objects(board, gen_dir: Path, out_dir: Path, *, defines: dict | None = None,
                  kernels: bool = False) -> list[Path]:
    """The generated sources of one folder (and with ``kernels`` the kernels it links instead)
    compiled as the firmware compiles them."""
    build = GeneratedBuild.load(gen_dir)
    flags = firmware_flags(board, variant="emulator", linker_script=out_dir / "unused.ld",
                           map_file=out_dir / "unused.map", include_dirs=build.include_dirs, defines=defines)
    objects = []
    for source in build.sources:
        if (source.parent == gen_dir) != kernels:
            objects.append(out_dir / f"{source.parent.name}_{source.stem}.o")
            compile_source(find_toolchain(), flags, source, objects[-1])
    return objects


def nm(objects, *flags) -> set[str]:
    out = subprocess.run([find_toolchain().tool("nm"), *flags, "--format=posix", *map(str, objects)],
                         capture_output=True, text=True, check=True).stdout
    return {line.split()[0] for line in out.splitlines() if line and not line.endswith(":")}


def disassembly(objects) -> str:
    return subprocess.run([find_toolchain().tool("objdump"), "-d", *map(str, objects)],
                          capture_output=True, text=True, check=True).stdout
