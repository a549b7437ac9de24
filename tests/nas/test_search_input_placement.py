"""The NAS with the input outside the arena (``constraints.input_placement: external``): every
candidate measured with the application holding its input (left out of the arena and of the
lower-bound screen), search.json and the winner's model spec recording it, and the engine stage
compiling the winner exactly so; the default (arena) measures and records what it always did."""

from __future__ import annotations

import dataclasses
import json
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import yaml

from mcunet_core import engine
from mcunet_core.arch import Arch
from mcunet_core.engine import InputPlacement, PatchPolicy
from mcunet_core.errors import UserError, run_cli
from mcunet_core.nas.__main__ import main
from mcunet_core.nas.constraints import (
    NAS_PATCHES, Constraints, Limits, deployment_target, estimate_graph, lower_bounds, search_input_placement,
)
from mcunet_core.nas.space import SearchSpace
from mcunet_core.spec import check_paths, load_board, load_model, load_search, load_task

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "rules"))
from mcunet_engine import input_placement, patch_policy  # noqa: E402
from mcunet_stages import Patching, input_placement_for  # noqa: E402

OUTSIDE = InputPlacement("external")


def _search(**constraints):
    search = load_search("mcunet")
    return dataclasses.replace(search, raw={**search.raw, "constraints": {**search.constraints, **constraints}},
                               constraints={**search.constraints, **constraints})


@pytest.fixture(scope="module")
def vww():
    board = load_board("h743")
    space = SearchSpace.from_specs(load_search("mcunet"), load_task("vww"), 0.3, 64)
    return board, space.sample(np.random.default_rng(0))


def test_the_field_defaults_to_the_arena_and_bad_values_are_one_line(tmp_path):
    assert load_search("mcunet").input_placement == "arena"
    assert search_input_placement(load_search("mcunet")) == InputPlacement("arena")
    assert search_input_placement(_search(input_placement="external")) == OUTSIDE
    folder = tmp_path / "search"
    folder.mkdir()
    raw = yaml.safe_load((Path(__file__).resolve().parents[2] / "specs/search/mcunet.yaml").read_text())
    text = yaml.safe_dump(raw, sort_keys=False)
    text = text.replace("constraints:\n", "constraints:\n  input_placement: sdram\n", 1)
    (folder / "bad.yaml").write_text(text)
    _, problems = check_paths([folder / "bad.yaml"])
    line = text.splitlines().index("  input_placement: sdram") + 1
    assert [str(p) for p in problems if "input_placement" in str(p)] == [
        f"{folder / 'bad.yaml'}:{line}: $.constraints.input_placement: 'sdram' is not one of 'arena', 'external'"]


def test_external_candidates_are_measured_without_their_input(vww):
    board, arch = vww
    limits = Limits.resolve(load_search("mcunet"), board)
    graph = estimate_graph(arch)
    frame = graph.tensors[graph.inputs[0]].nbytes
    inside = Constraints.for_board(board, limits, patch=NAS_PATCHES)
    outside = Constraints.for_board(board, limits, patch=NAS_PATCHES, input_placement=OUTSIDE)
    a, b = inside.measure(arch), outside.measure(arch)
    # patches cut from the frame in place: a lower arena (and here a coarser, cheaper grid)
    assert b.patch is not None and b.arena < a.arena and b.instructions < a.instructions
    schedule = engine.PatchSchedule(b.patch[0], b.patch[1:])
    fixed = deployment_target(board, limits, PatchPolicy("fixed", schedule), OUTSIDE)
    assert engine.peak_memory(graph, fixed) == b.arena
    assert outside.schedule_of(arch) == b.schedule
    tight = dataclasses.replace(limits, sram=b.peak_sram)
    assert Constraints.for_board(board, tight, patch=NAS_PATCHES, input_placement=OUTSIDE).verdict(arch) == (b, None)
    assert Constraints.for_board(board, tight, patch=NAS_PATCHES).verdict(arch) == (None, "sram")
    # whole tensors: this network's peak is not at its input, so nothing changes but where it lives
    whole = Constraints.for_board(board, limits, input_placement=OUTSIDE).measure(arch)
    assert whole == Constraints.for_board(board, limits).measure(arch) and whole.patch is None
    # the screen's lower bound leaves the input out too: it never rejects what the measurement admits
    assert lower_bounds(arch, input_placement=OUTSIDE)[0] <= whole.arena
    assert engine.lower_bounds(graph, OUTSIDE)[0] >= engine.lower_bounds(graph)[0] - frame
    assert outside.to_json()["input_placement"] == "external" and "input_placement" not in inside.to_json()


def test_a_searched_network_keeps_the_placement_its_search_measured():
    board = load_board("h743")
    on_board = dataclasses.replace(board, raw={**board.raw, "input_placement": "external"})
    nas = ["nas", "train", "engine"]
    assert input_placement_for(on_board, None, load_search("mcunet"), nas) == InputPlacement("arena")
    assert input_placement_for(board, None, _search(input_placement="external"), nas) == OUTSIDE
    searched = load_model("mcunet-vww-80")
    searched = dataclasses.replace(searched, raw={**searched.raw, "budget": {"sram": 1, "flash": 1}})
    assert input_placement_for(on_board, searched) == InputPlacement("arena")  # searched before: in the arena
    ext = dataclasses.replace(searched, raw={**searched.raw, "input_placement": "external"})
    assert input_placement_for(board, ext) == OUTSIDE
    with pytest.raises(UserError, match="constraints.input_placement: expected arena or external, got 'dma'"):
        input_placement_for(board, None, _search(input_placement="dma"), nas)


def _cli(argv, capsys):
    try:
        status = run_cli(main, [str(a) for a in argv])
    except SystemExit as exc:
        status = exc.code
    return status, capsys.readouterr()


def test_a_tiny_search_records_it_and_the_engine_stage_compiles_the_winner_so(tmp_path, capsys):
    """python -m mcunet_core.nas with patch auto and the input outside: search.json, the model
    spec, and the engine stage's target from that spec give the measured arena exactly."""
    raw = json.loads(json.dumps(load_search("mcunet").raw))
    raw.pop("extends", None)
    raw["name"] = "tiny-ext"
    raw["space"].pop("inputs", None)
    raw["space"].update(width_multipliers=[0.3], resolutions=[48], depths=[1, 2])
    raw["space"]["base"].update(stages=[24, 40, 80], strides=[2, 2, 2])
    raw["constraints"].update(patch="auto", input_placement="external")
    spec = tmp_path / "tiny-ext.yaml"
    spec.write_text(yaml.safe_dump(raw, sort_keys=False))
    out = tmp_path / "nas"
    status, _ = _cli(["search", "--board", "h743", "--task", "vww", "--search", spec, "--out", out,
                      "--width", 0.3, "--resolution", 48, "--population", 2, "--generations", 1,
                      "--fitness", "macs"], capsys)
    assert status == 0
    doc = json.loads((out / "search.json").read_text())
    assert doc["input_placement"] == "external" and doc["patch"]["policy"] == "auto"
    model_file = out / doc["model_spec"]
    model = load_model(model_file)
    assert model.input_placement == "external" and model.patch == doc["measurement"].get("patch", "off")
    arch = Arch.from_spec(model.architecture, doc["input_shape"], doc["num_classes"])
    board = load_board("h743")
    assert input_placement_for(board, model) == OUTSIDE
    # what rules/mcunet_engine._generate builds in a task's pipeline, from the search's model spec
    ctx = types.SimpleNamespace(patch=Patching(PatchPolicy("auto"), "search tiny-ext", searched=True),
                                input_placement=OUTSIDE)
    sources = [tmp_path / "graph.json", model_file]
    target = deployment_target(board, Limits.of_model(model), patch_policy(ctx, sources), input_placement(ctx, sources))
    assert target.input_placement == OUTSIDE
    assert engine.peak_memory(estimate_graph(arch), target) == doc["measurement"]["arena"]
