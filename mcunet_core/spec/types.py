"""Typed, frozen views of validated specs. Built only from specs that passed every check,
so constructors index the raw dict without defensive code. Every object keeps ``raw`` (the
merged dict) and ``source_file``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UserError


@dataclass(frozen=True)
class Bank:
    name: str
    base: int
    size: int


@dataclass(frozen=True)
class Region:
    name: str
    base: int
    size: int
    kind: str  # "flash" | "ram"
    banks: tuple[Bank, ...] = ()

    @property
    def end(self) -> int:
        """One past the last byte (regions are half-open intervals)."""
        return self.base + self.size


@dataclass(frozen=True)
class Emulator:
    machine: str  # QEMU machine: "mps2-an500" (Cortex-M7) or "mps2-an386" (Cortex-M4)


@dataclass(frozen=True)
class PyocdPack:
    name: str  # CMSIS-Pack, e.g. Keil.STM32F7xx_DFP
    install: str  # the `pyocd pack install <part>` command (needs internet)
    file: str | None  # a downloaded .pack file to pass with --pack (offline machines)
    note: str = ""


@dataclass(frozen=True)
class Board:
    name: str
    description: str
    mcu: str
    core: str  # "cortex-m7" | "cortex-m4"
    fpu: str  # "fpv5-d16" | "fpv5-sp-d16" | "fpv4-sp-d16"
    dsp: bool
    clock_hz: int
    revision: str | None
    regions: list[Region]
    flash_region: Region
    arena_region: Region
    reserve_region: Region
    stack_reserve: int
    heap_reserve: int
    arena_limit: int | None  # explicit arena_bytes, if the spec sets one
    latency_budget_ms: float | None
    cflags: list[str]  # exactly the -mcpu/-mthumb/-mfpu/-mfloat-abi flags of the spec
    pyocd_target: str | None
    pyocd_pack: PyocdPack | None
    emulator: Emulator
    source_file: Path
    raw: dict = field(repr=False, compare=False)

    @property
    def arena_budget(self) -> int:
        """Bytes the tensor arena may use: arena_bytes, or the arena region less the reserve."""
        if self.arena_limit is not None:
            return self.arena_limit
        if self.reserve_region.name == self.arena_region.name:
            return self.arena_region.size - self.stack_reserve - self.heap_reserve
        return self.arena_region.size

    @property
    def flash_budget(self) -> int:
        return self.flash_region.size

    def region(self, name: str) -> Region:
        for r in self.regions:
            if r.name == name:
                return r
        raise KeyError(name)

    @classmethod
    def from_raw(cls, raw: dict, source_file: Path, tree=None) -> "Board":
        regions = [
            Region(r["name"], r["base"], r["size"], r["kind"],
                   tuple(Bank(b["name"], b["base"], b["size"]) for b in r.get("banks", ())))
            for r in raw["memory"]
        ]
        by_name = {r.name: r for r in regions}
        flash_name = raw.get("flash_region") or next(r.name for r in regions if r.kind == "flash")
        reserve = raw["reserve"]
        pyocd = raw["pyocd"]
        pack = pyocd.get("pack") if pyocd else None
        return cls(
            name=raw["name"], description=raw["description"], mcu=raw["mcu"], core=raw["core"],
            fpu=raw["fpu"], dsp=raw["dsp"], clock_hz=raw["clock"]["hz"],
            revision=raw["clock"].get("revision"), regions=regions,
            flash_region=by_name[flash_name], arena_region=by_name[raw["arena_region"]],
            reserve_region=by_name[reserve.get("region", raw["arena_region"])],
            stack_reserve=reserve["stack"], heap_reserve=reserve["heap"],
            arena_limit=raw.get("arena_bytes"), latency_budget_ms=raw.get("latency_budget_ms"),
            cflags=list(raw["compiler"]["cflags"]),
            pyocd_target=pyocd["target"] if pyocd else None,
            pyocd_pack=PyocdPack(pack["name"], pack["install"], pack.get("file"), pack.get("note", ""))
            if pack else None,
            emulator=Emulator(raw["emulator"]["machine"]), source_file=source_file, raw=raw,
        )


@dataclass(frozen=True)
class Dataset:
    format: str  # "imagefolder" | "speech_commands" | "npz"
    source: str  # "embedded" | "path"
    path: str | None
    path_env: str | None
    splits: dict
    embedded: dict | None  # {generator, samples, seed} for source "embedded"
    base_dir: Path  # folder of the spec that set 'path' (relative paths start there)

    def data_path(self) -> Path | None:
        """Where the user's data is: $path_env if set, else 'path'; None for embedded data."""
        return self._located()[0]

    def _located(self) -> tuple[Path | None, str]:
        """(the data path, what set it) or (None, "embedded")."""
        if self.path_env and os.environ.get(self.path_env):
            return Path(os.environ[self.path_env]).expanduser(), f"${self.path_env}"
        if self.path:
            p = Path(self.path).expanduser()
            return (p if p.is_absolute() else self.base_dir / p), "dataset.path"
        if self.source == "path":
            where = f"set ${self.path_env} or dataset.path" if self.path_env else "set dataset.path"
            raise UserError(f"the {self.format} data set has no embedded default: {where} "
                            f"in a task spec extending this one")
        return None, "embedded"

    def identity(self) -> str:
        """What the training data is, as a build dependency: the resolved path of the user's
        data, or the embedded generator and its settings. Raises UserError where the data
        cannot be found, so a build stops before any work."""
        root, origin = self._located()
        if root is None:
            e = self.embedded
            return f"embedded {e['generator']} samples={e['samples']} seed={e['seed']}"
        if not root.exists():
            raise UserError(f"dataset path {root} (from {origin}) does not exist")
        return f"{self.format} {root.resolve()}"


@dataclass(frozen=True)
class Task:
    name: str
    description: str
    classes: int
    labels: list[str] | None
    input_kind: str  # "image" | "mfcc"
    input_shape: tuple[int, int, int]  # HWC at the default resolution
    resolution: int | None  # default square resolution (images)
    resolutions: list[int]
    color: str | None
    audio: dict | None
    preprocessing: dict
    dataset: Dataset
    metric: dict
    source_file: Path
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_raw(cls, raw: dict, source_file: Path, tree=None) -> "Task":
        inp, ds = raw["input"], raw["dataset"]
        base_dir = source_file.parent
        if tree is not None and "path" in ds:
            base_dir = Path(tree.find(("dataset", "path"))[0].file).parent
        image = inp["kind"] == "image"
        return cls(
            name=raw["name"], description=raw["description"], classes=raw["classes"],
            labels=raw["labels"], input_kind=inp["kind"], input_shape=tuple(inp["shape"]),
            resolution=inp["shape"][0] if image else None,
            resolutions=list(inp.get("resolutions", [])), color=inp.get("color"),
            audio=inp.get("audio"), preprocessing=raw["preprocessing"],
            dataset=Dataset(ds["format"], ds["source"], ds.get("path"), ds.get("path_env"),
                            ds.get("splits", {}), ds.get("embedded"), base_dir),
            metric=raw["metric"], source_file=source_file, raw=raw,
        )


@dataclass(frozen=True)
class ModelSpec:
    name: str
    description: str
    kind: str  # "architecture" | "tflite"
    tflite: Path | None
    task: str | None
    resolution: int | None
    architecture: dict | None
    source_file: Path | None  # None for a bare .tflite given on the command line
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_raw(cls, raw: dict, source_file: Path, tree=None) -> "ModelSpec":
        tflite = None
        if "tflite" in raw:
            base = Path(tree.find(("tflite",))[0].file).parent if tree is not None else source_file.parent
            tflite = (base / raw["tflite"]).resolve()
        return cls(name=raw["name"], description=raw["description"],
                   kind="tflite" if tflite else "architecture", tflite=tflite, task=raw.get("task"),
                   resolution=raw.get("resolution"), architecture=raw.get("architecture"),
                   source_file=source_file, raw=raw)

    @classmethod
    def from_tflite(cls, path: Path) -> "ModelSpec":
        path = path.resolve()
        raw = {"name": path.stem, "description": f"int8 TFLite model {path.name}", "tflite": str(path)}
        return cls(name=path.stem, description=raw["description"], kind="tflite", tflite=path,
                   task=None, resolution=None, architecture=None, source_file=None, raw=raw)


@dataclass(frozen=True)
class SearchSpec:
    name: str
    description: str
    space: dict
    stage1: dict
    constraints: dict
    evolution: dict
    source_file: Path
    raw: dict = field(repr=False, compare=False)

    def resolve_constraints(self, board: Board) -> dict[str, Any]:
        """Concrete limits for a board: 'auto' takes the board's arena/flash budget and its
        latency_budget_ms (None: no latency limit)."""
        c = self.constraints
        return {
            "sram": board.arena_budget if c["sram"] == "auto" else c["sram"],
            "flash": board.flash_budget if c["flash"] == "auto" else c["flash"],
            "latency_ms": board.latency_budget_ms if c["latency_ms"] == "auto" else c["latency_ms"],
        }

    @classmethod
    def from_raw(cls, raw: dict, source_file: Path, tree=None) -> "SearchSpec":
        return cls(raw["name"], raw["description"], raw["space"], raw["stage1"], raw["constraints"],
                   raw["evolution"], source_file, raw)


@dataclass(frozen=True)
class QuantSpec:
    name: str
    description: str
    weights: dict
    activations: dict
    calibration: dict
    qat: dict
    source_file: Path
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_raw(cls, raw: dict, source_file: Path, tree=None) -> "QuantSpec":
        return cls(raw["name"], raw["description"], raw["weights"], raw["activations"],
                   raw["calibration"], raw["qat"], source_file, raw)


Spec = Board | Task | ModelSpec | SearchSpec | QuantSpec
