"""The one result format: result.json (+ output.npy) for every run, and JUnit XML for CI.

``specs/schemas/result.schema.json`` is the contract; ``write_result`` validates against
it before writing, atomically, so a reader never sees a half-written or off-schema file.
"""

from __future__ import annotations

import functools
import importlib.metadata
import io
import json
import os
import platform
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import numpy as np

from .. import __version__
from ..atomic import atomic_write_bytes, atomic_write_text
from ..errors import UserError
from ..paths import SPECS_DIR
from ..sram import peak_sram_bytes
from .runners.base import RunResult

SCHEMA_PATH = SPECS_DIR / "schemas" / "result.schema.json"
SCHEMA_VERSION = 1


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def validate_result(doc: dict) -> None:
    """UserError listing every schema violation (one line each, with the JSON path)."""
    errors = sorted(_validator().iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        raise UserError([f"result: {e.json_path}: {e.message}" for e in errors])


def tool_versions(runner: str) -> dict[str, str | None]:
    """Versions of what produced a result; a tool that is absent is recorded as null."""
    from .runners.qemu import find_qemu
    from .toolchain import find_toolchain

    def attempt(fn):
        try:
            return fn()
        except (UserError, OSError, importlib.metadata.PackageNotFoundError):
            return None

    return {
        "mcunet": __version__,
        "python": platform.python_version(),
        "arm-none-eabi-gcc": attempt(lambda: find_toolchain().version),
        "qemu-system-arm": attempt(lambda: find_qemu()[1]) if runner == "qemu" else None,
        "pyocd": attempt(lambda: importlib.metadata.version("pyocd")) if runner == "pyocd" else None,
    }


def count_basis(run: RunResult) -> str:
    if run.count_kind == "cycles":
        return "DWT->CYCCNT core cycles around mcunet_invoke() on the board (reset clock tree)"
    machine = run.extra.get("machine", "?")
    return (f"instructions executed by mcunet_invoke() on the emulated core (QEMU {machine}, "
            f"-icount shift={run.extra.get('icount_shift', 3)}); not cycles")  # fmt: skip


def build_result(run: RunResult, memory: dict, *, opt: str | None = None, input_path=None, output_path=None,
                 result_dir=None, output: np.ndarray | None = None) -> dict:
    """The result document for ``run`` of an image whose size report is ``memory``.

    ``output`` is the model's (first) output decoded with its dtype and shape (io.json);
    without it the firmware's raw int8 output is described."""
    result_dir = Path(result_dir) if result_dir else None

    def rel(p):
        if p is None:
            return None
        p = Path(p)
        if result_dir is not None:
            try:
                return os.path.relpath(p.resolve(), result_dir.resolve())
            except ValueError:
                pass
        return str(p)

    stack = run.stack_used if run.status in ("ok", "model_error") else None
    doc: dict = {
        "schema_version": SCHEMA_VERSION,
        "board": run.board,
        "runner": run.runner,
        "status": run.status,
        "message": run.message,
    }
    if run.count is not None:
        doc["cycles" if run.count_kind == "cycles" else "instructions"] = int(run.count)
        doc["count_basis"] = count_basis(run)
    if run.postprocess_count is not None:  # detection post-processing, counted apart from invoke()
        doc["postprocess_cycles" if run.count_kind == "cycles" else "postprocess_instructions"] = \
            int(run.postprocess_count)
    doc.update(
        {
            "latency_ms": run.latency_ms,
            "latency_basis": "cycles / clock_hz" if run.count_kind == "cycles"
            else "instructions / clock_hz (estimate at 1 instruction per cycle)",
            "clock_hz": int(run.clock_hz),
            "arena_bytes": int(memory["arena_bytes"]),
            "stack_bytes": stack,
            "stack_reserved_bytes": int(memory["stack_reserved_bytes"]),
            "peak_sram_bytes": None if stack is None else peak_sram_bytes(memory["static_ram_excl_stack_bytes"], stack),
            "flash_bytes": int(memory["flash_bytes"]),
            "static_ram_bytes": int(memory["static_ram_bytes"]),
            "output": rel(output_path) if run.output is not None else None,
            "input": rel(input_path),
            "elf": rel(run.elf),
            "exit_code": run.exit_code,
            "wall_s": round(run.wall_s, 3),
            "fault": run.fault,
            "build": {"variant": "emulator" if run.runner == "qemu" else "hardware", **({"opt": opt} if opt else {})},
            "memory": {
                "regions": memory["regions"],
                "sections": memory["sections"],
                "input_flash_bytes": memory.get("input_flash_bytes", 0),
                **({"external_input_bytes": memory["external_input_bytes"]}
                   if memory.get("external_input_bytes") else {}),
            },
            "tools": tool_versions(run.runner),
            "runner_details": {k: v for k, v in run.extra.items() if isinstance(v, (str, int, float, bool))},
        }
    )  # fmt: skip
    shown = output if output is not None else run.output
    if shown is not None:
        doc["output_shape"] = list(shown.shape)
        doc["output_dtype"] = str(shown.dtype)
    return doc


def write_result(path, doc: dict) -> Path:
    """Validate, then write ``doc`` atomically as JSON."""
    validate_result(doc)
    path = Path(path)
    atomic_write_text(path, json.dumps(doc, indent=2, sort_keys=False) + "\n")
    return path


def write_npy(path, array: np.ndarray) -> Path:
    buf = io.BytesIO()
    np.save(buf, np.asarray(array), allow_pickle=False)
    atomic_write_bytes(path, buf.getvalue())
    return Path(path)


def write_run(out_dir, run: RunResult, memory: dict, *, opt: str | None = None, input_path=None,
              result_name: str = "result.json", output_name: str = "output.npy",
              outputs: list[np.ndarray] | None = None) -> dict:  # fmt: skip
    """result.json (+ output.npy when the run produced an output) in ``out_dir``; returns the doc.

    ``outputs``: the model's outputs decoded from the firmware's bytes (ModelIO); the first
    goes to ``output_name``, further ones beside it as ``<stem>_<i>.npy``."""
    out = Path(out_dir)
    out_path = out / output_name
    first = None
    if run.output is not None:
        arrays = outputs if outputs is not None else [run.output]
        first = arrays[0]
        write_npy(out_path, first)
        for i, extra in enumerate(arrays[1:], start=1):
            write_npy(out_path.with_name(f"{out_path.stem}_{i}{out_path.suffix}"), extra)
    doc = build_result(run, memory, opt=opt, input_path=input_path, output_path=out_path, result_dir=out,
                       output=first)
    write_result(out / result_name, doc)
    return doc


def write_junit(path, suite: str, cases) -> Path:
    """JUnit XML for CI: ``cases`` is an iterable of (name, RunResult).

    ok -> pass; fault/hang/model_error/input_error -> <failure>; device_error -> <error>
    (the board or probe failed, not the program)."""
    cases = list(cases)
    root = ET.Element("testsuites")
    failures = sum(1 for _, r in cases if r.status not in ("ok", "device_error"))
    errors = sum(1 for _, r in cases if r.status == "device_error")
    ts = ET.SubElement(root, "testsuite", name=suite, tests=str(len(cases)), failures=str(failures),
                       errors=str(errors), time=f"{sum(r.wall_s for _, r in cases):.3f}")  # fmt: skip
    for name, r in cases:
        tc = ET.SubElement(ts, "testcase", classname=f"{suite}.{r.board}", name=name, time=f"{r.wall_s:.3f}")
        if r.status == "device_error":
            ET.SubElement(tc, "error", type="device_error", message=r.describe())
        elif r.status != "ok":
            el = ET.SubElement(tc, "failure", type=r.status, message=r.describe())
            el.text = r.console
        else:
            ET.SubElement(tc, "system-out").text = r.describe() + "\n" + r.console
    ET.indent(root)
    atomic_write_bytes(path, ET.tostring(root, encoding="utf-8", xml_declaration=True))
    return Path(path)
