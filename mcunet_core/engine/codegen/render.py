"""Render a lowered graph and its memory plan into model.h / model.c / weights.c.

Output bytes depend only on the graph and the target: no timestamps, no absolute paths,
so SCons can cache the generated C and a rebuild is byte-identical.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

import jinja2
import numpy as np

from ...atomic import atomic_write_text
from ...errors import UserError
from ...ir import Graph
from ..kernels.base import KernelCall
from ..planner.memory_plan import MemoryPlan
from ..postprocess import RECORD_BUFFER
from .patch_loop import Renderer, steps

_TEMPLATES = Path(__file__).resolve().parent / "templates"

_PER_LINE = {"float": 8}

DEFAULT_PREFIX = "mcunet"
#: The alignment of every arena array (the planner aligns the buffers inside it to 8).
ARENA_ALIGN = 16
_PREFIX_RE = re.compile(r"[a-z_][a-z0-9_]*")


def check_prefix(prefix: str) -> str:
    """A model's C API prefix must be a lower-case C identifier: it starts every name it exports."""
    if not isinstance(prefix, str) or not _PREFIX_RE.fullmatch(prefix):
        raise UserError(f"C prefix {prefix!r} is not a lower-case C identifier "
                        f"(letters a-z, digits, '_', not starting with a digit), e.g. 'vww'")
    return prefix


@dataclass(frozen=True)
class CApi:
    """The names a generated model exports. The default prefix keeps the firmware harness's
    names (``mcunet_invoke``, unprefixed constants); any other prefix starts every global
    symbol, macro and header guard, so two models link into one firmware."""

    prefix: str = DEFAULT_PREFIX

    @property
    def macro(self) -> str:
        return self.prefix.upper()

    @property
    def named(self) -> bool:
        """Asked for by name: constants are prefixed too and model.h carries the memory macros."""
        return self.prefix != DEFAULT_PREFIX

    def symbol(self, name: str) -> str:
        """A pool array (``mcunet_arena...``) under this prefix."""
        return self.prefix + name[len(DEFAULT_PREFIX):] if name.startswith(DEFAULT_PREFIX) else f"{self.prefix}_{name}"

    def constant(self, name):
        """A constant array or parameter struct: prefixed unless this is the default API."""
        return f"{self.prefix}_{name}" if self.named else name


def _prefixed_plan(plan: MemoryPlan, api: CApi) -> MemoryPlan:
    """The plan with its pool arrays renamed, so plan.json names the symbols the C defines."""
    if not api.named:
        return plan
    pools = tuple(dataclasses.replace(p, symbol=api.symbol(p.symbol)) for p in plan.pools)
    return dataclasses.replace(plan, pools=pools)


def c_initializer(data: np.ndarray) -> str:
    """Array values as C initializer rows (float32/float64 values printed exactly)."""
    flat = np.asarray(data).reshape(-1)
    if flat.dtype == np.float32:
        # shortest decimal that reads back as the same float32
        items = [np.format_float_scientific(v, unique=True) + "f" for v in flat]
        per_line = _PER_LINE["float"]
    elif flat.dtype == np.float64:
        items = [repr(float(v)) for v in flat]  # shortest round-trip double
        per_line = _PER_LINE["float"]
    else:
        items = [str(int(v)) for v in flat]
        per_line = 24
    rows = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return ",\n".join("    " + r for r in rows)


def c_value(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return str(value)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["c_initializer"] = c_initializer
    env.filters["c_value"] = c_value
    return env


@dataclass
class GeneratedModel:
    files: dict[str, str]  # file name -> text
    kernel_sources: list[str]  # paths relative to paths.KERNEL_DIR
    plan: MemoryPlan
    const_bytes: int
    #: the plan's op labels (``3:CONV_2D``; a patched model's are its unrolled graph's, ``p<k>``)
    op_labels: list[str] | None = None
    #: the patch stage (``patch.describe.patch_stage``), None: patches off
    patch: dict | None = None
    #: the detection post-processing (``engine.postprocess.YoloPostprocess``), None: none
    postprocess: object | None = None

    def write(self, out_dir: str | Path) -> list[Path]:
        out_dir = Path(out_dir)
        paths = []
        for name, text in self.files.items():
            path = out_dir / name
            atomic_write_text(path, text)
            paths.append(path)
        return paths


def render(graph: Graph, calls: list[KernelCall], plan: MemoryPlan, prefix: str = DEFAULT_PREFIX,
           postprocess=None, patch_of: list[int | None] | None = None) -> GeneratedModel:
    """``postprocess`` (an ``engine.postprocess.YoloPostprocess``) adds ``postprocess.c``, its
    entry points in model.h and, for the harness, ``MCUNET_POSTPROCESS``. ``patch_of``: each
    op's patch (None after the split; None: no patch stage, or render it unrolled): runs of
    patches with the same calls become a loop (``patch_loop``)."""
    api = CApi(check_prefix(prefix))
    plan = _prefixed_plan(plan, api)
    constants = [c for call in calls for c in call.constants]
    structs = [s for call in calls for s in call.structs]
    names = [c.name for c in constants] + [s.name for s in structs]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise AssertionError(f"kernel constants share C names: {sorted(duplicates)}")
    const_bytes = int(sum(c.data.nbytes for c in constants))
    const_names = set(names)
    ctx = {
        "api": api,
        # a constant's C name; struct fields holding a constant's name follow it
        "cname": lambda v: api.constant(v) if isinstance(v, str) and v in const_names else v,
        "graph_name": graph.name,
        "arena_bytes": plan.arena_bytes,
        "arena_align": ARENA_ALIGN,
        "pools": [
            # C has no zero-length arrays; the arena region's pool always exists (harness contract)
            {"name": p.name, "symbol": p.symbol, "section": p.section, "alloc": max(plan.pool_bytes.get(p.name, 0), 8)}
            for i, p in enumerate(plan.pools) if i == 0 or plan.pool_bytes.get(p.name, 0)
        ],
        # a tensor's address: pool array + offset, or the application's input pointer + offset
        "symbols": {**{n: plan.symbol_of(n) for n in plan.tensor_offsets},
                    **{n: f"{api.prefix}_external_input[{graph.inputs.index(i)}]" for n, (i, _, _) in plan.external.items()}},
        "scratch_symbols": {i: plan.symbol_of(f"scratch:{i}") for i in plan.scratch_offsets},
        "no_reuse_bytes": plan.no_reuse_bytes,
        "strategy": plan.strategy,
        "inputs": [graph.tensors[n] for n in graph.inputs],
        "outputs": [graph.tensors[n] for n in graph.outputs],
        "offsets": {**plan.tensor_offsets, **{n: d for n, (_, d, _) in plan.external.items()}},
        "external_inputs": bool(plan.external),
        "scratch_offsets": plan.scratch_offsets,
        "calls": calls,
        "steps": None,
        "constants": constants,
        "structs": structs,
        "const_bytes": const_bytes,
        "post": None,
    }
    if postprocess is not None:
        step = next(b.first for b in plan.buffers if b.name == RECORD_BUFFER)  # after the lowered graph's ops
        ctx.update(post=postprocess.template_context(), scratch_symbol=plan.symbol_of(f"scratch:{step}"),
                   scratch_offset=plan.scratch_offsets[step], record_symbol=plan.symbol_of(RECORD_BUFFER),
                   record_offset=plan.tensor_offsets[RECORD_BUFFER])
    renderer = Renderer(ctx["symbols"], ctx["offsets"], ctx["scratch_symbols"], plan.scratch_offsets, ctx["cname"],
                        {x.name: x.ctype for x in structs})
    ctx["steps"] = steps(calls, patch_of, renderer, api.prefix)
    env = _environment()
    files = {
        "model.h": env.get_template("model.h.j2").render(ctx),
        "mcunet_model_config.h": env.get_template("mcunet_model_config.h.j2").render(ctx),
        "model.c": env.get_template("model.c.j2").render(ctx),
        "model_weights.h": env.get_template("model_weights.h.j2").render(ctx),
        "weights.c": env.get_template("weights.c.j2").render(ctx),
    }
    plans = [call.plan for call in calls]
    if postprocess is not None:
        files["postprocess.c"] = env.get_template("postprocess.c.j2").render(ctx)
        plans += postprocess.kernel_plans()
    sources = sorted({src for p in plans for src in p.sources})
    return GeneratedModel(files, sources, plan, const_bytes)
