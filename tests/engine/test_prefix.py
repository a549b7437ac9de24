"""A C API prefix per model (issue 12 part 3): two generated models link into one firmware.

The default prefix is the harness's API (``mcunet_invoke``, ``MCUNET_*``); with a prefix every
global symbol a model defines and every macro of its headers carries it, the kernels stay
shared, and two models run side by side on QEMU bit-exactly.
"""

import re
import subprocess

import numpy as np
import pytest

from graph_factory import random_input, random_mobilenet
from mcunet_core import engine
from mcunet_core.device.generated import GeneratedBuild, build_generated_models
from mcunet_core.device.toolchain import compile_source, find_toolchain, firmware_flags
from mcunet_core.engine import HOST, Target
from mcunet_core.errors import UserError
from mcunet_core.ir.reference import run
from mcunet_core.spec import load_board

PREFIXES = {"vww": 21, "kws": 5}  # prefix -> seed of its random graph
#: What a model object may need from outside: the shared kernels and the C library's copies.
ALLOWED_UNDEFINED = re.compile(r"mcunet_\w+|memcpy|memset|memmove|__aeabi_\w+")


@pytest.mark.parametrize("bad", ["VWW", "1vww", "vw-w", "", "vww model", "vww\n"])
def test_a_prefix_that_is_not_a_lowercase_c_identifier_is_refused(bad, tmp_path):
    graph = random_mobilenet(np.random.default_rng(1), "bad")
    with pytest.raises(UserError, match="not a lower-case C identifier"):
        engine.generate(graph, HOST, tmp_path, plot=False, prefix=bad)
    assert not list(tmp_path.iterdir())


def test_the_default_prefix_is_the_harness_api(tmp_path):
    graph = random_mobilenet(np.random.default_rng(1), "default")
    engine.generate(graph, HOST, tmp_path / "a", plot=False)
    engine.generate(graph, HOST, tmp_path / "b", plot=False, prefix="mcunet")
    for name in ("model.c", "model.h", "weights.c", "model_weights.h", "mcunet_model_config.h", "plan.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    header = (tmp_path / "a" / "model.h").read_text()
    assert "int mcunet_invoke(const int8_t *input, int8_t *output);" in header
    assert "#define MCUNET_NUM_INPUTS 1" in header and "extern int8_t mcunet_arena[];" in header


def _defines(text: str) -> list[str]:
    return re.findall(r"^#(?:define|ifndef)\s+(\w+)", text, flags=re.M)


def test_a_prefixed_header_names_everything_with_it_and_gives_the_memory_figures(tmp_path):
    graph = random_mobilenet(np.random.default_rng(3), "spill")
    need = engine.plan_memory(graph, HOST).arena_bytes
    board_yaml = tmp_path / "h743-small-arena.yaml"  # two pools: AXI SRAM and DTCM
    board_yaml.write_text(f"extends: h743\nname: h743-small-arena\narena_bytes: {need * 3 // 4 // 8 * 8}\n")
    model = engine.generate(graph, Target.from_board(load_board(board_yaml)), tmp_path / "gen", plot=False,
                            prefix="vww")
    header = (tmp_path / "gen" / "model.h").read_text()
    weights = (tmp_path / "gen" / "model_weights.h").read_text()
    for name in _defines(header) + _defines(weights):
        assert name.startswith("VWW_"), name
    used = [p for p in model.plan.pools if model.plan.pool_bytes.get(p.name, 0)]
    assert len(used) >= 2
    for pool in used:
        assert pool.symbol.startswith("vww_arena")
        assert f"#define {pool.symbol.upper()}_BYTES {model.plan.pool_bytes[pool.name]}u" in header
    assert f"#define VWW_CONSTANT_BYTES {model.const_bytes}u" in header
    assert "int vww_invoke(const int8_t *input, int8_t *output);" in header
    assert '"symbol": "vww_arena_dtcm"' in (tmp_path / "gen" / "plan.json").read_text()


@pytest.fixture(scope="module")
def two_models(tmp_path_factory):
    """VWW- and KWS-prefixed random models for h743 and one firmware whose model object
    (what the harness times) runs one after the other on the inputs laid back to back."""
    root = tmp_path_factory.mktemp("two")
    board = load_board("h743")
    target = Target.from_board(board)
    graphs = {p: random_mobilenet(np.random.default_rng(seed), p) for p, seed in PREFIXES.items()}
    for prefix, graph in graphs.items():
        engine.generate(graph, target, root / prefix, plot=False, prefix=prefix)
    app = _write_app(root / "app", graphs)
    firmware = build_generated_models(board, [root / p for p in graphs], [app], root / "fw",
                                      app_include_dirs=[root / "app", root])
    return board, root, graphs, firmware


def _write_app(app_dir, graphs):
    """The application: includes both models' headers and calls each ``<prefix>_invoke``."""
    app_dir.mkdir(parents=True)
    nbytes = {p: (g.tensors[g.inputs[0]].nbytes, g.tensors[g.outputs[0]].nbytes) for p, g in graphs.items()}
    (app_dir / "mcunet_model_config.h").write_text(
        f"#define MCUNET_INPUT_BYTES {sum(i for i, _ in nbytes.values())}\n"
        f"#define MCUNET_OUTPUT_BYTES {sum(o for _, o in nbytes.values())}\n"
        "#define MCUNET_ARENA_BYTES 0\n")
    body = ['#include "mcunet_model.h"', *(f'#include "{p}/model.h"' for p in graphs), "",
            "int mcunet_invoke(const int8_t *input, int8_t *output)", "{"]
    for p in graphs:
        body += [f"    if ({p}_invoke(input, output) != 0) return 1;",
                 f"    input += {p.upper()}_INPUT0_BYTES;", f"    output += {p.upper()}_OUTPUT0_BYTES;"]
    body += ["    return 0;", "}"]
    (app_dir / "app.c").write_text("\n".join(body) + "\n")
    return app_dir / "app.c"


def _model_objects(board, gen_dir, out_dir):
    """The generated sources (not the kernels) of one folder compiled as the firmware compiles them."""
    build = GeneratedBuild.load(gen_dir)
    flags = firmware_flags(board, variant="emulator", linker_script=out_dir / "unused.ld",
                           map_file=out_dir / "unused.map", include_dirs=build.include_dirs)
    objects = []
    for source in build.sources:
        if source.parent == gen_dir:
            objects.append(out_dir / f"{source.stem}.o")
            compile_source(find_toolchain(), flags, source, objects[-1])
    return objects


def _nm(objects, *flags) -> set[str]:
    out = subprocess.run([find_toolchain().tool("nm"), *flags, "--format=posix", *map(str, objects)],
                         capture_output=True, text=True, check=True).stdout
    return {line.split()[0] for line in out.splitlines() if line and not line.endswith(":")}


def test_two_prefixed_models_define_disjoint_symbols_and_no_printf_or_semihosting(two_models):
    board, root, graphs, _ = two_models
    defined = {}
    for prefix in graphs:
        objects = _model_objects(board, root / prefix, root / f"obj-{prefix}")
        defined[prefix] = _nm(objects, "--defined-only", "--extern-only")
        assert defined[prefix] and all(s.startswith(prefix + "_") for s in defined[prefix]), defined[prefix]
        assert {f"{prefix}_invoke", f"{prefix}_run", f"{prefix}_arena"} <= defined[prefix]
        undefined = _nm(objects, "--undefined-only") - defined[prefix]  # model.c uses weights.c
        assert not [s for s in undefined if not ALLOWED_UNDEFINED.fullmatch(s)]
        dump = subprocess.run([find_toolchain().tool("objdump"), "-d", *map(str, objects)],
                              capture_output=True, text=True, check=True).stdout
        assert "bkpt" not in dump and "svc" not in dump  # no semihosting trap in the model's code
    assert not defined["vww"] & defined["kws"]


def test_two_models_run_in_one_firmware_bit_exactly(two_models):
    from mcunet_core.device.runners.qemu import QemuRunner

    board, _, graphs, firmware = two_models
    rng = np.random.default_rng(4)
    inputs = {p: random_input(g, rng)[0] for p, g in graphs.items()}
    result = QemuRunner(board).run(firmware.elf, b"".join(np.ascontiguousarray(x).tobytes() for x in inputs.values()))
    raw = np.asarray(result.raise_for_status().output).view(np.int8).reshape(-1)
    for prefix, graph in graphs.items():
        out = graph.tensors[graph.outputs[0]]
        expected = run(graph, [inputs[prefix]])[graph.outputs[0]]
        np.testing.assert_array_equal(raw[: out.nbytes].reshape(out.shape), expected, err_msg=prefix)
        raw = raw[out.nbytes:]
    assert raw.size == 0
