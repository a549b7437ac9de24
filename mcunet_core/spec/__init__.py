"""Declarative specs: boards, tasks, models, searches, quantization settings, cores and MCU
families as YAML files
under ``specs/``, checked against Draft 2020-12 JSON Schemas (``specs/schemas/``) and semantic
rules, with ``extends:`` inheritance and one ``file:line: $.path: message`` line per problem.

    list_specs(kind) -> list[str]             kind in board, task, model, search, quant, core, family
    load_spec(kind, name_or_path) -> typed spec (Board, Task, ModelSpec, SearchSpec, QuantSpec)
    load_board(name) / load_task(name) / load_search(name) / load_quant(name)
    load_core(name) / load_family(name)       specs/cores/, specs/families/ (what boards are built with)
    spec_catalog() -> Catalog                 every core and family spec, for lookups by core or mcu
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
    load_core,
    load_family,
    load_model,
    load_quant,
    load_search,
    load_spec,
    load_task,
    project_spec_files,
    spec_catalog,
    spec_file,
)
from .parts import EMULATOR_FLASH_BYTES, EMULATOR_RAM_BYTES, Catalog
from .types import (Bank, Board, Core, Dataset, Emulator, Family, ModelSpec, Part, PyocdPack, QuantSpec, Region,
                    SearchSpec, Spec, Task, Usart)

__all__ = [
    "EMULATOR_FLASH_BYTES", "EMULATOR_RAM_BYTES",
    "KIND_DIRS", "Bank", "Board", "Catalog", "Core", "Dataset", "Emulator", "Family", "ModelSpec", "Part", "Problem",
    "PyocdPack", "QuantSpec", "Region", "SearchSpec", "Spec", "Task", "Usart", "check_file", "check_paths",
    "default_specs_dir", "kind_of_file", "list_specs", "load_board", "load_core", "load_family", "load_model",
    "load_quant", "load_search", "load_spec", "load_task", "project_spec_files", "spec_catalog", "spec_file",
]
