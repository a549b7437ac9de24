"""``python -m mcunet_core.nas``: stage 1 then search end to end, and one-line user errors."""

import json
import subprocess
import sys

import numpy as np
import pytest
import yaml

from mcunet_core.arch import Arch
from mcunet_core.errors import run_cli
from mcunet_core.nas.__main__ import main
from mcunet_core.nas.constraints import measure
from mcunet_core.spec import load_board, load_model, load_search


def _write_search(tmp_path, name="tiny", **constraints):
    """The MCUNet spec cut down to two widths and three stages (quick to plan)."""
    raw = json.loads(json.dumps(load_search("mcunet").raw))
    raw.pop("extends", None)
    raw["name"] = name
    raw["space"].pop("inputs", None)  # one space for every input kind
    raw["space"]["width_multipliers"] = [0.3, 0.5]
    raw["space"]["depths"] = [1, 2]
    raw["space"]["base"].update(stages=[24, 40, 80], strides=[2, 2, 2])
    raw["constraints"].update(constraints)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def _cli(argv, capsys):
    """Run the CLI in-process as ``python -m`` would: (exit status, stdout, stderr)."""
    try:
        status = run_cli(main, [str(a) for a in argv])
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


def test_stage1_then_search(tmp_path, capsys):
    search, out = _write_search(tmp_path), tmp_path / "nas"
    status, stdout, _ = _cli(["stage1", "--board", "f412", "--task", "kws", "--search", search, "--out", out,
                              "--samples", 3, "--jobs", 2], capsys)
    assert status == 0 and stdout.startswith("stage 1: width ") and len(stdout.splitlines()) == 1
    stage1 = json.loads((out / "stage1.json").read_text())
    assert stage1["board"] == "f412" and len(stage1["pairs"]) == 2 and (out / "stage1_cdf.png").is_file()

    status, stdout, _ = _cli(["search", "--board", "f412", "--task", "kws", "--search", search, "--out", out,
                              "--stage1", out / "stage1.json", "--population", 4, "--generations", 1], capsys)
    assert status == 0 and stdout.startswith("search: ")
    doc = json.loads((out / "search.json").read_text())
    assert doc["space"] == {"width": stage1["chosen"]["width"], "resolution": 49}
    assert len(doc["history"]) == 2 and doc["settings"]["population"] == 4
    # the model spec describes the network found, and it measures as the search said
    assert doc["model_spec"] == "nas-kws-f412.yaml"
    model = load_model(out / doc["model_spec"])
    assert model.task == "kws" and model.resolution == 49
    arch = Arch.from_spec(model.architecture, doc["input_shape"], doc["num_classes"])
    assert arch.to_spec() == doc["arch"]
    assert measure(arch, load_board("f412")).to_json() == doc["measurement"]
    assert doc["measurement"]["peak_sram"] <= doc["limits"]["sram"]


@pytest.mark.parametrize("argv, message", [
    (["stage1", "--board", "nope", "--task", "vww", "--out", "o"], "no board spec 'nope'"),
    (["stage1", "--board", "h743", "--task", "vww"], "the following arguments are required: --out"),
    (["stage1", "--board", "h743", "--task", "vww", "--out", "o", "--samples", "0"], "0 must be at least 1"),
    (["stage1", "--board", "h743", "--task", "vww", "--out", "o", "--min-fit-ratio", "2"], "between 0 and 1"),
    (["search", "--board", "h743", "--task", "vww", "--out", "o"], "one of the arguments --stage1 --width"),
    (["search", "--board", "h743", "--task", "vww", "--out", "o", "--stage1", "missing.json"], "no such file"),
    (["search", "--board", "h743", "--task", "vww", "--out", "o", "--width", "-1"], "must be positive"),
    (["evolve"], "invalid choice: 'evolve'"),
])
def test_user_mistakes_are_one_line_and_exit_2(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, stdout, stderr = _cli(argv, capsys)
    assert status == 2 and stdout == ""
    assert len(stderr.strip().splitlines()) == 1 and message in stderr


def test_a_stage1_file_that_is_not_one(tmp_path, capsys):
    bad = tmp_path / "stage1.json"
    bad.write_text("{}")
    status, _, stderr = _cli(["search", "--board", "h743", "--task", "vww", "--out", tmp_path, "--stage1", bad], capsys)
    assert status == 2 and "not a stage 1 result" in stderr and len(stderr.strip().splitlines()) == 1


def test_constraints_nothing_meets_exit_2_without_traceback(tmp_path):
    search = _write_search(tmp_path, "starved", sram=2048)
    proc = subprocess.run([sys.executable, "-m", "mcunet_core.nas", "stage1", "--board", "f412", "--task", "kws",
                           "--search", str(search), "--out", str(tmp_path / "o"), "--samples", "2", "--jobs", "1"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert "no (width, resolution) pair" in proc.stderr and "rejected by sram 4" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_seed_override_changes_nothing_else(tmp_path, capsys):
    search = _write_search(tmp_path)
    docs = []
    for seed in (3, 3):
        out = tmp_path / f"s{len(docs)}"
        status, _, _ = _cli(["search", "--board", "f412", "--task", "kws", "--search", search, "--out", out,
                             "--width", 0.3, "--population", 4, "--generations", 1, "--seed", seed], capsys)
        assert status == 0
        docs.append(json.loads((out / "search.json").read_text()))
    assert docs[0] == docs[1] and docs[0]["seed"] == 3
    assert np.isclose(docs[0]["fitness"], docs[0]["measurement"]["macs"])


def test_a_detection_task_is_searched_as_detectors(tmp_path, capsys):
    """person-det's candidates: backbones at the task's 5:4 aspect, measured with its heads and
    decode + NMS (``nas.heads.DetectionConstraints``), as the pipeline's search measures them."""
    from mcunet_core.nas.heads import constraints_for
    from mcunet_core.nas.constraints import Limits
    from mcunet_core.spec import load_task

    spec = _write_search(tmp_path, "tiny-det")
    raw = yaml.safe_load(spec.read_text())
    raw["space"]["resolutions"] = [96]
    raw["space"]["base"].update(stages=[24, 40, 80, 96], strides=[2, 2, 2, 2])  # to stride 32, the heads' last
    spec.write_text(yaml.safe_dump(raw, sort_keys=False))
    out = tmp_path / "nas"
    status, stdout, err = _cli(["stage1", "--board", "h743", "--task", "person-det", "--search", spec,
                                "--out", out, "--samples", 10, "--jobs", 1], capsys)
    assert status == 0, err
    status, stdout, err = _cli(["search", "--board", "h743", "--task", "person-det", "--search", spec, "--out", out,
                                "--stage1", out / "stage1.json", "--population", 3, "--generations", 1], capsys)
    assert status == 0, err
    doc = json.loads((out / "search.json").read_text())
    assert doc["input_shape"] == [96, 128, 3]  # 96 high, 5:4 to the stride 32
    assert doc["heads"]["strides"] == [8, 16, 32]
    task = load_task("person-det")
    board = load_board("h743")
    constraints = constraints_for(task, board, Limits.from_json(doc["limits"]))
    arch = Arch.from_spec(doc["arch"], tuple(doc["input_shape"]), 1, "winner")
    assert constraints.measure(arch).to_json() == doc["measurement"]
