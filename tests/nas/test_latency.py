"""The latency table and the firmware figures against fresh emulator runs of networks the
table was not fitted on (bench/nas_latency_fit.py fits on other seeds), and the fit itself."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from mcunet_core import engine
from mcunet_core.engine import FirmwareCosts, NoCostModel, OpWork, Target, fit_families
from mcunet_core.engine.cost_fit import fit_nonnegative
from mcunet_core.importers.tflite import import_tflite
from mcunet_core.ir import ops as O
from mcunet_core.nas.constraints import Constraints, Limits, estimate_graph
from mcunet_core.pipeline.emulator_costs import measure_on_emulator
from mcunet_core.nas.space import SearchSpace
from mcunet_core.spec import load_board, load_search, load_task

TOLERANCE = 0.15
#: The code-size line covers every fit build; a new network may link a little more per call.
CODE_SLACK = 1024


def test_fit_recovers_nonnegative_coefficients():
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.uniform(1, 1e4, 40), rng.uniform(1, 1e3, 40), rng.uniform(1, 50, 40), np.ones(40)])
    truth = np.array([2.5, 0.0, 11.0, 300.0])
    np.testing.assert_allclose(fit_nonnegative(x, x @ truth), truth, atol=1e-6)
    # a feature that only helps with a negative coefficient is dropped instead
    y = 3 * x[:, 0] - 0.5 * x[:, 1] + 100
    coef = fit_nonnegative(x, y)
    assert coef.min() >= 0 and coef[1] == 0


def test_fit_groups_layers_by_family():
    rows = [(OpWork(i, "a" if i % 2 else "b", ("n", "layer"), (float(i), 1.0)), 3 * i + (5 if i % 2 else 7))
            for i in range(1, 9)]
    table = fit_families(rows)
    assert sorted(table) == ["a", "b"] and table["a"]["layers"] == 4
    np.testing.assert_allclose(table["a"]["coefficients"], [3, 5], rtol=1e-5)
    np.testing.assert_allclose(table["b"]["coefficients"], [3, 7], rtol=1e-5)
    assert table["a"]["max_rel_error"] == 0


def test_every_op_with_code_has_work_and_unknown_kernels_are_named():
    space = SearchSpace.from_specs(load_search("mcunet"), load_task("vww"), 0.3, 64)
    graph = estimate_graph(space.sample(np.random.default_rng(0)))
    target = Target.from_board(load_board("h743"))
    work = engine.lower(graph, target).work()
    with_code = [i for i, p in enumerate(engine.kernel_plans(graph, target)) if p.function is not None]
    assert [w.index for w in work] == with_code and len(with_code) == len(graph.ops) - 1  # the RESHAPE view
    add = next(i for i, op in enumerate(graph.ops) if isinstance(op, O.Add))
    graph.ops[add] = O.Mul(graph.ops[add].inputs, graph.ops[add].outputs)
    with pytest.raises(NoCostModel, match="mcunet_mul_s8"):
        engine.lower(graph, target).work()


def _held_out(board_name, task, width, resolution, seed, lean):
    board = load_board(board_name)
    space = SearchSpace.from_specs(load_search("mcunet"), load_task(task), width, resolution)
    rng = np.random.default_rng(seed)
    roomy = Constraints.for_board(board, Limits(board.arena_budget, board.flash_budget, None))
    arch = next(a for a in (space.sample(rng) for _ in range(200)) if roomy.check(a))
    if not lean:
        return board, arch, roomy
    int8_bytes = sum(t.nbytes for t in estimate_graph(arch).tensors.values() if t.is_constant)
    return board, arch, Constraints.for_board(board, Limits(board.arena_budget, int8_bytes + 64 * 1024, None))


@pytest.mark.parametrize("board_name, task, width, resolution, seed, lean", [
    ("h743", "vww", 0.4, 96, 1, False),
    ("h743", "kws", 0.5, None, 2, False),
    ("h743", "vww", 0.5, 80, 3, True),
    ("f412", "imagenet", 0.3, 96, 4, False),
])
def test_search_space_networks_on_the_emulator(tmp_path, board_name, task, width, resolution, seed, lean):
    board, arch, constraints = _held_out(board_name, task, width, resolution, seed, lean)
    m = constraints.measure(arch)
    graph = estimate_graph(arch)
    graph.name = "held_out"
    real = measure_on_emulator(graph, board, tmp_path, target=constraints.target)
    # what the NAS measured is what the build got
    assert (real.arena_bytes, real.constant_bytes) == (m.arena, m.constants)
    assert abs(m.instructions / real.instructions - 1) <= TOLERANCE
    firmware = constraints.firmware
    assert real.stack_bytes + real.other_static_ram_bytes <= firmware.ram
    assert real.code_bytes <= m.flash - m.constants + CODE_SLACK


@pytest.mark.parametrize("stem", ["vww_96_int8", "kws_ref_model"])
def test_mlperf_tiny_models_on_the_emulator(tmp_path, shared_dir, stem):
    board = load_board("h743")
    graph = import_tflite(Path(shared_dir) / "models" / f"{stem}.tflite")
    target = Target.from_board(board)
    real = measure_on_emulator(graph, board, tmp_path, target=target)
    lowered = engine.lower(graph, target)
    predicted = lowered.instructions()
    assert abs(predicted / real.instructions - 1) <= TOLERANCE
    firmware = FirmwareCosts.measured()
    assert real.stack_bytes + real.other_static_ram_bytes <= firmware.ram
    assert real.code_bytes <= firmware.code.bytes(lowered.plans) + CODE_SLACK


def test_latency_scales_with_the_clock():
    space = SearchSpace.from_specs(load_search("mcunet"), load_task("kws"), 0.3)
    arch = space.smallest()
    fast, slow = load_board("h743"), load_board("f412")
    limits = Limits(10**6, 10**7, None)
    a = Constraints(Target.from_board(fast), fast.clock_hz, limits).measure(arch)
    b = Constraints(dataclasses.replace(Target.from_board(fast), name="slow"), slow.clock_hz, limits).measure(arch)
    assert a.instructions == b.instructions
    assert b.latency_ms / a.latency_ms == pytest.approx(fast.clock_hz / slow.clock_hz)
