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
    machine: str  # QEMU machine, from the core spec (specs/cores/<core>.yaml) unless the board restates it


def _sources(raw: dict) -> str:
    return ", ".join(raw.get("sources", ()))


@dataclass(frozen=True)
class Core:
    """A processor core (specs/cores/<name>.yaml)."""

    name: str  # gcc's -mcpu= value, e.g. "cortex-m7"
    description: str
    fpus: tuple[str, ...]  # gcc -mfpu= names a part with this core may have
    dsp: bool
    define: str  # C define set to 1 in every firmware build for this core, e.g. MCUNET_CORE_M7
    machine: str  # the QEMU machine that emulates it
    source: str  # the documents the facts come from
    source_file: Path
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_raw(cls, raw: dict, source_file: Path, tree=None) -> "Core":
        return cls(raw["name"], raw["description"], tuple(raw["fpus"]), raw["dsp"], raw["define"],
                   raw["emulator"]["machine"], _sources(raw), source_file, raw)


@dataclass(frozen=True)
class Part:
    prefix: str  # matches mcu part numbers that start with it (STM32H743 matches STM32H743ZI)
    core: str
    fpu: str
    max_hz: dict  # revision (or None: any) -> maximum core clock in Hz
    source: str = ""  # the documents the limits come from


@dataclass(frozen=True)
class Usart:
    name: str  # e.g. USART3
    base: int
    bus: str  # the RCC bus whose enable register clocks it, e.g. apb1
    bit: int  # its enable bit there


@dataclass(frozen=True)
class SramClocks:
    bus: str
    bits: tuple[int, ...]


@dataclass(frozen=True)
class Family:
    """An MCU family (specs/families/<name>.yaml): register facts for hardware builds, and its parts."""

    name: str
    description: str
    mcu_prefix: str  # a board's mcu starting with it belongs to the family
    define: str  # C define set to 1 in hardware builds, e.g. MCUNET_STM32H7
    rcc_base: int
    enable_offsets: dict  # bus -> offset of its RCC_<BUS>ENR from the RCC base
    gpio_base: int
    gpio_stride: int
    gpio_bus: str
    usart_style: int  # 1: F4 register layout (SR/DR/BRR/CR1), 2: F7/H7 (CR1/BRR/ISR/TDR)
    usart_kernel_hz: int  # USART kernel clock after reset
    usarts: dict  # instance name -> Usart
    sram_clocks: SramClocks | None  # RAM clocks off at reset, turned on by the runtime's early init
    parts: tuple[Part, ...]
    source_file: Path
    raw: dict = field(repr=False, compare=False)

    def enable_register(self, bus: str) -> int:
        """Address of the clock enable register of ``bus``."""
        return self.rcc_base + self.enable_offsets[bus]

    def gpio_port(self, port: int) -> int:
        """Base address of GPIO port ``port`` (A = 0)."""
        return self.gpio_base + self.gpio_stride * port

    def find_part(self, mcu: str) -> Part | None:
        mcu = mcu.upper()
        matches = [p for p in self.parts if mcu.startswith(p.prefix)]
        return max(matches, key=lambda p: len(p.prefix)) if matches else None

    @classmethod
    def from_raw(cls, raw: dict, source_file: Path, tree=None) -> "Family":
        rcc, gpio, usart, sram = raw["rcc"], raw["gpio"], raw["usart"], raw.get("sram_clocks")
        parts = tuple(
            Part(p["prefix"], p["core"], p["fpu"],
                 p["max_hz"] if isinstance(p["max_hz"], dict) else {None: p["max_hz"]}, _sources(p))
            for p in raw["parts"]
        )
        return cls(
            name=raw["name"], description=raw["description"], mcu_prefix=raw["mcu_prefix"], define=raw["define"],
            rcc_base=rcc["base"], enable_offsets=dict(rcc["enable"]),
            gpio_base=gpio["base"], gpio_stride=gpio["stride"], gpio_bus=gpio["bus"],
            usart_style=usart["style"], usart_kernel_hz=usart["kernel_hz"],
            usarts={name: Usart(name, u["base"], u["bus"], u["bit"]) for name, u in usart["instances"].items()},
            sram_clocks=SramClocks(sram["bus"], tuple(sram["bits"])) if sram else None,
            parts=parts, source_file=source_file, raw=raw,
        )


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
    app_sram_reserve: int  # application_reserve: what 'auto' search limits leave to the application
    app_flash_reserve: int
    arena_limit: int | None  # explicit arena_bytes, if the spec sets one
    latency_budget_ms: float | None
    cflags: list[str]  # exactly the -mcpu/-mthumb/-mfpu/-mfloat-abi flags of the spec
    pyocd_target: str | None
    pyocd_pack: PyocdPack | None
    emulator: Emulator
    source_file: Path
    raw: dict = field(repr=False, compare=False)
    # resolved from specs/cores and specs/families when the board is loaded
    core_spec: Core | None = field(default=None, repr=False, compare=False)
    family: Family | None = field(default=None, repr=False, compare=False)  # None: no family spec matches mcu
    part: Part | None = field(default=None, repr=False, compare=False)  # None: not a known part of the family

    @property
    def spec_files(self) -> tuple[Path, ...]:
        """The board spec and the core and family specs it was resolved with: what a build for
        it depends on."""
        extra = (s.source_file for s in (self.core_spec, self.family) if s is not None)
        return (self.source_file, *extra)

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

    @property
    def patch(self):
        """The board's ``patch`` for models that set none (None: absent, auto)."""
        return self.raw.get("patch")

    @property
    def input_placement(self):
        """The board's ``input_placement`` for models that set none (None: absent, arena)."""
        return self.raw.get("input_placement")

    def region(self, name: str) -> Region:
        for r in self.regions:
            if r.name == name:
                return r
        raise KeyError(name)

    @classmethod
    def from_raw(cls, raw: dict, source_file: Path, tree=None, catalog=None) -> "Board":
        """``catalog`` (a ``parts.Catalog``) supplies the core and family specs the board names."""
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
        core = catalog.cores.get(raw["core"]) if catalog else None
        family = catalog.family_for(raw["mcu"]) if catalog else None
        machine = raw["emulator"]["machine"] if "emulator" in raw else getattr(core, "machine", None)
        return cls(
            name=raw["name"], description=raw["description"], mcu=raw["mcu"], core=raw["core"],
            fpu=raw["fpu"], dsp=raw["dsp"], clock_hz=raw["clock"]["hz"],
            revision=raw["clock"].get("revision"), regions=regions,
            flash_region=by_name[flash_name], arena_region=by_name[raw["arena_region"]],
            reserve_region=by_name[reserve.get("region", raw["arena_region"])],
            stack_reserve=reserve["stack"], heap_reserve=reserve["heap"],
            app_sram_reserve=raw.get("application_reserve", {}).get("sram", 0),
            app_flash_reserve=raw.get("application_reserve", {}).get("flash", 0),
            arena_limit=raw.get("arena_bytes"), latency_budget_ms=raw.get("latency_budget_ms"),
            cflags=list(raw["compiler"]["cflags"]),
            pyocd_target=pyocd["target"] if pyocd else None,
            pyocd_pack=PyocdPack(pack["name"], pack["install"], pack.get("file"), pack.get("note", ""))
            if pack else None,
            emulator=Emulator(machine), source_file=source_file, raw=raw,
            core_spec=core, family=family, part=family.find_part(raw["mcu"]) if family else None,
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

    @property
    def budget(self) -> dict | None:
        """The budget a search measured this network under (``sram``, ``flash``, ``latency_ms``, ``macs``)."""
        return self.raw.get("budget")

    @property
    def patch(self):
        """The spec's ``patch`` (``off``/False, ``auto``, ``{split, patches}``), None when absent."""
        return self.raw.get("patch")

    @property
    def input_placement(self):
        """The spec's ``input_placement`` (``arena``, ``external``), None when absent."""
        return self.raw.get("input_placement")

    @classmethod
    def from_raw(cls, raw: dict, source_file: Path, tree=None) -> "ModelSpec":
        tflite = None
        if "tflite" in raw:
            base = Path(tree.find(("tflite",))[0].file).parent if tree is not None else source_file.parent
            tflite = (base / raw["tflite"]).resolve()
        task = raw.get("task")
        if task and task.endswith((".yaml", ".yml")):  # a task spec by path, relative to this file
            task = str((source_file.parent / Path(task).expanduser()).resolve())
        return cls(name=raw["name"], description=raw["description"],
                   kind="tflite" if tflite else "architecture", tflite=tflite, task=task,
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

    def space_for(self, input_kind: str) -> dict:
        """The space for a task with this input kind: ``space`` with the keys of
        ``space.inputs.<kind>`` replaced (an MFCC map wants other strides than a photo)."""
        space = {k: v for k, v in self.space.items() if k != "inputs"}
        return {**space, **(self.space.get("inputs") or {}).get(input_kind, {})}

    def resolve_constraints(self, board: Board) -> dict[str, Any]:
        """Concrete limits for a board: 'auto' takes the board's arena/flash budget less what
        is reserved for the application (``constraints.reserve``, default the board's
        ``application_reserve``), and its latency_budget_ms (None: no latency limit); ``macs``
        (a compute budget per inference) is the spec's or None. An
        explicit number of bytes is the model's own budget: nothing is taken from it."""
        c = self.constraints
        reserve = self.reserve(board)
        return {
            "sram": board.arena_budget - reserve["sram"] if c["sram"] == "auto" else c["sram"],
            "flash": board.flash_budget - reserve["flash"] if c["flash"] == "auto" else c["flash"],
            "latency_ms": board.latency_budget_ms if c["latency_ms"] == "auto" else c["latency_ms"],
            "macs": c.get("macs"),
        }

    @property
    def patch(self) -> str:
        """``constraints.patch``: how candidates are measured, ``off`` (default) or ``auto``."""
        value = self.constraints.get("patch", "off")
        return "off" if value is False else value

    @property
    def input_placement(self) -> str:
        """``constraints.input_placement``: where candidates keep their input, ``arena`` (default) or ``external``."""
        return self.constraints.get("input_placement", "arena")

    def reserve(self, board: Board) -> dict[str, int]:
        """Bytes of SRAM and flash kept for the application under 'auto' limits."""
        given = self.constraints.get("reserve") or {}
        board_reserve = {"sram": board.app_sram_reserve, "flash": board.app_flash_reserve}
        return {k: board_reserve[k] if given.get(k, "auto") == "auto" else int(given[k]) for k in ("sram", "flash")}

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


Spec = Board | Task | ModelSpec | SearchSpec | QuantSpec | Core | Family
