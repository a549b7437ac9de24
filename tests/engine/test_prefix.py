"""A C API prefix per model (issue 12 part 3): two generated models link into one firmware.

The default prefix is the harness's API (``mcunet_invoke``, ``MCUNET_*``); with a prefix every
global symbol a model defines and every macro of its headers carries it, the kernels stay
shared, and two models run side by side on QEMU bit-exactly.
"""

import re

import numpy as np
import pytest

from graph_factory import random_mobilenet
from mcunet_core import engine
from mcunet_core.engine import HOST, Target
from mcunet_core.errors import UserError
from mcunet_core.spec import load_board
from multi_model import assert_runs_bit_exactly, build_models, disassembly, model_objects, nm, spilling_board

PREFIXES = {"vww": 21, "kws": 5}  # prefix -> seed of its random graph
#: What a model object may need from outside: the shared kernels and the C library's copies.
ALLOWED_UNDEFINED = re.compile(r"mcunet_\w+|memcpy|memset|memmove|__aeabi_\w+")
#: What model code must never need: console output, semihosting, the heap.
FORBIDDEN = re.compile(r"\w*printf\w*|puts|putchar|_?write|_sbrk|malloc|calloc|realloc|free|__io_\w+"
                       r"|initialise_monitor_handles|\w*semihost\w*|_sys_\w+")


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
    model = engine.generate(graph, Target.from_board(spilling_board(tmp_path, graph)), tmp_path / "gen", plot=False,
                            prefix="vww")  # two pools: AXI SRAM and DTCM
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
    graphs = {p: random_mobilenet(np.random.default_rng(seed), p) for p, seed in PREFIXES.items()}
    return board, root, graphs, build_models(board, graphs, root)


def _forbidden(symbols) -> list[str]:
    return sorted(s for s in symbols if FORBIDDEN.fullmatch(s))


#: The arena's placements (model.h) -> (VWW's defines, the arena the application then defines):
#: each leaves the model's own names as they are.
PLACEMENTS = {"default": ({}, None), "section": ({"VWW_ARENA_SECTION": '".my_sram"'}, None),
              "extern": ({"VWW_ARENA_EXTERN": "1"}, "vww_arena"), "symbol": ({"VWW_ARENA_SYMBOL": "app_buffer"}, "app_buffer")}


@pytest.mark.parametrize("placement", PLACEMENTS)
def test_two_prefixed_models_define_disjoint_symbols_and_no_printf_or_semihosting(two_models, placement):
    board, root, graphs, _ = two_models
    defines, app_arena = PLACEMENTS[placement]
    defined = {}
    for prefix in graphs:
        objects = model_objects(board, root / prefix, root / f"obj-{prefix}-{placement}", defines=defines)
        defined[prefix] = nm(objects, "--defined-only", "--extern-only")
        assert defined[prefix] and all(s.startswith(prefix + "_") for s in defined[prefix]), defined[prefix]
        assert {f"{prefix}_invoke", f"{prefix}_run"} <= defined[prefix]
        undefined = nm(objects, "--undefined-only") - defined[prefix]  # model.c uses weights.c
        assert not _forbidden(undefined)
        if prefix == "vww" and app_arena:  # the application's arena, not the model's
            assert app_arena in undefined and "vww_arena" not in defined[prefix]
            undefined.discard(app_arena)
        assert not [s for s in undefined if not ALLOWED_UNDEFINED.fullmatch(s)]
        assert "bkpt" not in disassembly(objects) and "svc" not in disassembly(objects)  # no semihosting trap
    assert ("vww_arena" in defined["vww"]) == (app_arena is None)
    assert "kws_arena" in defined["kws"]
    assert not defined["vww"] & defined["kws"]


def test_the_kernels_the_models_link_define_only_mcunet_names_and_no_printf_or_semihosting(two_models):
    board, root, graphs, _ = two_models
    objects = [o for p in graphs for o in model_objects(board, root / p, root / f"kernels-{p}", kernels=True)]
    assert objects
    defined = nm(objects, "--defined-only", "--extern-only")
    assert defined and all(s.startswith("mcunet_") for s in defined), sorted(defined)
    undefined = nm(objects, "--undefined-only") - defined
    assert not _forbidden(undefined)
    assert not [s for s in undefined if not ALLOWED_UNDEFINED.fullmatch(s)]
    assert "bkpt" not in disassembly(objects) and "svc" not in disassembly(objects)


def test_two_models_run_in_one_firmware_bit_exactly(two_models):
    board, _, graphs, firmware = two_models
    assert_runs_bit_exactly(board, graphs, firmware.elf)
    report = (firmware.elf.parent / "models.md").read_text()
    assert "the arenas are separate" in report and "vww_arena" in report and "kws_arena" in report
