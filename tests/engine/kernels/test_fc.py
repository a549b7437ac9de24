"""FULLY_CONNECTED with SMLAD dot products: bit-exact with the reference (double rescale)."""

from __future__ import annotations

import numpy as np
import pytest

from engine_runs import run_host
from graph_factory import GraphBuilder
from mcunet_core.ir.reference import run
from mcunet_core.ir import Graph, QuantParams
from test_pointwise import ACTIVATIONS, BOARDS, TIGHT_FLASH, chosen, host_exact, qemu_available, qemu_exact


def random_fc(seed: int, weight_zero_point: int = 0) -> Graph:
    rng = np.random.default_rng(seed)
    b = GraphBuilder(f"fc{seed}", rng)
    rows, depth = int(rng.integers(1, 8)), int(rng.integers(1, 70))
    x = b.input((rows, depth), zero_point=int(rng.choice([-128, 127, 3])))
    per_channel = bool(rng.random() < 0.4) and not weight_zero_point
    y = b.fully_connected(x, int(rng.integers(1, 21)), activation=ACTIVATIONS[int(rng.integers(len(ACTIVATIONS)))],
                          bias=bool(rng.random() < 0.8), per_channel=per_channel)
    if weight_zero_point:
        w = b.g.tensors[b.g.ops[0].inputs[1]]
        w.quant = QuantParams(w.quant.scale, [weight_zero_point])
    return b.finish(y)


@pytest.mark.parametrize("seed", range(6))
def test_random_fully_connected_match_the_reference_on_host(seed, tmp_path):
    g = random_fc(seed)
    assert chosen(g) == ["SmladFullyConnected"]
    host_exact(g, tmp_path, seed=seed)


def test_per_tensor_weight_zero_point_takes_the_generic_kernel(tmp_path):
    g = random_fc(9, weight_zero_point=-7)
    assert chosen(g) == ["GenericFullyConnected"]
    host_exact(g, tmp_path)


def test_rounding_ties_follow_the_double_rescale(tmp_path):
    """Accumulators landing exactly on .5 after the rescale: Q31 multipliers would round some wrongly."""
    b = GraphBuilder("ties", np.random.default_rng(5))
    x = b.input((64, 1), scale=1.0, zero_point=0)
    y = b.fully_connected(x, 3, bias=False)
    g = b.finish(y)
    w = g.tensors[g.ops[0].inputs[1]]
    w.data = np.array([[1], [-1], [3]], dtype=np.int8)
    w.quant = QuantParams([0.5], [0])
    g.tensors[y].quant = QuantParams([1.0], [0])
    assert chosen(g) == ["SmladFullyConnected"]
    x = np.arange(-32, 32, dtype=np.int8).reshape(64, 1)
    expected = run(g, [x])[g.outputs[0]]
    np.testing.assert_array_equal(run_host(g, [x], tmp_path)[0], expected)
    assert np.any(expected[:, 0] != np.round(x[:, 0] * 0.5))  # numpy's half-to-even would differ here


@pytest.mark.parametrize("seed", range(4))
def test_random_fully_connected_match_the_reference_on_qemu(seed, tmp_path):
    qemu_available()
    g = random_fc(20 + seed)
    qemu_exact(g, BOARDS[seed % 2], tmp_path, TIGHT_FLASH if seed == 3 else None, seed=seed)


def test_integer_rescale_equals_the_double_rescale(tmp_path):
    """mcunet_rescale_double_round() (integers only) against round(double(acc) * scale)."""
    import subprocess

    from mcunet_core.paths import KERNEL_DIR
    from mcunet_core.engine.kernels.generic.fully_connected import double_parts
    from mcunet_core.quant.params import rescale_double_round

    rng = np.random.default_rng(0)
    scales = np.concatenate([
        rng.uniform(1e-6, 1e-2, 300), 10.0 ** rng.uniform(-12, 4, 300), [0.5, 0.25, 1.0, 3.0, 2.0**-40, 1e6],
        np.float32(rng.uniform(1e-4, 1e-2, 50)).astype(np.float64) / 3,
    ])
    accs = np.concatenate([rng.integers(-(2**31), 2**31, 400), rng.integers(-5000, 5000, 400),
                           [0, 1, -1, 2**31 - 1, -(2**31), 2**30, -(2**30)]]).astype(np.int64)
    # ties of the final rounding: acc * 2**-k lands on .5
    ties = [(a, 2.0**-k) for k in (1, 2, 7) for a in range(-9, 10)]
    pairs = [(int(a), float(s)) for a in accs[:200] for s in scales[:4]] + \
            [(int(rng.choice(accs)), float(s)) for s in scales] + [(a, s) for a, s in ties]
    mant, exp = double_parts([s for _, s in pairs])
    main = tmp_path / "rescale.c"
    main.write_text('#include <stdio.h>\n#include "mcunet_kernels.h"\nint main(void)\n{\n' + "".join(
        f'    printf("%ld\\n", (long)mcunet_rescale_double_round({a}, {m}ULL, {e}));\n'
        for (a, _), m, e in zip(pairs, mant, exp)) + "    return 0;\n}\n")
    exe = tmp_path / "rescale"
    subprocess.run(["gcc", "-std=c11", "-O1", "-Wall", "-Werror", "-fsanitize=undefined", "-fno-sanitize-recover=all",
                    f"-I{KERNEL_DIR / 'include'}", str(main), str(KERNEL_DIR / "generic" / "mcunet_rescale_double_round.c"),
                    "-o", str(exe)], check=True)
    got = [int(v) for v in subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.split()]
    want = [int(rescale_double_round(a, s)) for a, s in pairs]
    assert got == want
    assert -(2**31) in want and any(w not in (0, -(2**31)) for w in want)
