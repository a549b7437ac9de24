"""Patch-based inference through the build: the ``patch=`` variable, the specs' ``patch`` field
and where it comes from (rules/mcunet_stages.patch_for), fit or patch on a board whose RAM is
too small, and plan.json / report.md of a patched build bit-exact on QEMU; the specs'
``input_placement`` (where it comes from, its errors, a build reading its input outside the arena)."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from scons_project import errors, scons

from mcunet_core.engine import PatchPolicy, PatchSchedule
from mcunet_core.errors import UserError
from mcunet_core.importers.tflite import import_tflite
from mcunet_core.ir.reference import run
from mcunet_core.spec import load_board, load_model, load_search

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "rules"))
from mcunet_specs import selection_from_arguments  # noqa: E402
from mcunet_stages import patch_for  # noqa: E402

NAS = ["nas", "train", "engine"]
IMPORT = ["import", "engine"]


def _with(spec, **raw):
    return dataclasses.replace(spec, raw={**spec.raw, **raw})


def test_user_models_default_to_auto_and_take_the_variable_then_the_model_then_the_board():
    board, tflite = load_board("h743"), load_model("mbv2-vww-96")
    assert patch_for(board, None, None, IMPORT, None) == type(patch_for(board, None, None, IMPORT, None))(
        PatchPolicy("auto"), "default")
    assert patch_for(board, tflite, None, ["train", "engine"], None).policy == PatchPolicy("auto")
    on_board = _with(board, patch="off")
    assert patch_for(on_board, tflite, None, ["train", "engine"], None).policy == PatchPolicy("off")
    mine = _with(tflite, patch={"split": 4, "patches": [3, 1]})
    chosen = patch_for(on_board, mine, None, ["train", "engine"], None)
    assert chosen.policy.schedule == PatchSchedule(4, (3, 1)) and chosen.source == "model spec mbv2-vww-96"
    assert patch_for(on_board, mine, None, ["train", "engine"], "6:2").policy.schedule == PatchSchedule(6, (2, 2))


def test_a_searched_network_compiles_with_the_schedule_its_search_measured():
    board, search = load_board("h743"), load_search("mcunet")
    task = patch_for(_with(board, patch="auto"), None, search, NAS, None)
    assert task.policy == PatchPolicy("off") and task.searched  # the engine reads the NAS's spec
    assert "constraints.patch off" in task.source and task.signature() == ""
    searched = _with(load_model("mcunet-vww-80"), budget={"sram": 1, "flash": 1})  # no patch: searched before
    assert patch_for(board, searched, None, ["train", "engine"], None).policy == PatchPolicy("off")
    assert patch_for(board, _with(searched, patch={"split": 3, "patches": 2}), None, ["train", "engine"],
                     None).policy.schedule == PatchSchedule(3, (2, 2))
    for model, chain in ((None, NAS), (searched, ["train", "engine"])):
        with pytest.raises(UserError, match="patch=auto: a searched network is compiled with the schedule"):
            patch_for(board, model, search, chain, "auto")
    assert patch_for(board, None, search, NAS, "off").policy == PatchPolicy("off")  # the same: fine
    # the engine's signature gains nothing when patches are off (the main job's stays as it was)
    assert patch_for(board, None, None, IMPORT, "off").signature() == ""
    assert patch_for(board, None, None, IMPORT, None).signature() == " patch=auto"


def test_the_variable_is_checked_with_the_others():
    with pytest.raises(UserError) as err:
        selection_from_arguments({"board": "h743", "model": "mbv2-vww-96", "patch": "6x4"})
    assert [m for m in err.value.messages if m.startswith("patch=6x4: not valid")]
    sel = selection_from_arguments({"board": "h743", "model": "mbv2-vww-96", "patch": "6:5x1"})
    assert PatchPolicy.from_argument(sel.patch).schedule == PatchSchedule(6, (5, 1))


def test_specs_patch_field_errors_name_file_line_and_field(tmp_path):
    from mcunet_core.spec import check_paths

    models = tmp_path / "models"
    models.mkdir()
    (models / "bad.yaml").write_text("name: bad\ndescription: x\ntflite: x.tflite\npatch: {split: 0, patches: 1}\n")
    _, problems = check_paths([models / "bad.yaml"])
    lines = [str(p) for p in problems]
    assert any(ln.endswith("bad.yaml:4: $.patch: must be off, auto or {split: <op index >= 1>, patches: <N> or "
                           "[rows, cols]}") for ln in lines), lines


@pytest.fixture
def kws(shared_dir) -> Path:
    return shared_dir / "models" / "kws_ref_model.tflite"


def test_a_model_that_fits_no_schedule_fails_naming_what_it_needed(project, kws, tmp_path):
    (project / "specs" / "boards" / "tiny.yaml").write_text(
        "extends: qemu-m7\nname: tiny\ndescription: qemu-m7 with a 6,000 B arena\narena_bytes: 6000\n")
    result = scons(project, "board=tiny", f"model={kws}")
    assert result.returncode != 0
    text = "\n".join(errors(result))
    assert "board tiny: kws_ref_model does not fit its RAM, with or without patches: whole tensors need an arena" in text
    assert "the board's RAM holds RAM 6,000 B" in text and "Error 2" in text


def test_bad_patch_variable_and_task_override_stop_before_any_work(project, kws):
    bad = scons(project, "board=h743", f"model={kws}", "patch=6x4")
    assert bad.returncode == 2 and any("patch=6x4: not valid" in ln for ln in errors(bad))
    task = scons(project, "board=h743", "task=kws", "patch=auto")
    assert task.returncode == 2
    assert any("a searched network is compiled with the schedule its search measured" in ln for ln in errors(task))
    assert not (project / "build" / "h743" / "kws" / "nas").exists()


def test_a_fixed_schedule_builds_runs_bit_exact_and_reports_its_stage(project, kws):
    out = project / "build" / "qemu-m7" / "kws_ref_model"
    patched = scons(project, "board=qemu-m7", f"model={kws}", "patch=3:2x1")
    assert patched.returncode == 0, patched.stderr
    assert "kws_ref_model: patch 3:2x1 (fixed): split 3, 2x1 patches, arena" in patched.stdout
    plan = json.loads((out / "gen" / "plan.json").read_text())
    assert plan["patch"]["schedule"] == {"split": 3, "patches": [2, 1]} and len(plan["patch"]["patches"]) == 2
    result = json.loads((out / "result.json").read_text())
    assert result["status"] == "ok" and result["arena_bytes"] == plan["arena_bytes"]
    graph = import_tflite(kws)
    with np.load(out / "gen" / "input.npz") as z:
        x = z[graph.inputs[0]]
    np.testing.assert_array_equal(np.load(out / "output.npy"), run(graph, [x])[graph.outputs[0]])
    report = (out / "report.md").read_text()
    assert "## Patch stage" in report and "- patches: patch 3:2x1 (fixed)" in report

    whole = scons(project, "board=qemu-m7", f"model={kws}", "patch=off")
    assert whole.returncode == 0 and "Generating" in whole.stdout
    plan = json.loads((out / "gen" / "plan.json").read_text())
    assert "patch" not in plan and plan["arena_bytes"] == 9400
    assert "Patch stage" not in (out / "report.md").read_text()


def test_the_engine_stage_compiles_the_schedule_the_search_recorded(tmp_path):
    import types

    import yaml

    from mcunet_engine import patch_policy
    from mcunet_stages import Patching

    raw = yaml.safe_load((Path(__file__).resolve().parents[1] / "specs" / "models" / "mcunet-vww-80.yaml").read_text())
    raw.update(name="nas-vww-h743", budget={"sram": 400000, "flash": 1000000})
    spec = tmp_path / "nas-vww-h743.yaml"
    ctx = types.SimpleNamespace(patch=Patching(PatchPolicy("off"), "search mcunet", searched=True))
    for recorded, want in ((None, PatchPolicy("off")), ("off", PatchPolicy("off")),
                           ({"split": 6, "patches": [5, 1]}, PatchPolicy("fixed", PatchSchedule(6, (5, 1))))):
        spec.write_text(yaml.safe_dump({**raw, **({} if recorded is None else {"patch": recorded})}))
        assert patch_policy(ctx, [tmp_path / "graph.json", spec]) == want
    mine = types.SimpleNamespace(patch=Patching(PatchPolicy("auto"), "default"))
    assert patch_policy(mine, [tmp_path / "graph.json"]) == PatchPolicy("auto")


def test_input_placement_comes_from_the_model_then_the_board():
    from mcunet_core.engine import InputPlacement
    from mcunet_engine import input_signature
    from mcunet_stages import input_placement_for

    board, model = load_board("h743"), load_model("mbv2-vww-96")
    assert input_placement_for(board, model) == InputPlacement("arena")
    on_board = _with(board, input_placement="external")
    assert input_placement_for(on_board, model) == input_placement_for(on_board, None) == InputPlacement("external")
    assert input_placement_for(on_board, _with(model, input_placement="arena")) == InputPlacement("arena")
    with pytest.raises(UserError, match="input_placement: expected arena or external, got 'dma'"):
        input_placement_for(board, _with(model, input_placement="dma"))
    import types

    assert input_signature(types.SimpleNamespace(input_placement=InputPlacement("arena"))) == ""  # as it always was
    assert input_signature(types.SimpleNamespace(input_placement=InputPlacement("external"))) == \
        " input_placement=external"


def test_specs_input_placement_errors_name_file_line_and_field(tmp_path):
    from mcunet_core.spec import check_paths

    models = tmp_path / "models"
    models.mkdir()
    (models / "bad.yaml").write_text("name: bad\ndescription: x\ntflite: x.tflite\ninput_placement: sdram\n")
    _, problems = check_paths([models / "bad.yaml"])
    lines = [str(p) for p in problems]
    assert any(ln.endswith("bad.yaml:4: $.input_placement: 'sdram' is not one of 'arena', 'external'")
               for ln in lines), lines


def test_an_external_input_builds_runs_bit_exact_and_is_reported_apart(project, kws):
    (project / "specs" / "models" / "kws-ext.yaml").write_text(
        f"name: kws-ext\ndescription: KWS reading its input outside the arena\ntflite: {kws}\n"
        "input_placement: external\npatch: off\n")
    built = scons(project, "board=qemu-m7", "model=kws-ext")
    assert built.returncode == 0, built.stderr
    out = project / "build" / "qemu-m7" / "kws-ext"
    graph = import_tflite(kws)
    n = graph.tensors[graph.inputs[0]].nbytes
    plan = json.loads((out / "gen" / "plan.json").read_text())
    assert plan["external"] == [{"name": graph.inputs[0], "input": graph.inputs[0], "offset": 0, "bytes": n}]
    assert "#define MCUNET_INPUTS_EXTERNAL 1" in (out / "gen" / "model.h").read_text()
    result = json.loads((out / "result.json").read_text())
    assert result["status"] == "ok" and result["memory"]["external_input_bytes"] == n
    with np.load(out / "gen" / "input.npz") as z:
        x = z[graph.inputs[0]]
    np.testing.assert_array_equal(np.load(out / "output.npy"), run(graph, [x])[graph.outputs[0]])
    assert f"outside the arena (input_placement: external), {n:,} B" in (out / "report.md").read_text()
