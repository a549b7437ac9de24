"""The pipeline registry: which stages turn (board, task | model) into a measured firmware,
and which SCons tool module provides each.

    task=T            nas -> train -> engine -> firmware -> run -> report
    model=<spec>      train -> engine -> firmware -> run -> report      (an architecture to train)
    model=<x.tflite>  import -> engine -> firmware -> run -> report
    ... export=DIR    the same up to the IR, then export (a C package in DIR) instead of the rest

Each stage lives in its own tool module ``rules/<tool>.py`` (``generate``/``exists``) whose
``generate(env)`` adds one method ``env.<Method>(ctx, sources) -> list of nodes``; ``ctx`` is a
``StageContext`` and ``sources`` are the previous stage's outputs (the first stage gets the
spec or model files). Outputs go under ``ctx.build_dir`` = ``build/<board>/<name>/`` (``<name>-<quant>`` for int4 weights). A stage
whose module is not there yet stops the build with one line naming it and its issue: no
stage pretends to work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcunet_core import engine
from mcunet_core.errors import UserError
from mcunet_core.spec import (
    Board,
    ModelSpec,
    QuantSpec,
    SearchSpec,
    Task,
    load_board,
    load_model,
    load_quant,
    load_search,
    load_task,
)


HARNESS_PREFIX = engine.DEFAULT_PREFIX  # the firmware harness's C API (engine.generate's default prefix)


@dataclass(frozen=True)
class Stage:
    name: str
    tool: str  # rules/<tool>.py
    method: str  # what generate(env) adds: env.<method>(ctx, sources) -> nodes
    issue: str  # where it is being built
    does: str


STAGES: dict[str, Stage] = {s.name: s for s in (
    Stage("nas", "mcunet_nas", "McunetNas", "TinyNAS",
          "search an architecture for the task within the board's memory"),
    Stage("train", "mcunet_train", "McunetTrain", "training and quantization",
          "train, quantize to int8 and export the IR"),
    Stage("import", "mcunet_import", "McunetImport", "issue 3", "import an int8 .tflite file into the IR"),
    Stage("engine", "mcunet_engine", "McunetEngine", "issue 5", "plan memory and generate C code"),
    Stage("firmware", "arm_gcc", "McunetFirmware", "issue 4", "compile and link the firmware"),
    Stage("run", "mcunet_run", "McunetRun", "issue 4", "run it and write result.json"),
    Stage("report", "mcunet_report", "McunetReport", "issue 5", "write report.md from the run and the plan"),
    Stage("export", "mcunet_export", "McunetExport", "issue 12",
          "write the model as a C package (CMake library, Zephyr module)"),
)}


@dataclass
class StageContext:
    """Everything a stage needs to know; the same object is handed to every stage."""

    board: Board
    task: Task | None
    model: ModelSpec | None
    search: SearchSpec | None
    quant: QuantSpec
    name: str  # the model's or task's name: outputs go to build/<board>/<name>/
    build_dir: Any  # SCons Dir
    runner: str
    probe: str | None
    input: str | None
    opt: str
    chain: list[str] = field(default_factory=list)
    data: str | None = None  # the training data's identity (Dataset.identity()) when a stage trains
    budget: Budget | None = None  # what the model is compiled for (budget_for: the board's when nothing else)
    export: str | None = None  # the package folder of export=DIR (the chain ends with the export stage)
    prefix: str = HARNESS_PREFIX  # the C prefix of the generated API (engine.generate): the harness's by default
    compute: Any = None  # where search and training run (mcunet_core.train.Compute) when a stage trains
    launch: Any = None  # how many processes train (mcunet_core.pipeline.launch.Launch) when a stage trains
    patch: Patching | None = None  # the patch policy the engine compiles with (patch_for)
    input_placement: Any = None  # where the model's input lives (engine.InputPlacement; input_placement_for)


@dataclass(frozen=True)
class Budget:
    """The SRAM, flash and latency limits a network was searched under, and where they come from:
    the engine compiles it with exactly these, the report says how much of each it uses."""

    limits: Any  # nas.constraints.Limits
    source: str

    def to_json(self) -> dict:
        return {**self.limits.to_json(), "source": self.source}


def budget_for(board: Board, model: ModelSpec | None, search: SearchSpec | None, chain: list[str]) -> Budget:
    """A searched model spec's recorded budget; in a task's pipeline, the search spec's limits
    for the board (what the NAS stage measures under); otherwise the whole board's (its arena,
    flash and latency budgets: the target the engine compiles for without a budget)."""
    from mcunet_core.nas.constraints import Limits

    limits = Limits.of_model(model) if model is not None else None
    if limits is not None:
        return Budget(limits, f"model spec {model.name}")
    if model is None and "nas" in chain and search is not None:
        reserve = search.reserve(board)
        how = (f", less the application reserve ({reserve['sram']:,} B SRAM, {reserve['flash']:,} B flash)"
               if any(reserve.values()) else "")
        return Budget(Limits.resolve(search, board), f"search {search.name} on {board.name}{how}")
    return Budget(Limits(board.arena_budget, board.flash_budget, board.latency_budget_ms), f"board {board.name}")


@dataclass(frozen=True)
class Patching:
    """The patch policy (``engine.PatchPolicy``) the engine compiles with and where it comes
    from; ``searched``: the search's own model spec in this build (the engine reads the schedule
    it recorded there: the one its measurements used)."""

    policy: Any
    source: str
    searched: bool = False

    def signature(self) -> str:
        """What the engine stage's signature gains: the policy (nothing for off, the signature it
        always had; a searched network's schedule is in its model spec, a source)."""
        return "" if self.policy.mode == "off" else f" patch={self.policy}"


def patch_for(board: Board, model: ModelSpec | None, search: SearchSpec | None, chain: list[str],
              argument: str | None) -> Patching:
    """A network found by a search is compiled with exactly the schedule the search measured it
    with: in a task's pipeline the search spec's ``constraints.patch`` (default off), for a
    searched model spec (one with a ``budget``) its ``patch`` (off when absent: searched before
    patches); ``patch=`` may not change either. Any other model: ``patch=``, else the model
    spec's ``patch``, else the board's, else auto."""
    from mcunet_core.engine import PatchPolicy

    if model is None and "nas" in chain and search is not None:
        measured = PatchPolicy.parse(search.patch)
        fixed, where = measured, f"search {search.name} constraints.patch {search.patch}"
    elif model is not None and model.budget is not None:
        fixed = PatchPolicy.parse(model.patch if model.patch is not None else "off", f"{model.source_file}: patch")
        where = f"model spec {model.name}, searched with patch {fixed}"
    else:
        fixed = None
    if fixed is not None:
        if argument and PatchPolicy.from_argument(argument) != fixed:
            raise UserError(f"patch={argument}: a searched network is compiled with the schedule its search "
                            f"measured it with ({where}); patch= would compile it with other SRAM and latency "
                            f"than the search checked" + ("; set constraints.patch in the search spec instead"
                                                          if model is None else ""))
        return Patching(fixed, where, searched=model is None)
    if argument:
        return Patching(PatchPolicy.from_argument(argument), f"patch={argument}")
    for spec, what in ((model, f"model spec {model.name if model else ''}"), (board, f"board {board.name}")):
        if spec is not None and spec.patch is not None:
            return Patching(PatchPolicy.parse(spec.patch, f"{spec.source_file}: patch"), what)
    return Patching(PatchPolicy("auto"), "default")


def input_placement_for(board: Board, model: ModelSpec | None, search: SearchSpec | None = None,
                        chain: list[str] = ()):
    """Where the model's input lives (``engine.InputPlacement``). A network found by a search
    keeps it where the search measured it: in a task's pipeline the search spec's
    ``constraints.input_placement``, for a searched model spec (one with a ``budget``) its own
    (arena when absent). Any other model: the model spec's ``input_placement``, else the
    board's, else the arena."""
    from mcunet_core.engine import InputPlacement

    if model is None and "nas" in chain and search is not None:
        return InputPlacement.parse(search.input_placement, f"{search.source_file}: constraints.input_placement")
    if model is not None and model.budget is not None:
        return InputPlacement.parse(model.input_placement, f"{model.source_file}: input_placement")
    for spec in (model, board):
        if spec is not None and spec.input_placement is not None:
            return InputPlacement.parse(spec.input_placement, f"{spec.source_file}: input_placement")
    return InputPlacement()


def chain_for(model: ModelSpec | None, task: Task | None, export: str | None = None) -> list[str]:
    """The stages from the specs to a report, or with ``export`` to the IR and then the package."""
    if model is not None:
        chain = ["import" if model.kind == "tflite" else "train", "engine", "firmware", "run", "report"]
    elif task is not None:
        chain = ["nas", "train", "engine", "firmware", "run", "report"]
    else:
        raise UserError("nothing to build: give board=<board> and task=<task> or model=<model> "
                        "(`scons -h` lists the values), or run `scons check`")
    return chain[:chain.index("engine")] + ["export"] if export else chain


def _folder_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def build_context(env, sel) -> StageContext:
    """Load every spec the selection names (each with all its problems) into a context."""
    if not sel.board:
        chain_for(None, None)  # raises the "nothing to build" message
    errors: list[str] = []
    loaded: dict[str, Any] = {}
    for key, loader, value in (("board", load_board, sel.board), ("task", load_task, sel.task),
                               ("model", load_model, sel.model), ("quant", load_quant, sel.quant),
                               ("search", load_search, sel.search if not sel.model else None)):
        if value:
            try:
                loaded[key] = loader(value)
            except UserError as err:
                errors.extend(err.messages)
    if errors:
        raise UserError(errors)
    board, task, model = loaded["board"], loaded.get("task"), loaded.get("model")
    if sel.runner == "pyocd" and not board.pyocd_target:
        raise UserError(f"runner=pyocd: board {board.name} has no pyOCD target (it is emulator-only); "
                        f"pick a real board")
    if task is None and model is not None and model.kind == "architecture":
        if not model.task:
            raise UserError(f"model={sel.model}: the model names no task to train on: add task=<task>")
        task = load_task(model.task)
    chain = chain_for(model, task, getattr(sel, "export", None))
    data = compute = launch = None
    if "train" in chain:  # find the training data and the device now, not after minutes of search
        try:
            data = task.dataset.identity()
            from mcunet_core.pipeline.pretrain import Pretraining

            pretraining = Pretraining.of(task)
            if pretraining is not None:
                data += "; " + pretraining.identity()
        except UserError as err:
            raise UserError(f"task={task.name} ({task.source_file}): {m}" for m in err.messages) from None
        compute = training_compute(sel)
        launch = training_launch(sel)
    name = _folder_name(model.name if model is not None else task.name)
    budget = budget_for(board, model, loaded.get("search"), chain)
    patch = patch_for(board, model, loaded.get("search"), chain, getattr(sel, "patch", None))
    folder = name + weights_suffix(loaded["quant"])
    return StageContext(board=board, task=task, model=model, search=loaded.get("search"), budget=budget,
                        quant=loaded["quant"], name=name, build_dir=env.Dir(f"#build/{board.name}/{folder}"),
                        runner=sel.runner, probe=sel.probe, input=sel.input, opt=sel.opt, chain=chain,
                        data=data, export=getattr(sel, "export", None), compute=compute, patch=patch,
                        input_placement=input_placement_for(board, model, loaded.get("search"), chain),
                        launch=launch)


def weights_suffix(quant: QuantSpec) -> str:
    """A quant spec with other than int8 weights builds in ``build/<board>/<name>-<quant>/``: its
    search, weights and firmware differ, and going back and forth rebuilds neither."""
    return "" if quant.weights.get("dtype", "int8") == "int8" else f"-{_folder_name(quant.name)}"


def training_compute(sel):
    """The selection's ``device=`` and ``amp=`` on this machine (a UserError when it has no such device)."""
    from mcunet_core.train.compute import Compute

    return Compute.resolve(getattr(sel, "device", "auto"), getattr(sel, "amp", "off") == "on")


def training_launch(sel):
    """The selection's ``procs=`` and ``torchrun=``: one process, or torchrun's."""
    from mcunet_core.pipeline.launch import Launch

    return Launch.parse(getattr(sel, "procs", None), getattr(sel, "torchrun", None))


def first_sources(env, ctx: StageContext) -> list:
    """What the first stage reads: the model file, or the spec files it is made from."""
    if ctx.model is not None and ctx.model.kind == "tflite":
        return [env.File(str(ctx.model.tflite))]
    specs = [ctx.model.source_file if ctx.model else None, ctx.task.source_file if ctx.task else None,
             ctx.search.source_file if ctx.search and not ctx.model else None, ctx.quant.source_file,
             *ctx.board.spec_files]
    return [env.File(str(p)) for p in specs if p is not None] + data_sources(env, ctx)


def data_sources(env, ctx: StageContext) -> list:
    """The training data as a dependency: pointing the task at other data rebuilds what trains."""
    return [env.Value(ctx.data)] if ctx.data else []


def compute_sources(env, ctx: StageContext) -> list:
    """Where training runs as a dependency (cpu and cuda round differently): a stage that trains
    reruns on another kind of device, and a shared cache keeps their outputs apart."""
    if ctx.compute is None:
        return []
    return [env.Value(f"compute {ctx.compute.identity()}{ctx.launch.identity() if ctx.launch else ''}")]


def wire(env, sel, rules_dir: str | Path) -> list:
    """Add the pipeline for a selection to ``env``; return the final stage's nodes."""
    ctx = build_context(env, sel)
    rules_dir = Path(rules_dir)
    for name in ctx.chain:
        stage = STAGES[name]
        if not (rules_dir / f"{stage.tool}.py").is_file():
            raise UserError(f"stage '{stage.name}' ({stage.does}) is not built yet ({stage.issue}): "
                            f"rules/{stage.tool}.py does not exist; {sel.argline()} needs "
                            f"{' -> '.join(ctx.chain)}")
    folder = Path(ctx.build_dir.abspath)
    hold_build_lock(folder, sel.argline())
    # signatures per output folder: builds of other boards or models never share (and lose) entries
    env.SConsignFile(str(folder / ".sconsign"))
    nodes = add_stages(env, ctx, ctx.chain, rules_dir)
    if "run" in ctx.chain:
        _remove_stale_results_on_failure(ctx)
    return nodes


def add_stages(env, ctx: StageContext, names, rules_dir: str | Path) -> list:
    """Add the stages ``names`` (in chain order, from the first) to ``env``, each fed the
    previous one's outputs; return the last one's nodes. The pipeline and the SCons tool for
    other SConstructs (``mcunet_core.scons``, up to the engine) both wire stages here."""
    nodes = first_sources(env, ctx)
    for name in names:
        stage = STAGES[name]
        env.Tool(stage.tool, toolpath=[str(rules_dir)])
        method = getattr(env, stage.method, None)
        if method is None:
            raise UserError(f"stage '{stage.name}' is not built yet ({stage.issue}): rules/{stage.tool}.py does "
                            f"not add env.{stage.method}(ctx, sources)")
        nodes = list(method(ctx, nodes))
    return nodes


_LOCKS: list = []  # held until the process exits


def hold_build_lock(folder: Path, what: str) -> None:
    """One scons process per output folder: a second one waits, saying which process holds it
    (two builds of one target would otherwise read each other's half-written files)."""
    import fcntl
    import os
    import sys

    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / ".lock"
    fh = open(lock, "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = lock.read_text().strip() or "another process"
        print(f"{folder}: waiting for {holder} to finish", file=sys.stderr, flush=True)
        fcntl.flock(fh, fcntl.LOCK_EX)
    fh.seek(0)
    fh.truncate()
    fh.write(f"scons {what} (process {os.getpid()})\n")
    fh.flush()
    _LOCKS.append(fh)


def _remove_stale_results_on_failure(ctx) -> None:
    """After a build that failed upstream of the run (a failed relink after a board change, a
    model that no longer fits), remove this configuration's result.json, outputs and report:
    they describe an older build and would claim success. A run that failed wrote its own
    result (status fault, timeout, ...), which stays."""
    import atexit

    from SCons.Script import GetBuildFailures

    from mcunet_paths import RESULT_FILES, run_dir, stale_results

    folder = Path(run_dir(ctx).abspath)

    def the_runs_own(failure) -> bool:
        path = Path(str(getattr(failure.node, "abspath", "")))
        return path.parent == folder and (path.name in RESULT_FILES or path.name.startswith("output"))

    def remove() -> None:
        failures = GetBuildFailures()
        if not failures or all(the_runs_own(f) for f in failures):
            return
        for path in stale_results(folder):
            path.unlink(missing_ok=True)

    atexit.register(remove)
