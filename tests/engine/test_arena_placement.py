"""Where a prefixed model's arena lives is the application's choice, made with macros when
model.c is compiled (model.h documents them): another linker section, an array the
application defines, or the application's own array under another name. Addresses stay
link-time constants, and the models run bit-exactly wherever their arenas are."""

import subprocess

import numpy as np
import pytest

from graph_factory import random_mobilenet
from mcunet_core import engine
from mcunet_core.device.elf import Elf
from mcunet_core.device.toolchain import find_toolchain, firmware_flags
from mcunet_core.engine import Target
from mcunet_core.spec import load_board
from multi_model import assert_runs_bit_exactly, build_models, spilling_board

GRAPHS = {"vww": 21, "kws": 5}  # prefix -> seed of its random graph


def _graphs():
    return {p: random_mobilenet(np.random.default_rng(seed), p) for p, seed in GRAPHS.items()}


def test_model_h_documents_the_placement_macros_of_every_pool(tmp_path):
    graph = random_mobilenet(np.random.default_rng(3), "spill")
    board = spilling_board(tmp_path, graph)
    engine.generate(graph, Target.from_board(board), tmp_path / "gen", plot=False, prefix="vww")
    header = (tmp_path / "gen" / "model.h").read_text()
    source = (tmp_path / "gen" / "model.c").read_text()
    assert "(<POOL> = VWW_ARENA, VWW_ARENA_DTCM)" in header
    assert "#define VWW_ARENA_ALIGN 16" in header
    for word in ("-D<POOL>_SECTION", "-D<POOL>_EXTERN", "-D<POOL>_SYMBOL=buf", "int8_t vww_arena[VWW_ARENA_BYTES]"):
        assert word in header, word
    assert "extern int8_t vww_arena_dtcm[VWW_ARENA_DTCM_BYTES];" in header
    for pool in ("VWW_ARENA", "VWW_ARENA_DTCM"):
        assert f"#if defined({pool}_SYMBOL)" in source and f"#elif !defined({pool}_EXTERN)" in source
        assert f"section({pool}_SECTION), aligned(VWW_ARENA_ALIGN)" in source
    assert '#define VWW_ARENA_DTCM_SECTION ".region.dtcm"' in source


def _compiles(board, gen_dir, tmp_path, c_text: str) -> subprocess.CompletedProcess:
    app = tmp_path / "app.c"
    app.write_text(c_text)
    flags = firmware_flags(board, variant="emulator", linker_script=tmp_path / "unused.ld",
                           map_file=tmp_path / "unused.map", include_dirs=[gen_dir])
    return subprocess.run(flags.compile_command(find_toolchain().gcc, app, tmp_path / "app.o"),
                          capture_output=True, text=True)


def test_an_application_arena_of_the_wrong_size_does_not_compile(tmp_path):
    board = load_board("h743")
    graph = random_mobilenet(np.random.default_rng(21), "vww")
    engine.generate(graph, Target.from_board(board), tmp_path / "gen", plot=False, prefix="vww")
    template = '#include "model.h"\nint8_t vww_arena[{}] __attribute__((aligned(VWW_ARENA_ALIGN)));\n'
    assert _compiles(board, tmp_path / "gen", tmp_path, template.format("VWW_ARENA_BYTES")).returncode == 0
    wrong = _compiles(board, tmp_path / "gen", tmp_path, template.format("VWW_ARENA_BYTES - 8"))
    assert wrong.returncode != 0 and "conflicting types for 'vww_arena'" in wrong.stderr


def test_the_application_places_one_arena_by_section_and_defines_the_other(tmp_path):
    board = load_board("h743")
    graphs = _graphs()
    app_arena = ('int8_t kws_arena[KWS_ARENA_BYTES] __attribute__((section(".region.sram2"), '
                 'aligned(KWS_ARENA_ALIGN)));\n')
    firmware = build_models(board, graphs, tmp_path, extra_c=app_arena,
                            defines={"VWW_ARENA_SECTION": '".region.sram1"', "KWS_ARENA_EXTERN": "1"})
    elf = Elf(firmware.elf)
    placed = {name: firmware.layout.region_of(elf.symbol(name).addr).name for name in ("vww_arena", "kws_arena")}
    assert placed == {"vww_arena": "SRAM1", "kws_arena": "SRAM2"}
    assert firmware.memory["arena_bytes"] == 0  # nothing left in the board's .arena
    for prefix in graphs:
        header = (tmp_path / prefix / "model.h").read_text()
        declared = int(header.split(f"#define {prefix.upper()}_ARENA_BYTES ")[1].split("u")[0])
        assert elf.symbol(f"{prefix}_arena").size == declared
    assert_runs_bit_exactly(board, graphs, firmware.elf)
