"""Memory planner: placements are always safe, overlap rules are exact, strategies compete."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mcunet_core.engine.kernels.base import InPlace, KernelPlan, StreamingOverlap
from mcunet_core.engine.planner.memory_plan import build_problem, plan_from_kernel_plans
from mcunet_core.engine.planner.placement import Placement, check_placement, place
from mcunet_core.engine.planner.problem import Buffer, Group, Member, Overlap, Problem


def _single(buffers, overlaps=(), align=1):
    return Problem([Group([Member(b, 0)]) for b in buffers], list(overlaps), align)


@st.composite
def problems(draw):
    n = draw(st.integers(1, 12))
    buffers = []
    for i in range(n):
        first = draw(st.integers(-1, 10))
        last = draw(st.integers(first, 12))
        buffers.append(Buffer(f"b{i}", draw(st.integers(1, 200)), first, last))
    overlaps = []
    for i in range(n - 1):
        a, b = buffers[i], buffers[i + 1]
        if a.last == b.first and draw(st.booleans()):
            overlaps.append(Overlap(a.name, b.name, draw(st.integers(-200, 200))))
    return _single(buffers, overlaps, draw(st.sampled_from([1, 4, 8])))


@settings(max_examples=150, deadline=None)
@given(problems())
def test_no_two_live_buffers_overlap_unless_a_rule_allows(problem):
    placement = place(problem, search_iterations=30)
    assert check_placement(problem, placement) == []
    live_peak = max(
        sum(b.size for b in problem.buffers() if b.first <= t <= b.last) for t in range(-1, 13)
    )
    assert placement.peak <= sum(b.size for b in problem.buffers()) + 8 * len(problem.buffers())
    if not problem.overlaps:
        assert placement.peak >= live_peak


def test_verifier_catches_an_unsafe_placement():
    problem = _single([Buffer("a", 10, 0, 2), Buffer("b", 10, 1, 3)])
    bad = Placement({"a": 0, "b": 5}, 15, "hand-made")
    assert any("overlaps" in msg for msg in check_placement(problem, bad))


def test_disjoint_lifetimes_share_memory():
    problem = _single([Buffer("a", 100, 0, 1), Buffer("b", 100, 2, 3), Buffer("c", 50, 1, 2)])
    placement = place(problem)
    assert placement.peak == 150


def test_overlap_rule_lets_expanding_pointwise_use_about_max_of_in_and_out():
    n, c_in, c_out = 48 * 48, 8, 16
    rule = StreamingOverlap(0, c_in, c_out, n, n, dead_slope=1, dead_bias=1)
    inp, out = Buffer("in", n * c_in, -1, 0), Buffer("out", n * c_out, 0, 1)
    placement = place(_single([inp, out], [Overlap("in", "out", rule.max_delta())]))
    assert placement.peak < n * (c_in + c_out)
    assert placement.peak <= n * c_out + c_out * 2


def _simulate_streaming(rule: StreamingOverlap, delta: int) -> bool:
    """Write output units in order over one byte array; report whether live input survived.

    After output unit u is written, input units >= dead(u) are still to be read, so every
    one of their bytes must be intact.
    """
    n_in, n_out = rule.in_units * rule.in_unit, rule.out_units * rule.out_unit
    base_in = max(0, -delta)
    base_out = base_in + delta
    mem = np.full(max(base_in + n_in, base_out + n_out), -1, dtype=np.int64)
    mem[base_in : base_in + n_in] = np.arange(n_in)
    for u in range(rule.out_units):
        mem[base_out + u * rule.out_unit : base_out + (u + 1) * rule.out_unit] = -2
        dead = min(rule.in_units, max(0, rule.dead_slope * u + rule.dead_bias))
        live = slice(base_in + dead * rule.in_unit, base_in + n_in)
        if not np.array_equal(mem[live], np.arange(dead * rule.in_unit, n_in)):
            return False
    return True


@settings(max_examples=120, deadline=None)
@given(st.integers(1, 12), st.integers(1, 12), st.integers(1, 20), st.integers(1, 20), st.integers(1, 3),
       st.integers(-2, 3))
def test_streaming_overlap_bound_is_safe_and_tight(in_unit, out_unit, in_units, out_units, slope, bias):
    rule = StreamingOverlap(0, in_unit, out_unit, in_units, out_units, dead_slope=slope, dead_bias=bias)
    d = rule.max_delta()
    assert _simulate_streaming(rule, d)
    live_during_some_write = any(slope * u + bias < in_units for u in range(out_units))
    if live_during_some_write:
        assert not _simulate_streaming(rule, d + 1)


@st.composite
def random_rules(draw):
    """A random network and, per op, a random memory rule: exercises alias groups and overlaps."""
    from graph_factory import random_mobilenet

    graph = random_mobilenet(np.random.default_rng(draw(st.integers(0, 10_000))), "rules")
    plans = []
    for op in graph.ops:
        x = graph.tensors[op.inputs[0]]
        y = graph.tensors[op.outputs[0]]
        kind = draw(st.sampled_from(["none", "inplace", "stream", "scratch"]))
        if kind == "inplace":
            rule = InPlace(0, draw(st.integers(-y.nbytes, x.nbytes)))
        elif kind == "stream":
            rule = StreamingOverlap(0, x.nbytes, y.nbytes, 1, 1, 1, draw(st.integers(0, 1)))
        else:
            rule = None
        scratch = draw(st.integers(1, 300)) if kind == "scratch" else 0
        plans.append(KernelPlan("f", (), scratch, rule))
    return graph, plans


@settings(max_examples=40, deadline=None)
@given(random_rules())
def test_alias_groups_and_overlaps_of_random_rules_are_laid_out_safely(case):
    graph, plans = case
    plan = plan_from_kernel_plans(graph, plans)  # raises if the independent checker objects
    problem = build_problem(graph, plans)
    for rule in problem.aliases:
        assert plan.tensor_offsets[rule.alias] - plan.tensor_offsets[rule.base] == rule.delta
    for name, off in plan.tensor_offsets.items():
        assert 0 <= off and off + graph.tensors[name].nbytes <= plan.arena_bytes
