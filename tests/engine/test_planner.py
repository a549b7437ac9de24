"""Memory planner: placements are always safe, overlap rules are exact, strategies compete."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mcunet_core.engine.kernels.base import StreamingOverlap
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


def _simulate_streaming(c_in, c_out, n, delta, dead_slope, dead_bias):
    """Write output units in order over one byte array; report whether live input survived.

    After output unit u is written, input units >= dead(u) are still to be read, so every
    one of their bytes must be intact.
    """
    base_in = max(0, -delta)
    base_out = base_in + delta
    mem = np.full(max(base_in + n * c_in, base_out + n * c_out), -1, dtype=np.int64)
    mem[base_in : base_in + n * c_in] = np.arange(n * c_in)
    for u in range(n):
        mem[base_out + u * c_out : base_out + (u + 1) * c_out] = -2
        live = slice(base_in + min(n, dead_slope * u + dead_bias) * c_in, base_in + n * c_in)
        if not np.array_equal(mem[live], np.arange(live.start - base_in, n * c_in)):
            return False
    return True


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 12), st.integers(1, 12), st.integers(1, 20), st.integers(0, 2))
def test_streaming_overlap_bound_is_safe_and_tight(c_in, c_out, n, dead_bias):
    rule = StreamingOverlap(0, c_in, c_out, n, n, dead_slope=1, dead_bias=dead_bias)
    d = rule.max_delta()
    assert _simulate_streaming(c_in, c_out, n, d, 1, dead_bias)
    if dead_bias < n:  # some input is still live during a write: the bound is tight
        assert not _simulate_streaming(c_in, c_out, n, d + 1, 1, dead_bias)
