"""The search space: genes round-trip, sampling, mutation and crossover stay in the space."""

import numpy as np
import pytest

from mcunet_core.nas.space import SearchSpace
from mcunet_core.spec import load_search, load_task


@pytest.fixture(scope="module")
def space():
    return SearchSpace.from_specs(load_search("mcunet"), load_task("vww"), 0.5, 80)


def _in_space(space, arch):
    assert arch.input_shape == (80, 80, 3)
    assert [s.channels for s in arch.stages] == list(space.stage_channels)
    for stage in arch.stages:
        assert stage.depth in space.depths
        assert set(stage.kernels) <= set(space.kernel_sizes) and set(stage.expands) <= set(space.expand_ratios)


def test_channels_follow_the_width_multiplier(space):
    assert space.stem_channels == 16 and space.stage_channels == (16, 24, 40, 48, 96, 160)
    narrow = SearchSpace.from_specs(load_search("mcunet"), load_task("vww"), 0.2, 48)
    assert all(c % 8 == 0 for c in narrow.stage_channels) and narrow.stage_channels[0] == 8


def test_genes_round_trip_and_variation_stays_in_the_space(space):
    rng = np.random.default_rng(0)
    archs = [space.sample(rng) for _ in range(50)]
    for a in archs:
        _in_space(space, a)
        assert space.from_genes(space.genes(a)) == a
    assert len({space.genes(a).tobytes() for a in archs}) == 50
    child = space.crossover(archs[0], archs[1], rng)
    _in_space(space, child)
    mutated = [space.mutate(archs[0], rng, 0.3) for _ in range(20)]
    assert any(m != archs[0] for m in mutated)
    for m in mutated:
        _in_space(space, m)
    assert space.mutate(archs[0], rng, 0.0) == archs[0]
    assert space.smallest().macs() < min(a.macs() for a in archs) <= max(a.macs() for a in archs) < space.largest().macs()


def test_kws_keeps_its_mfcc_shape():
    kws = SearchSpace.from_specs(load_search("mcunet"), load_task("kws"), 0.4)
    assert kws.input_shape == (49, 10, 1) and kws.num_classes == 12


def test_an_mfcc_task_gets_the_spaces_mfcc_base_and_an_image_task_the_image_one():
    search = load_search("mcunet")
    kws = SearchSpace.from_specs(search, load_task("kws"), 1.0)
    vww = SearchSpace.from_specs(search, load_task("vww"), 1.0, 96)
    mfcc = search.space["inputs"]["mfcc"]["base"]
    assert kws.strides == tuple(mfcc["strides"]) and kws.stage_channels == tuple(mfcc["stages"])
    assert vww.strides == tuple(search.space["base"]["strides"])
    # the frequency axis survives every stage: the last map is still more than one coefficient wide
    assert min(shape[1] for shape in kws.largest().feature_shapes()) > 1
    assert search.space_for("mfcc")["width_multipliers"] == search.space["inputs"]["mfcc"]["width_multipliers"]
    assert "inputs" not in search.space_for("image")


def test_an_input_override_with_mismatched_strides_is_refused_with_its_place(tmp_path):
    from mcunet_core.errors import UserError

    path = tmp_path / "bad.yaml"
    path.write_text("extends: mcunet\nname: bad\nspace:\n  inputs:\n    mfcc:\n      base:\n"
                    "        stem: 8\n        first_block: 8\n        stages: [8, 16]\n        strides: [1]\n"
                    "        divisor: 8\n")
    with pytest.raises(UserError, match=r"space\.inputs\.mfcc\.base\.strides.*1 strides for 2 stages"):
        load_search(path)
