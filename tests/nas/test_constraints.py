"""Constraints: the NAS's figures are the engine's, infeasible networks are rejected, the
cheap screens never reject a network the exact measurement would accept."""

import dataclasses

import numpy as np
import pytest

from mcunet_core.arch import RandomWeights, arch_to_graph
from mcunet_core import engine
from mcunet_core.engine import FirmwareCosts, Pool, Target
from mcunet_core.nas.constraints import (
    Constraints, Limits, deployment_target, estimate_graph, fits, lower_bounds, measure,
)
from mcunet_core.nas.space import SearchSpace
from mcunet_core.spec import load_board, load_model, load_search, load_task


@pytest.fixture(scope="module")
def h743():
    return load_board("h743")


@pytest.fixture(scope="module")
def vww_space():
    return SearchSpace.from_specs(load_search("mcunet"), load_task("vww"), 0.3, 64)


def test_measure_is_the_engines_memory_flash_and_latency(h743, vww_space):
    target = Target.from_board(h743)
    firmware = FirmwareCosts.measured()
    for arch in (vww_space.sample(np.random.default_rng(3)), vww_space.smallest()):
        m = measure(arch, h743)
        graph = arch_to_graph(arch, RandomWeights(0))
        lowered = engine.lower(graph, target)
        plans = engine.kernel_plans(graph, target)
        assert [p.function for p in plans] == [p.function for p in lowered.plans]
        assert m.arena == engine.peak_memory(graph, target)
        assert m.constants == sum(c.data.nbytes for call in lowered.calls for c in call.constants)
        assert m.peak_sram == m.arena + firmware.ram
        assert m.flash == m.constants + firmware.code.bytes(plans)
        assert m.instructions == engine.default_latency_model().instructions(lowered.work())
        assert m.latency_ms == pytest.approx(m.instructions / h743.clock_hz * 1e3)
        assert m.macs == arch.macs()


def test_measure_is_memoized_by_network_not_name(h743, vww_space):
    arch = vww_space.sample(np.random.default_rng(4))
    assert measure(dataclasses.replace(arch, name="other"), h743) is measure(arch, h743)


def test_a_target_needs_a_clock(vww_space):
    with pytest.raises(TypeError):
        measure(vww_space.smallest(), Target("t"))


def test_no_placement_in_the_pools_is_infeasible(vww_space):
    tiny = Target("tiny", pools=(Pool("ram", 4096, "mcunet_arena", ".arena"),))
    assert measure(vww_space.smallest(), tiny, clock_hz=100_000_000) is None


def test_limits_are_inclusive_bounds(h743, vww_space):
    arch = vww_space.sample(np.random.default_rng(5))
    m = measure(arch, h743)

    def verdict(limits):  # measured with the board's own target, whatever the limits
        return Constraints(Target.from_board(h743), h743.clock_hz, limits).verdict(arch)

    exact = Limits(m.peak_sram, m.flash, m.latency_ms)
    assert fits(m, exact) and fits(m, Limits(m.peak_sram, m.flash, None))
    for broken, tighter in (("sram", Limits(m.peak_sram - 1, m.flash, None)),
                            ("flash", Limits(m.peak_sram, m.flash - 1, None)),
                            ("latency", Limits(m.peak_sram, m.flash, m.latency_ms * 0.999))):
        assert not fits(m, tighter)
        assert verdict(tighter) == (None, broken)
    assert verdict(exact) == (m, None)
    # a MACs limit (the compute budget) is checked before any lowering
    assert verdict(Limits(m.peak_sram, m.flash, None, macs=m.macs)) == (m, None)
    assert not fits(m, Limits(m.peak_sram, m.flash, None, macs=m.macs - 1))
    assert verdict(Limits(m.peak_sram, m.flash, None, macs=m.macs - 1)) == (None, "macs")


def test_a_search_flash_limit_makes_the_engine_keep_int8_weights(h743, vww_space):
    arch = vww_space.sample(np.random.default_rng(5))
    m = measure(arch, h743)
    lean, broken = Constraints.for_board(h743, Limits(m.peak_sram, m.flash - 1, None)).verdict(arch)
    assert broken is None and lean.flash < m.flash and lean.instructions > m.instructions
    # below what int8 weights everywhere need, nothing fits
    assert Constraints.for_board(h743, Limits(m.peak_sram, 100_000, None)).verdict(arch) == (None, "flash")


def test_lower_bounds_never_exceed_the_exact_figures(h743):
    """The screens reject without planning: they must never reject a network that fits."""
    rng = np.random.default_rng(6)
    for task, width, res in (("vww", 0.4, 96), ("kws", 0.5, None), ("imagenet", 0.3, 112)):
        space = SearchSpace.from_specs(load_search("mcunet"), load_task(task), width, res)
        for _ in range(3):
            arch = space.sample(rng)
            m = measure(arch, h743)
            arena, constants = lower_bounds(arch)
            assert arena <= m.arena and constants <= m.constants


def test_search_limits_from_the_spec_and_the_board(h743):
    search = load_search("mcunet")
    # sram/flash "auto" take the board's budgets less its application reserve (64 KiB SRAM and
    # 256 KiB flash on the H743); the shipped spec's latency limit is kept
    assert (h743.app_sram_reserve, h743.app_flash_reserve) == (65536, 262144)
    auto = Limits.resolve(search, h743)
    assert auto == Limits(h743.arena_budget - 65536, h743.flash_budget - 262144, 100.0, macs=8_000_000)
    # the search spec can set its own reserve, or none
    own = {**search.constraints, "reserve": {"sram": 0, "flash": 100_000}}
    assert Limits.resolve(dataclasses.replace(search, constraints=own), h743) == \
        Limits(h743.arena_budget, h743.flash_budget - 100_000, 100.0, macs=8_000_000)
    # explicit limits are the model's own budget: nothing is taken from them
    explicit = dataclasses.replace(search, constraints={"sram": 200_000, "flash": 500_000, "latency_ms": 50})
    limits = Limits.resolve(explicit, h743)
    assert limits == Limits(200_000, 500_000, 50.0)
    # kernels must keep int8 weights where pre-widened ones would break the search's flash limit
    assert Constraints.for_board(h743, limits).target.flash_budget == 500_000
    assert Constraints.for_board(h743, auto).target == deployment_target(h743, auto)
    assert deployment_target(h743, auto).flash_budget == h743.flash_budget - 262144
    assert deployment_target(h743, None) == Target.from_board(h743)
    # a searched model spec records its budget; the engine stage compiles it with that target
    spec = dataclasses.replace(load_model("mcunet-vww-80"), raw={"budget": limits.to_json()})
    assert Limits.of_model(spec) == limits and Limits.of_model(load_model("mcunet-vww-80")) is None


def test_lean_flash_limit_measures_int8_weight_kernels(h743):
    space = SearchSpace.from_specs(load_search("mcunet"), load_task("vww"), 0.5, 96)
    arch = space.sample(np.random.default_rng(7))
    roomy = Constraints.for_board(h743, Limits(10**7, 10**7, None)).measure(arch)
    int8_bytes = sum(t.nbytes for t in estimate_graph(arch).tensors.values() if t.is_constant)
    lean = Constraints.for_board(h743, Limits(10**7, int8_bytes + 64 * 1024, None))
    m = lean.measure(arch)
    functions = {p.function for p in engine.kernel_plans(estimate_graph(arch), lean.target)}
    assert "mcunet_pw_conv_s8_oc2px2_w8" in functions
    assert m.constants < roomy.constants and m.instructions > roomy.instructions


def _multipliers(graph):
    """s_x * s_w / s_y of every layer with weights (what the kernels requantize with)."""
    out = []
    for op in graph.ops:
        w = graph.tensors.get(op.inputs[1]) if len(op.inputs) > 1 else None
        if w is not None and w.data is not None:
            x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
            out.append(x.quant.scale[0] * w.quant.scale / y.quant.scale[0])
    return out


def test_random_weights_keep_requantization_in_range_and_scales_finite():
    """Multipliers s_x * s_w / s_y of a trained-like layer (about 1 / (40 sqrt(fan_in)): every
    kernel's fast requantization applies), and no compounding of scales through deep networks."""
    search = load_search("mcunet")
    shallow = SearchSpace.from_specs(search, load_task("vww"), 0.3, 48).smallest()
    multipliers = np.concatenate(_multipliers(arch_to_graph(shallow, RandomWeights(0))))
    assert len(multipliers) > len(shallow.blocks)
    assert np.all((multipliers > 2.0**-25) & (multipliers < 0.5))
    deep = SearchSpace.from_specs(search, load_task("vww"), 1.0, 176).largest()
    scales = np.concatenate([t.quant.scale for t in estimate_graph(deep).tensors.values() if t.quant is not None])
    assert np.all(np.isfinite(scales)) and scales.max() < 1e6 and scales.min() > 0
