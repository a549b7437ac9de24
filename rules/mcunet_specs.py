"""SCons tool: the command-line variables (enumerations built from the spec folders) and the
``check`` target that validates every spec.

SConstruct calls ``selection_from_arguments(ARGUMENTS)`` (every mistake reported at once as a
``UserError``), ``help_variables()`` for ``scons -h``, and ``env.Tool("mcunet_specs")`` then
``env.McunetCheck()`` for the stamp target ``build/check.stamp``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from SCons.Action import Action

from mcunet_core.atomic import atomic_write_text
from mcunet_core.errors import UserError, capped
from mcunet_core.spec import check_paths, default_specs_dir, list_specs, project_spec_files
from mcunet_core.spec.schema import did_you_mean

RUNNERS = ("qemu", "pyocd")
OPTS = ("O2", "O3", "Os")
DEVICES = ("auto", "cpu", "cuda")  # mcunet_core.train.compute.DEVICES (not imported here: no torch for `scons -h`)
SWITCHES = ("off", "on")
DEFAULTS = {"runner": "qemu", "opt": "O2", "search": "mcunet", "quant": "int8", "device": "auto", "amp": "off"}
VARIABLES = ("board", "task", "model", "search", "quant", "runner", "probe", "input", "opt", "export", "device", "amp",
             "cache", "patch", "procs", "torchrun")
SPEC_VARIABLES = ("board", "task", "search", "quant")  # enumerations of spec names
SPEC_SOURCES = ("mcunet_core/spec",)  # code whose change re-runs `scons check`


@dataclass(frozen=True)
class Selection:
    """What the command line asked for, each value checked against what exists."""

    board: str | None
    task: str | None
    model: str | None  # a model spec name, or a path to a .tflite / .yaml file
    search: str
    quant: str
    runner: str
    probe: str | None
    input: str | None
    opt: str
    export: str | None = None  # a folder to write the model's C package to, instead of a run
    device: str = "auto"  # where training runs: auto (cuda when there is one), cpu, cuda
    amp: str = "off"  # mixed precision for training steps on cuda
    cache: str | None = None  # a shared SCons CacheDir for every stage's outputs
    patch: str | None = None  # patch=off|auto|<split>:<n>|<split>:<rows>x<cols> (None: the specs' or auto)
    procs: str | None = None  # training processes on this machine (torchrun's --nproc-per-node)
    torchrun: str | None = None  # torchrun's options for several machines (--nnodes, --rdzv-*)

    def argline(self) -> str:
        parts = [f"{k}={getattr(self, k)}" for k in ("board", "task", "model") if getattr(self, k)]
        return " ".join(parts)


def _choices(values) -> str:
    return ", ".join(values) if values else "none"


def _spec_value(kind: str, value: str, specs_dir: Path) -> str | None:
    """Problem text for a spec name or .yaml path, or None when it is fine."""
    names = list_specs(kind, specs_dir)
    if value in names:
        return None
    if value.endswith((".yaml", ".yml")):
        return None if Path(value).is_file() else f"{kind}={value}: no such file"
    return (f"{kind}={value}: no such {kind} (valid values: {_choices(names)}){did_you_mean(value, names)}")


def selection_from_arguments(arguments: dict, specs_dir: Path | None = None) -> Selection:
    """Check every command-line variable; raise one UserError listing every problem."""
    specs_dir = Path(specs_dir) if specs_dir else default_specs_dir()
    errors: list[str] = []
    for key in arguments:
        if key not in VARIABLES:
            errors.append(f"unknown variable '{key}={arguments[key]}' (valid variables: {', '.join(VARIABLES)})"
                          f"{did_you_mean(key, VARIABLES)}")
    values = {k: arguments.get(k) or DEFAULTS.get(k) for k in VARIABLES}
    for kind in SPEC_VARIABLES:
        if values[kind]:
            problem = _spec_value(kind, values[kind], specs_dir)
            if problem:
                errors.append(problem)
    model = values["model"]
    if model:
        if model.lower().endswith(".tflite"):
            if Path(model).is_dir():
                errors.append(f"model={model}: a directory, not a .tflite file")
            elif not Path(model).is_file():
                errors.append(f"model={model}: no such .tflite file")
        else:
            problem = _spec_value("model", model, specs_dir)
            if problem:
                errors.append(problem + " (or give a path to an int8 .tflite file)")
    for key, allowed in (("runner", RUNNERS), ("opt", OPTS), ("device", DEVICES), ("amp", SWITCHES)):
        if values[key] not in allowed:
            errors.append(f"{key}={values[key]}: not valid (valid values: {_choices(allowed)})"
                          f"{did_you_mean(values[key], allowed)}")
    if values["input"] and not (values["input"].endswith((".npy", ".npz")) and Path(values["input"]).is_file()):
        errors.append(f"input={values['input']}: needs an existing .npy file (.npz: one array per model input)")
    if values["patch"]:
        from mcunet_core.engine import PatchPolicy

        try:
            PatchPolicy.from_argument(values["patch"])
        except UserError as err:
            errors.extend(err.messages)
    if values["procs"] or values["torchrun"]:
        from mcunet_core.pipeline.launch import Launch

        try:
            Launch.parse(values["procs"], values["torchrun"])
        except UserError as err:
            errors.extend(err.messages)
    if values["probe"] and values["runner"] != "pyocd":
        errors.append(f"probe={values['probe']}: a probe is only used with runner=pyocd")
    if values["export"]:
        from mcunet_core.package import export_dir_problems

        errors.extend(export_dir_problems(values["export"]))
    if errors:
        raise UserError(errors)
    return Selection(**values)


def help_variables(specs_dir: Path | None = None):
    """(key, help, default) rows for SCons ``Variables``; ``scons -h`` prints them."""
    specs_dir = Path(specs_dir) if specs_dir else default_specs_dir()

    def names(kind):
        return "|".join(list_specs(kind, specs_dir))

    return [
        ("board", f"target board: {names('board')} (specs/boards/), or a path to a board .yaml", None),
        ("task", f"task to search and train a model for: {names('task')} (specs/tasks/)", None),
        ("model", f"model instead of a search: {names('model')} (specs/models/), or a path to an int8 "
                  ".tflite file", None),
        ("search", f"search spec for task=: {names('search')} (specs/search/)", DEFAULTS["search"]),
        ("quant", f"quantization spec: {names('quant')} (specs/quant/)", DEFAULTS["quant"]),
        ("runner", f"where the firmware runs: {'|'.join(RUNNERS)} (qemu: the board's emulated stand-in; "
                   "pyocd: the real board through a debug probe)", DEFAULTS["runner"]),
        ("probe", "debug probe unique ID for runner=pyocd when several are attached (see `pyocd list`)", None),
        ("input", "input tensor as a .npy file, or .npz with one array per model input "
                  "(default: a fixed seeded random input)", None),
        ("opt", f"compiler optimisation: {'|'.join(OPTS)}", DEFAULTS["opt"]),
        ("export", "write the model as a C package to this folder (a CMake library and a Zephyr module; "
                   "a new, empty or earlier export folder) instead of building and running the firmware", None),
        ("device", f"where search and training run: {'|'.join(DEVICES)} (auto: cuda when torch sees a GPU)",
         DEFAULTS["device"]),
        ("amp", f"mixed precision (float16 autocast) for training steps on cuda: {'|'.join(SWITCHES)}",
         DEFAULTS["amp"]),
        ("cache", "a shared build cache folder (SCons CacheDir): stages whose inputs match an earlier build "
                  "anywhere are copied from it instead of run", None),
        ("patch", "patch-based inference for model=: off|auto|<split>:<n>|<split>:<rows>x<cols> (6:4: ops 0-5 "
                  "per patch, 4x4 patches; 6:5x1: 5 rows); default the model spec's patch, else the board's, else "
                  "auto (task= and searched models: the schedule the search measured)", None),
        ("procs", "processes that train the supernet and the fine-tune together (data-parallel through "
                  "torchrun: gloo on CPU, nccl with one GPU each)", "1"),
        ("torchrun", "options for torchrun when the training spans machines, passed through "
                     "(\"--nnodes=2 --rdzv-backend=c10d --rdzv-endpoint=HOST:29400 --rdzv-id=JOB\")", None),
    ]


def check_sources(root: Path, specs_dir: Path) -> list[Path]:
    """Everything `scons check` depends on: every spec, every schema, the checking code."""
    files = [path for _, path in project_spec_files(specs_dir)]
    files += sorted((specs_dir / "schemas").glob("*.schema.json"))
    for folder in SPEC_SOURCES:
        files += sorted((root / folder).glob("*.py"))
    return files


def _check_action(target, source, env):
    count, problems = check_paths(specs_dir=env["MCUNET_SPECS_DIR"])
    for line in capped([str(p) for p in problems]):
        print(line, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {count} spec file(s)", file=sys.stderr)
        return 2
    atomic_write_text(target[0].abspath, f"{count} spec file(s) checked: no problems\n")
    print(f"{count} spec file(s) checked: no problems")
    return 0


def _check_string(target, source, env):
    return f"check: {len([s for s in source if str(s).endswith(('.yaml', '.yml'))])} specs, " \
           f"{len([s for s in source if str(s).endswith('.json')])} schemas"


def _mcunet_check(env):
    root = Path(env.Dir("#").abspath)
    specs_dir = Path(env["MCUNET_SPECS_DIR"])
    sources = [env.File(str(p)) for p in check_sources(root, specs_dir)]
    return env.Command("#build/check.stamp", sources, Action(_check_action, _check_string))


def generate(env):
    env.SetDefault(MCUNET_SPECS_DIR=str(default_specs_dir()))
    env.AddMethod(_mcunet_check, "McunetCheck")


def exists(env):
    return True

