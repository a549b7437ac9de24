"""The spec API other parts of the project build on: typed boards with datasheet facts,
extends, tasks, models (.yaml or .tflite), searches, quantization, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mcunet_core.errors import UserError
from mcunet_core.spec import (
    KIND_DIRS,
    Board,
    Region,
    check_paths,
    list_specs,
    load_board,
    load_model,
    load_quant,
    load_search,
    load_spec,
    load_task,
)
from mcunet_core.spec.loader import check_schemas
from mcunet_core.spec.located import load_yaml
from mcunet_core.spec.schema import did_you_mean, schema_for

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
KiB = 1024


def test_shipped_specs_are_clean():
    count, problems = check_paths()
    assert [str(p) for p in problems] == []
    assert count == sum(len(list_specs(k)) for k in KIND_DIRS)
    assert {"f746", "h743", "f412", "qemu-m7", "qemu-m4"} <= set(list_specs("board"))
    assert list_specs("core") == ["cortex-m4", "cortex-m7"]
    assert list_specs("family") == ["stm32f4", "stm32f7", "stm32h7"]
    assert {"vww", "kws", "imagenet"} <= set(list_specs("task"))
    assert list_specs("search") and list_specs("quant") and list_specs("model")


def test_schemas_are_draft_2020_12():
    assert check_schemas() == []
    for kind in KIND_DIRS:
        assert schema_for(kind, REPO / "specs" / "schemas")["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def _ram(board: Board) -> dict[str, Region]:
    return {r.name: r for r in board.regions if r.kind == "ram"}


def test_f746_datasheet_facts():
    b = load_board("f746")
    assert (b.core, b.fpu, b.dsp, b.clock_hz) == ("cortex-m7", "fpv5-sp-d16", True, 216_000_000)
    assert (b.flash_region.base, b.flash_region.size) == (0x08000000, 1024 * KiB)
    sram = b.arena_region
    assert (sram.base, sram.size) == (0x20000000, 320 * KiB) and sum(r.size for r in _ram(b).values()) == 320 * KiB
    assert [(k.name, k.base, k.size) for k in sram.banks] == [
        ("DTCM", 0x20000000, 64 * KiB), ("SRAM1", 0x20010000, 240 * KiB), ("SRAM2", 0x2004C000, 16 * KiB)]
    assert b.cflags == ["-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-sp-d16", "-mfloat-abi=hard"]
    assert b.emulator.machine == "mps2-an500"
    # pyOCD has no built-in STM32F746 target: the spec says how to get the CMSIS pack
    assert b.pyocd_target.startswith("stm32f746")
    assert b.pyocd_pack.install == "pyocd pack install stm32f746" and "--pack" in b.pyocd_pack.note


def test_h743_datasheet_facts():
    b = load_board("h743")
    assert (b.core, b.fpu, b.dsp, b.clock_hz, b.revision) == ("cortex-m7", "fpv5-d16", True, 480_000_000, "V")
    assert (b.flash_region.base, b.flash_region.size) == (0x08000000, 2048 * KiB)
    ram = {n: (r.base, r.size) for n, r in _ram(b).items()}
    assert ram == {
        "DTCM": (0x20000000, 128 * KiB), "AXI_SRAM": (0x24000000, 512 * KiB),
        "SRAM1": (0x30000000, 128 * KiB), "SRAM2": (0x30020000, 128 * KiB),
        "SRAM3": (0x30040000, 32 * KiB), "SRAM4": (0x38000000, 64 * KiB),
    }
    assert b.arena_region.name == "AXI_SRAM" and b.reserve_region == b.arena_region
    assert b.arena_budget == 512 * KiB - b.stack_reserve - b.heap_reserve
    assert b.pyocd_target == "stm32h743xx" and b.pyocd_pack is None
    assert b.cflags == ["-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-d16", "-mfloat-abi=hard"]
    assert b.emulator.machine == "mps2-an500"
    assert b.source_file == REPO / "specs" / "boards" / "h743.yaml" and b.raw["name"] == "h743"


def test_f412_datasheet_facts():
    b = load_board("f412")
    assert (b.core, b.fpu, b.dsp, b.clock_hz) == ("cortex-m4", "fpv4-sp-d16", True, 100_000_000)
    assert (b.flash_region.size, b.arena_region.base, b.arena_region.size) == (1024 * KiB, 0x20000000, 256 * KiB)
    assert b.pyocd_target == "stm32f412xg" and b.emulator.machine == "mps2-an386"
    assert b.cflags == ["-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard"]


@pytest.mark.parametrize("name,machine", [("qemu-m7", "mps2-an500"), ("qemu-m4", "mps2-an386")])
def test_emulated_stand_in_boards(name, machine):
    b = load_board(name)
    assert b.emulator.machine == machine and b.pyocd_target is None
    assert (b.flash_region.base, b.flash_region.size) == (0, 4 << 20)
    assert (b.arena_region.base, b.arena_region.size) == (0x20000000, 4 << 20)


def test_extends_overrides_and_inherits():
    base, rev_y = load_board("h743"), load_board("h743-rev-y")
    assert (rev_y.clock_hz, rev_y.revision) == (400_000_000, "Y")
    assert rev_y.regions == base.regions and rev_y.cflags == base.cflags
    assert rev_y.source_file.name == "h743-rev-y.yaml"


def test_user_board_outside_the_project_extends_by_name(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("extends: h743\nname: mine\ndescription: my board\nreserve: {stack: 16384}\n")
    b = load_board(path)
    assert b.name == "mine" and b.stack_reserve == 16384 and b.arena_region.name == "AXI_SRAM"


def test_every_problem_is_raised_at_once():
    with pytest.raises(UserError) as exc:
        load_board(FIXTURES / "boards" / "many-errors.yaml")
    assert len(exc.value.messages) == 4
    assert all(": $." in m for m in exc.value.messages)


def test_unknown_names_suggest():
    with pytest.raises(UserError, match=r"no board spec 'h74' .*did you mean 'h743'\?"):
        load_board("h74")
    with pytest.raises(UserError, match="unknown spec kind 'boards'.*did you mean 'board'"):
        list_specs("boards")
    assert did_you_mean("clokc", ["clock", "core"]) == "; did you mean 'clock'?"
    assert did_you_mean("zzz", ["clock"]) == ""


def test_tasks():
    vww, kws, inet = load_task("vww"), load_task("kws"), load_task("imagenet")
    assert (vww.classes, vww.input_shape, vww.color, vww.resolution) == (2, (96, 96, 3), "rgb", 96)
    assert vww.dataset.source == "embedded" and vww.dataset.embedded["generator"] == "synthetic-vww"
    assert (kws.classes, kws.input_shape, kws.input_kind) == (12, (49, 10, 1), "mfcc")
    assert all(isinstance(label, str) for label in kws.labels) and "yes" in kws.labels
    assert (inet.classes, inet.dataset.format, inet.dataset.source) == (1000, "imagefolder", "path")


def test_dataset_paths(monkeypatch, tmp_path):
    inet = load_task("imagenet")
    monkeypatch.delenv("MCUNET_IMAGENET_DIR", raising=False)
    with pytest.raises(UserError, match="MCUNET_IMAGENET_DIR"):
        inet.dataset.data_path()
    monkeypatch.setenv("MCUNET_IMAGENET_DIR", str(tmp_path))
    assert inet.dataset.data_path() == tmp_path
    custom = load_task(FIXTURES / "tasks" / "custom-imagenet.yaml")
    monkeypatch.delenv("MCUNET_IMAGENET_DIR")
    assert custom.dataset.data_path() == Path("/data/imagenet")
    monkeypatch.delenv("MCUNET_VWW_DIR", raising=False)
    vww = load_task("vww").dataset
    assert vww.data_path() is None  # the embedded default
    # the identity a build depends on: the generator's settings, or the user's resolved path
    assert vww.identity() == "embedded synthetic-vww samples=10000 seed=0"
    monkeypatch.setenv("MCUNET_VWW_DIR", str(tmp_path))
    assert vww.identity() == f"imagefolder {tmp_path.resolve()}"
    monkeypatch.setenv("MCUNET_VWW_DIR", str(tmp_path / "missing"))
    with pytest.raises(UserError, match=r"missing \(from \$MCUNET_VWW_DIR\) does not exist"):
        vww.identity()


def test_models(tmp_path):
    arch = load_model("mcunet-vww-80")
    assert arch.kind == "architecture" and arch.resolution == 80 and arch.task == "vww"
    assert arch.architecture["stages"][0]["kernel"] == [7, 3]
    fake = tmp_path / "tiny.tflite"
    fake.write_bytes(b"\x1c\x00\x00\x00TFL3" + bytes(24))
    m = load_model(str(fake))
    assert (m.kind, m.name, m.tflite, m.source_file) == ("tflite", "tiny", fake.resolve(), None)
    spec = tmp_path / "models" / "wrapped.yaml"
    spec.parent.mkdir()
    spec.write_text("name: wrapped\ndescription: a model file\ntflite: ../tiny.tflite\n")
    assert load_model(spec).tflite == fake.resolve()
    with pytest.raises(UserError, match="model file not found"):
        load_model(str(tmp_path / "missing.tflite"))
    (tmp_path / "bad.tflite").write_bytes(b"not a model")
    with pytest.raises(UserError, match="not a TFLite flatbuffer"):
        load_model(str(tmp_path / "bad.tflite"))
    # the suffix in any case is a model file; a folder named like one is said to be a folder
    for name in ("UPPER.TFLITE", "Mixed.TFLite"):
        (tmp_path / name).write_bytes(fake.read_bytes())
        assert load_model(str(tmp_path / name)).kind == "tflite"
    (tmp_path / "folder.tflite").mkdir()
    with pytest.raises(UserError, match="folder.tflite: a directory, not a .tflite file"):
        load_model(str(tmp_path / "folder.tflite"))


def test_real_tflite_model(shared_dir):
    m = load_model(str(shared_dir / "models" / "vww_96_int8.tflite"))
    assert m.name == "vww_96_int8" and m.kind == "tflite"


def test_search_constraints_resolve_from_the_board():
    search, board = load_search("mcunet"), load_board("f412")
    space = search.space
    assert set(space["kernel_sizes"]) == {3, 5, 7} and min(space["width_multipliers"]) > 0
    # 'auto' leaves the board's application reserve (F412: 16 KiB SRAM, 128 KiB flash)
    assert search.reserve(board) == {"sram": 16384, "flash": 131072}
    assert search.resolve_constraints(board) == {
        "sram": board.arena_budget - 16384, "flash": board.flash_budget - 131072, "latency_ms": 100,
        "macs": 8_000_000}
    small = load_spec("search", FIXTURES / "search" / "small-budget.yaml")
    assert small.resolve_constraints(board) == {"sram": 131072, "flash": board.flash_budget - 131072,
                                                "latency_ms": 500, "macs": 8_000_000}
    # a board without a reserve (the emulated cores) gives the search all of it
    qemu = load_board("qemu-m4")
    assert search.resolve_constraints(qemu)["flash"] == qemu.flash_budget


def test_quant():
    q = load_quant("int8")
    assert q.weights == {"dtype": "int8", "granularity": "per-channel", "symmetric": True}
    assert q.activations["granularity"] == "per-tensor" and q.calibration["samples"] > 0 and q.qat["epochs"] >= 0


def test_yaml_locations_and_hex(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("a: 0x08000000\nb:\n  - {c: 1}\n  - d: 2\n")
    tree, problems = load_yaml(path)
    assert problems == []
    assert tree.plain() == {"a": 0x08000000, "b": [{"c": 1}, {"d": 2}]}
    assert tree.find(("b", 1, "d"))[0].line == 4 and tree.find(("b", 0))[0].line == 3


def _cli(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "mcunet_core.spec", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_cli_check_list_show():
    ok = _cli("check")
    assert ok.returncode == 0 and "no problems" in ok.stdout and ok.stderr == ""
    bad = _cli("check", "tests/spec/fixtures/boards/many-errors.yaml")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    lines = bad.stderr.splitlines()
    assert lines[0] == ("tests/spec/fixtures/boards/many-errors.yaml:3: $.core: 'cortex-m7f' is not one of "
                        "'cortex-m4', 'cortex-m7'; did you mean 'cortex-m7'?")
    assert len(lines) == 5 and lines[-1] == "4 problem(s) in 1 spec file(s)"
    listed = _cli("list", "board")
    assert listed.returncode == 0 and "h743" in listed.stdout.split()
    shown = _cli("show", "board", "h743-rev-y")
    merged = json.loads(shown.stdout)
    assert merged["clock"] == {"hz": 400000000, "revision": "Y"} and merged["arena_region"] == "AXI_SRAM"
    assert "extends" not in merged
    missing = _cli("show", "board", "nope")
    assert missing.returncode == 2 and missing.stderr.startswith("no board spec 'nope'")


def test_a_model_spec_may_name_its_task_by_path(tmp_path):
    """A user's task spec pointing at their data lives outside specs/: a searched model spec
    names it by path (relative to the model spec, or absolute), and a missing one is reported."""
    from mcunet_core.nas.evolution import task_reference
    from mcunet_core.spec import load_model, load_task

    (tmp_path / "mine.yaml").write_text("extends: kws\nname: mine\ndescription: my clips\n")
    model = ("name: m\ndescription: d\nresolution: 49\ntask: {task}\narchitecture:\n  family: dscnn\n"
             "  stem: {{channels: 8, kernel: [10, 4], stride: 2}}\n  blocks: {{channels: 8, depth: 1, kernel: 3}}\n"
             "  head: {{pool: avg}}\n")
    (tmp_path / "m.yaml").write_text(model.format(task="mine.yaml"))
    spec = load_model(tmp_path / "m.yaml")
    assert spec.task == str((tmp_path / "mine.yaml").resolve()) and load_task(spec.task).name == "mine"
    (tmp_path / "m.yaml").write_text(model.format(task="gone.yaml"))
    with pytest.raises(UserError, match=r"m\.yaml:4: \$\.task: no task spec file gone\.yaml"):
        load_model(tmp_path / "m.yaml")
    assert task_reference(load_task("kws")) == "kws"
    assert task_reference(load_task(tmp_path / "mine.yaml")) == str((tmp_path / "mine.yaml").resolve())


@pytest.mark.parametrize("kind, folder", [("board", "boards"), ("task", "tasks"), ("search", "search"),
                                          ("quant", "quant"), ("model", "models")])
@pytest.mark.parametrize("ref", ["{name}", "./{name}.yaml", "{name}.yaml"])
def test_a_spec_that_extends_itself_is_told_so(tmp_path, kind, folder, ref):
    from mcunet_core.spec import load_spec

    (tmp_path / folder).mkdir()
    path = tmp_path / folder / "mine-only.yaml"
    path.write_text(f"extends: {ref.format(name='mine-only')}\nname: mine-only\ndescription: x\n")
    with pytest.raises(UserError, match=r"mine-only\.yaml:1: \$\.extends: cannot extend .*: that is this file itself"):
        load_spec(kind, path)


def test_a_spec_named_like_a_project_spec_extends_the_project_one(tmp_path):
    from mcunet_core.spec import load_board

    (tmp_path / "h743.yaml").write_text("extends: h743\nname: h743\ndescription: my own H743\n")
    assert load_board(tmp_path / "h743.yaml").description == "my own H743"
