"""Declarative specs: boards, tasks, models, searches and quantization settings as YAML files
under ``specs/``, checked against Draft 2020-12 JSON Schemas (``specs/schemas/``) and semantic
rules, with ``extends:`` inheritance and one ``file:line: $.path: message`` line per problem.

    list_specs(kind) -> list[str]             kind in board, task, model, search, quant
    load_spec(kind, name_or_path) -> typed spec (Board, Task, ModelSpec, SearchSpec, QuantSpec)
    load_board(name) / load_task(name) / load_search(name) / load_quant(name)
    load_model(name_or_path) -> ModelSpec     a specs/models name, a .yaml path or a .tflite path
    check_paths(paths) -> (count, problems)   what ``python -m mcunet_core.spec check`` runs

Every loader raises ``mcunet_core.errors.UserError`` listing every problem it found.
"""

from .located import Problem
from .loader import (
    KIND_DIRS,
    check_file,
    check_paths,
    default_specs_dir,
    kind_of_file,
    list_specs,
    load_board,
    load_model,
    load_quant,
    load_search,
    load_spec,
    load_task,
    project_spec_files,
    spec_file,
)
from .types import Bank, Board, Dataset, Emulator, ModelSpec, PyocdPack, QuantSpec, Region, SearchSpec, Spec, Task

__all__ = [
    "KIND_DIRS", "Bank", "Board", "Dataset", "Emulator", "ModelSpec", "Problem", "PyocdPack", "QuantSpec",
    "Region", "SearchSpec", "Spec", "Task", "check_file", "check_paths", "default_specs_dir", "kind_of_file",
    "list_specs", "load_board", "load_model", "load_quant", "load_search", "load_spec", "load_task", "project_spec_files", "spec_file",
]
