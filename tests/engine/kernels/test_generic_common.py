"""Helpers shared by the generic-kernel tests, and the tests of what they share.

Each op's test builds many seeded one-op graphs straight in the IR and compiles them
through the whole engine (kernel selection, memory plan, code generation) into a host
program with ASan/UBSan; every output must equal the reference interpreter's bit for bit.
To stay fast, many independent graphs are placed side by side in one graph (one build,
one run, one arena the planner shares among them) and read/written by a generated
harness that takes any number of inputs and outputs.
"""

from __future__ import annotations

import dataclasses
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from engine_runs import run_host
from graph_factory import GraphBuilder
from mcunet_core.paths import KERNEL_DIR
from mcunet_core.engine.compile import compile_graph
from mcunet_core.device.host import SANITIZE
from mcunet_core.engine.kernels import select_kernel
from mcunet_core.engine.decisions import decide
from mcunet_core.engine.kernels.base import LoweringContext
from mcunet_core.engine.kernels.generic import nd
from mcunet_core.engine.lowering import kernel_plans, plan_memory
from mcunet_core.engine.target import HOST
from mcunet_core.ir import Graph, QuantParams, Tensor
from mcunet_core.ir.reference import run as reference_run


# ---- random quantization and data ------------------------------------------------------

def zero_point(rng) -> int:
    """Mostly uniform, sometimes at the extremes of int8."""
    r = rng.random()
    if r < 0.1:
        return -128
    if r < 0.2:
        return 127
    return int(rng.integers(-128, 128))


def scale(rng, lo=-2.3, hi=-0.7) -> float:
    return float(10 ** rng.uniform(lo, hi))


def int8_data(rng, shape) -> np.ndarray:
    x = rng.integers(-128, 128, size=shape)
    flat = x.reshape(-1)
    if flat.size > 4:  # the extremes always occur
        flat[rng.integers(flat.size)] = -128
        flat[rng.integers(flat.size)] = 127
    return x.astype(np.int8)


def random_inputs(g: Graph, rng) -> list[np.ndarray]:
    out = []
    for name in g.inputs:
        t = g.tensors[name]
        if t.dtype.value == "float32":  # spread over the int8 range of the QUANTIZE reading it
            readers = [g.tensors[g.ops[i].outputs[0]] for i in g.consumers(name)]
            s = next((float(r.quant.scale[0]) for r in readers if r.quant is not None), 0.05)
            out.append((rng.normal(size=t.shape) * s * 60).astype(np.float32))
        else:
            out.append(int8_data(rng, t.shape))
    return out


def shape(rng, rank, lo=1, hi=6) -> tuple[int, ...]:
    return tuple(int(v) for v in rng.integers(lo, hi, size=rank))


def const_tensor(b: GraphBuilder, shape_, rng, scale_=None, zp=None) -> str:
    """An int8 constant activation operand (e.g. a constant ADD operand)."""
    name = b._name("c")
    q = QuantParams([scale(rng) if scale_ is None else scale_], [zero_point(rng) if zp is None else zp])
    b.g.add_tensor(Tensor(name, tuple(shape_), "int8", q, int8_data(rng, shape_)))
    return name


def float_input(b: GraphBuilder, shape_) -> str:
    name = b._name("f")
    b.g.add_tensor(Tensor(name, tuple(shape_), "float32"))
    b.g.inputs.append(name)
    return name


def float_tensor(b: GraphBuilder, shape_) -> str:
    name = b._name("f")
    b.g.add_tensor(Tensor(name, tuple(shape_), "float32"))
    return name


# ---- running and comparing ---------------------------------------------------------------

def kernels_chosen(g: Graph) -> list[str]:
    return [type(select_kernel(LoweringContext(g, op, i, HOST, decide(g, HOST)))).__name__ for i, op in enumerate(g.ops)]


def mismatch(got: np.ndarray, want: np.ndarray) -> str | None:
    if got.dtype != want.dtype or got.shape != want.shape:
        return f"{got.dtype}{got.shape} != {want.dtype}{want.shape}"
    if got.dtype.kind == "f":  # floats must match bit for bit (NaN payloads aside, signed zeros included)
        same = (got.view(np.uint32) == want.view(np.uint32)) | (np.isnan(got) & np.isnan(want))
    else:
        same = got == want
    if np.all(same):
        return None
    bad = np.argwhere(~same)
    i = tuple(bad[0])
    return f"{len(bad)}/{got.size} differ, first at {list(i)}: {got[i]!r} != {want[i]!r}"


def merge_graphs(graphs: list[Graph], name: str = "cases") -> Graph:
    """Independent graphs side by side in one graph (tensor names prefixed c<k>_)."""
    merged = Graph(name)
    for k, sub in enumerate(graphs):
        def ren(n: str, k=k) -> str:
            return f"c{k}_{n}" if n else ""

        for t in sub.tensors.values():
            merged.add_tensor(dataclasses.replace(t, name=ren(t.name)))
        for op in sub.ops:
            merged.ops.append(dataclasses.replace(op, inputs=tuple(map(ren, op.inputs)), outputs=tuple(map(ren, op.outputs))))
        merged.inputs += [ren(n) for n in sub.inputs]
        merged.outputs += [ren(n) for n in sub.outputs]
    merged.validate()
    return merged


_HARNESS = """/* Test harness (generated): all inputs from one file, all outputs to another. */
#include <stdio.h>
#include <string.h>
#include "model.h"
static const size_t in_bytes[] = { %(ins)s };
static const size_t out_bytes[] = { %(outs)s };
int main(int argc, char **argv)
{
    if (argc != 3) return 2;
    FILE *f = fopen(argv[1], "rb");
    if (!f) return 3;
    for (int i = 0; i < (int)(sizeof in_bytes / sizeof in_bytes[0]); ++i) {
        if (fread(mcunet_input(i), 1, in_bytes[i], f) != in_bytes[i]) return 4;
    }
    fclose(f);
    mcunet_run();
    f = fopen(argv[2], "wb");
    if (!f) return 5;
    for (int i = 0; i < (int)(sizeof out_bytes / sizeof out_bytes[0]); ++i) {
        if (fwrite(mcunet_output(i), 1, out_bytes[i], f) != out_bytes[i]) return 6;
    }
    fclose(f);
    return 0;
}
"""


def run_host_many(g: Graph, inputs: list[np.ndarray], workdir: Path, target=HOST) -> list[np.ndarray]:
    """Like engine_runs.run_host (same compile_graph, same gcc + ASan/UBSan flags) for a
    graph with any number of inputs and outputs."""
    model = compile_graph(g, target)
    model.write(workdir)
    ins = [g.tensors[n] for n in g.inputs]
    outs = [g.tensors[n] for n in g.outputs]
    harness = workdir / "harness.c"
    harness.write_text(_HARNESS % {"ins": ", ".join(str(t.nbytes) for t in ins) or "0",
                                   "outs": ", ".join(str(t.nbytes) for t in outs)})
    sources = [workdir / "model.c", workdir / "weights.c", harness] + [KERNEL_DIR / s for s in model.kernel_sources]
    exe = workdir / "host_model"
    cmd = ["gcc", "-O1", "-g", "-std=c11", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter", *SANITIZE,
           f"-I{workdir}", f"-I{KERNEL_DIR / 'include'}", *map(str, sources), "-o", str(exe), "-lm"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"host compile failed:\n{proc.stderr[-6000:]}")
    blob = b"".join(np.ascontiguousarray(x, dtype=t.dtype.numpy).tobytes() for x, t in zip(inputs, ins))
    (workdir / "in.bin").write_bytes(blob)
    proc = subprocess.run([str(exe), str(workdir / "in.bin"), str(workdir / "out.bin")],
                          capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"host run failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    data, got, pos = (workdir / "out.bin").read_bytes(), [], 0
    for t in outs:
        got.append(np.frombuffer(data[pos:pos + t.nbytes], dtype=t.dtype.numpy).reshape(t.shape))
        pos += t.nbytes
    return got


def check_cases(cases, batch: int = 16) -> None:
    """``cases``: (label, graph, inputs) triples. They are compiled side by side into a few
    programs (one host build per ``batch`` cases) and every output is compared with the
    reference interpreter run on its own graph."""
    cases = list(cases)
    failures = []
    for start in range(0, len(cases), batch):
        chunk = cases[start:start + batch]
        merged = merge_graphs([g for _, g, _ in chunk])
        inputs = [x for _, _, xs in chunk for x in xs]
        with tempfile.TemporaryDirectory(prefix="k3_") as d:
            try:
                got = run_host_many(merged, inputs, Path(d))
            except Exception as e:  # compile error, sanitizer report, crash: name the batch
                labels = ", ".join(label for label, _, _ in chunk[:6])
                raise AssertionError(f"batch [{labels}, ...] failed: {e}") from None
        pos = 0
        for label, g, xs in chunk:
            want = reference_run(g, xs)
            for name in g.outputs:
                msg = mismatch(got[pos], want[name])
                pos += 1
                if msg:
                    failures.append(f"{label}: output {name}: {msg}")
    assert not failures, f"{len(failures)} of {len(cases)} cases differ:\n" + "\n".join(failures[:8])


def check_one(g: Graph, inputs: list[np.ndarray], workdir: Path) -> None:
    """One graph through engine_runs.run_host itself (the engine's own host harness)."""
    want = reference_run(g, inputs)
    got = run_host(g, inputs, workdir)
    for name, value in zip(g.outputs, got):
        msg = mismatch(value, want[name])
        assert msg is None, f"output {name}: {msg}"


def aliased(g: Graph, op_index: int = 0, input_index: int = 0) -> bool:
    """Did the planner put op ``op_index``'s output on (the start of) its input?"""
    plan = plan_memory(g, HOST)
    op = g.ops[op_index]
    return plan.tensor_offsets[op.outputs[0]] == plan.tensor_offsets[op.inputs[input_index]]


# ---- tests of the shared pieces ------------------------------------------------------------

#: The C functions of this family (one file each under firmware/kernels/generic/).
K3_FUNCTIONS = (
    "mcunet_add_s8_generic", "mcunet_mul_s8_generic", "mcunet_mean_s8_generic", "mcunet_pad_s8_generic",
    "mcunet_softmax_s8_generic", "mcunet_concat_s8_generic", "mcunet_resize_nearest_s8_generic",
    "mcunet_transpose_s8_generic", "mcunet_quantize_f32_s8_generic", "mcunet_dequantize_s8_f32_generic",
    "mcunet_lut_s8_generic", "mcunet_copy_s8_generic", "mcunet_add_s8_fast", "mcunet_mul_s8_fast",
)


def disable_fast_binary(monkeypatch) -> None:
    from mcunet_core.engine.kernels.generic.binary_fast import FastAdd, FastMul

    for cls in (FastAdd, FastMul):
        monkeypatch.setattr(cls, "supports", lambda self, ctx: False)


def test_merge_strided_drops_unit_dims_and_merges_contiguous_runs():
    assert nd.broadcast_layout((2, 3, 4), (2, 3, 4), (2, 3, 4)) == ([24], [1], [1])
    assert nd.broadcast_layout((1, 5, 5, 8), (8,), (1, 5, 5, 8)) == ([25, 8], [8, 1], [0, 1])
    assert nd.broadcast_layout((4, 1, 3), (1, 5, 1), (4, 5, 3)) == ([4, 5, 3], [3, 0, 1], [0, 1, 0])
    assert nd.broadcast_layout((1,), (1, 1), (1, 1)) == ([1], [0], [0])
    assert nd.transpose_layout((1, 6, 7, 1), (0, 3, 1, 2)) == ([42], [1])
    assert nd.transpose_layout((2, 3, 4), (2, 0, 1)) == ([4, 6], [1, 4])
    assert nd.pad_layout((1, 4, 5, 3), ((0, 0), (1, 2), (0, 1), (0, 0))) == ([4, 15], [1, 0], [2, 3])
    assert nd.pad_layout((2, 3), ((0, 0), (0, 0))) == ([6], [0], [0])
    assert nd.reduce_layout((1, 4, 5, 8), (1, 2)) == ([8], [1], [20], [8])
    assert nd.reduce_layout((3, 4, 5), ()) == ([60], [1], [1], [0])


@pytest.mark.parametrize("rank", [1, 3, 6])
def test_layouts_address_the_same_elements_as_numpy(rank):
    rng = np.random.default_rng(rank)
    for _ in range(50):
        s = shape(rng, rank, 1, 4)
        x = np.arange(int(np.prod(s))).reshape(s)
        perm = tuple(int(p) for p in rng.permutation(rank))
        dims, st = nd.transpose_layout(s, perm)
        idx = np.indices(dims).reshape(len(dims), -1).T @ np.array(st)
        assert np.array_equal(x.reshape(-1)[idx], np.transpose(x, perm).reshape(-1))
        other = tuple(1 if rng.random() < 0.5 else d for d in s)[int(rng.integers(0, rank)):]
        out = np.broadcast_shapes(s, other)
        dims, a_st, b_st = nd.broadcast_layout(s, other, out)
        pos = np.indices(dims).reshape(len(dims), -1).T
        y = np.arange(int(np.prod(other))).reshape(other)
        assert np.array_equal(x.reshape(-1)[pos @ np.array(a_st)], np.broadcast_to(x, out).reshape(-1))
        assert np.array_equal(y.reshape(-1)[pos @ np.array(b_st)], np.broadcast_to(y, out).reshape(-1))


def test_kernel_plans_are_shape_only_and_cheap():
    """plan() of every generic kernel runs without lowering (the NAS calls it a lot)."""
    rng = np.random.default_rng(0)
    b = GraphBuilder("plans", rng)
    x = b.input((1, 4, 4, 3))
    from mcunet_core.ir import ops as O

    y = b.op(O.Logistic((x,), (b.activation((1, 4, 4, 3), scale=1 / 256, zero_point=-128),)))
    g = b.finish(y)
    assert kernel_plans(g, HOST)[0].function == "mcunet_lut_s8_generic"
