"""Stage 1: the grid, the choice rule, a tiny grid whose answer is known, determinism, outputs."""

import dataclasses
import json

import numpy as np
import pytest
from PIL import Image

from mcunet_core.errors import UserError
from mcunet_core.nas.constraints import Constraints, Limits
from mcunet_core.nas.space import SearchSpace
from mcunet_core.nas.stage1 import PairResult, choose, pair_grid, run_stage1, write_stage1
from mcunet_core.spec import load_board, load_search, load_task


def _search(**space):
    s = load_search("mcunet")
    return dataclasses.replace(s, space={**s.space, **space})


def test_grid_follows_the_search_spec_and_the_task():
    search = load_search("mcunet")
    vww = pair_grid(search, load_task("vww"))
    assert len(vww) == 81 and (0.2, 48) in vww and (1.0, 176) in vww
    # only resolutions both the search and the task allow
    assert sorted({r for _, r in pair_grid(_search(resolutions=[48, 100, 224]), load_task("imagenet"))}) == [48, 224]
    # MFCC input has one shape: widths only, the space's MFCC widths
    mfcc_widths = search.space_for("mfcc")["width_multipliers"]
    assert mfcc_widths != search.space["width_multipliers"]
    assert pair_grid(search, load_task("kws")) == [(w, 49) for w in mfcc_widths]
    with pytest.raises(UserError, match="none of its resolutions"):
        pair_grid(_search(resolutions=[40]), load_task("imagenet"))
    # the paper's 108 configurations: widths 0.2-1.0 x resolutions 48-224
    paper = load_search("mcunet-paper")
    for task in ("vww", "imagenet"):
        grid = pair_grid(paper, load_task(task))
        assert len(grid) == 108 and {r for _, r in grid} == set(range(48, 225, 16))
        assert {w for w, _ in grid} == {round(0.1 * i, 1) for i in range(2, 11)}


def _pair(width, resolution, samples, macs):
    return PairResult(width, resolution, samples, tuple(sorted(macs)))


def test_choice_takes_the_highest_quantile_among_pairs_where_enough_fit():
    small = _pair(0.2, 48, 10, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100])  # 0.8 quantile 82
    big = _pair(0.5, 96, 10, [100, 200, 300, 400])  # 0.8 quantile 340, 40 % fit
    huge = _pair(1.0, 176, 10, [5000])  # one fitting sample: out
    assert choose([small, big, huge], 0.8, 0.1) is big
    assert choose([small, big, huge], 0.8, 0.5) is small  # big has 40 % < 50 %
    assert choose([small, big, huge], 0.05, 0.1) is big
    with pytest.raises(UserError, match="no .width, resolution. pair"):
        choose([huge, _pair(0.5, 96, 10, [])], 0.8, 0.1)


def test_a_tiny_grid_with_a_known_answer(tmp_path):
    """One network per pair (one kernel, expand and depth): the answer is the pair whose
    network has the most MACs among those under the SRAM limit."""
    search = _search(width_multipliers=[0.2, 0.4, 0.6], resolutions=[48, 64, 96],
                     kernel_sizes=[3], expand_ratios=[3], depths=[2])
    task, board = load_task("vww"), load_board("f412")
    roomy = Constraints.for_board(board, Limits(10**7, 10**7, None))
    nets = {(w, r): SearchSpace.from_specs(search, task, w, r).smallest() for w, r in pair_grid(search, task)}
    peaks = {pair: roomy.measure(arch).peak_sram for pair, arch in nets.items()}
    limit = int(np.median(list(peaks.values())))
    fitting = [pair for pair, peak in peaks.items() if peak <= limit]
    expected = max(fitting, key=lambda pair: nets[pair].macs())
    assert expected != max(nets, key=lambda pair: nets[pair].macs())  # the limit matters
    result = run_stage1(search, task, Constraints.for_board(board, Limits(limit, 10**7, None)), samples=3, jobs=1)
    assert (result.chosen.width, result.chosen.resolution) == expected
    ratios = {(p.width, p.resolution): p.fit_ratio for p in result.pairs}
    assert ratios == {pair: float(pair in fitting) for pair in nets}
    assert all(dict(p.rejected) == ({} if p.fit_ratio else {"sram": 3}) for p in result.pairs)


def test_runs_are_deterministic_across_processes_and_write_json_and_png(tmp_path):
    search = _search(width_multipliers=[0.2, 0.3], resolutions=[48, 64])
    task, board = load_task("vww"), load_board("f746")
    constraints = Constraints.for_board(board, Limits(30_000, 10**7, None))
    one = run_stage1(search, task, constraints, samples=4, jobs=1, context={"board": board.name})
    two = run_stage1(search, task, constraints, samples=4, jobs=2, context={"board": board.name})
    assert one.to_json() == two.to_json()
    assert any(0 < p.fit_ratio < 1 for p in one.pairs)  # the limit cuts through the samples
    paths = write_stage1(one, tmp_path / "out")
    doc = json.loads(paths[0].read_text())
    assert doc["board"] == "f746" and doc["chosen"] == {"width": one.chosen.width, "resolution": one.chosen.resolution}
    assert [(p["width"], p["resolution"]) for p in doc["pairs"]] == pair_grid(search, task)
    chosen = next(p for p in doc["pairs"] if (p["width"], p["resolution"]) == (one.chosen.width, one.chosen.resolution))
    assert chosen["score_macs"] == max(p["score_macs"] for p in doc["pairs"] if p["eligible"])
    with Image.open(paths[1]) as png:
        assert png.format == "PNG" and png.size[0] > 300
    assert sorted(q.name for q in (tmp_path / "out").iterdir()) == ["stage1.json", "stage1_cdf.png"]
