"""Semantic checks: what a JSON Schema cannot say (regions overlap, the arena fits, the clock
is within the part's maximum for its revision, ...).

Each check is registered for one kind with the top-level keys it reads; it runs only when
those keys passed the schema, so one pass reports schema and semantic problems together
without a check tripping over a value of the wrong type. A check yields ``(path, message)``
or ``(path, message, at_key)``; the runner turns them into ``Problem`` lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .located import Node, Problem, display_path
from .parts import EMULATOR_FLASH_BYTES, EMULATOR_RAM_BYTES, Catalog
from .schema import did_you_mean, not_one_of


class CatalogUnavailable(Exception):
    """Raised by ``Context.catalog`` while a core or family spec has problems: the checks that
    need the catalog are skipped and those problems are reported instead."""


@dataclass
class Context:
    kind: str
    tree: Node
    raw: dict
    file: Path  # the spec file being loaded (its stem must be the spec's name)
    names: Callable[[str], list[str]]  # spec names of a kind, for cross references
    catalog: Callable[[], Catalog]  # the core and family specs (loaded when a check first asks; may raise
    # CatalogUnavailable)

    def core(self):
        """The core spec the board's core names, or None (reported by the core check)."""
        return self.catalog().core(self.raw["core"])

    def known_core_fpu(self) -> bool:
        """The board's core and fpu are both known (else the core and fpu checks report them)."""
        return self.core() is not None and self.raw["fpu"] in self.catalog().fpus()

    def family(self):
        return self.catalog().family_for(self.raw["mcu"])

    def part(self):
        return self.catalog().find_part(self.raw["mcu"])


@dataclass(frozen=True)
class Check:
    kind: str  # a spec kind, or "*" for every kind
    code: str
    needs: tuple[str, ...]
    fn: Callable[[Context], Iterable[tuple]]


CHECKS: list[Check] = []


def check(kind: str, name: str, needs: tuple[str, ...] = ()):
    def register(fn):
        CHECKS.append(Check(kind, f"semantic.{kind if kind != '*' else 'spec'}.{name}", needs, fn))
        return fn
    return register


def _blocked(needs: tuple[str, ...], raw: dict, schema_problems: list[Problem]) -> bool:
    for key in needs:
        if key not in raw:
            return True
        prefix = f"$.{key}"
        for p in schema_problems:
            if p.path == prefix or p.path.startswith((prefix + ".", prefix + "[")):
                return True
    return False


def run_checks(ctx: Context, schema_problems: list[Problem]) -> list[Problem]:
    out: list[Problem] = []
    for chk in CHECKS:
        if chk.kind not in (ctx.kind, "*") or _blocked(chk.needs, ctx.raw, schema_problems):
            continue
        try:
            items = list(chk.fn(ctx))
        except CatalogUnavailable:
            continue
        for path, message, *rest in items:
            out.append(_locate(ctx, tuple(path), message, chk.code, bool(rest and rest[0])))
    return out


def _locate(ctx: Context, path: tuple, message: str, code: str, at_key: bool) -> Problem:
    """A semantic problem is about a combination of values; when the value it names comes
    from a spec this one extends, the combination is this spec's doing: point at the nearest
    enclosing value this file sets and say where the value itself comes from."""
    problem = ctx.tree.problem(path, message, code, at_key)
    top = str(ctx.file)
    if problem.file == top:
        return problem
    line = ctx.tree.line
    for depth in range(len(path), 0, -1):
        node, found = ctx.tree.find(path[:depth])
        if found and node.file == top:
            line = node.key_line if node.key_line is not None else node.line
            break
    return Problem(top, line, problem.path,
                   f"{message} (the value comes from {display_path(problem.file)}:{problem.line})", code)


def codes(kind: str | None = None) -> list[str]:
    return [c.code for c in CHECKS if kind is None or c.kind in (kind, "*")]


def _size(n: int) -> str:
    for unit, div in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n % div == 0 and n >= div:
            return f"{n // div} {unit}"
    return f"{n} bytes"


def _span(base: int, size: int) -> str:
    return f"[0x{base:08X}, 0x{base + size:08X})"


# ---------------------------------------------------------------------------- every kind

@check("*", "name-matches-file", needs=("name",))
def _name_matches_file(ctx: Context):
    stem = ctx.file.name.rsplit(".", 1)[0]
    if ctx.raw["name"] != stem:
        yield ("name",), f"name '{ctx.raw['name']}' differs from the file name '{ctx.file.name}': " \
                         f"they must match (set name: {stem})"


# ---------------------------------------------------------------------------- boards

def _regions(raw: dict) -> list[dict]:
    return raw["memory"]


def _region_index(raw: dict, name: str) -> int | None:
    for i, r in enumerate(_regions(raw)):
        if r["name"] == name:
            return i
    return None


def _named_region(raw: dict, key_path: tuple, name: str, want_kind: str) -> Iterator[tuple]:
    i = _region_index(raw, name)
    names = [r["name"] for r in _regions(raw)]
    if i is None:
        yield key_path, f"no memory region named '{name}' (regions: {', '.join(names)})" \
                        f"{did_you_mean(name, names)}"
    elif _regions(raw)[i]["kind"] != want_kind:
        yield key_path, f"region '{name}' is {_regions(raw)[i]['kind']}; it must be a {want_kind} region"


@check("board", "region-names-unique", needs=("memory",))
def _region_names_unique(ctx: Context):
    seen: dict[str, int] = {}
    for i, r in enumerate(_regions(ctx.raw)):
        if r["name"] in seen:
            yield ("memory", i, "name"), f"region name '{r['name']}' is already used by $.memory[{seen[r['name']]}]"
        else:
            seen[r["name"]] = i


@check("board", "region-address-range", needs=("memory",))
def _region_address_range(ctx: Context):
    for i, r in enumerate(_regions(ctx.raw)):
        end = r["base"] + r["size"]
        if end > 1 << 32:
            yield ("memory", i, "size"), f"region {r['name']} ends at 0x{end:X}, past the 32-bit address space"


@check("board", "regions-overlap", needs=("memory",))
def _regions_overlap(ctx: Context):
    regions = _regions(ctx.raw)
    for j, b in enumerate(regions):
        for i in range(j):
            a = regions[i]
            # half-open intervals [base, base + size)
            if a["base"] < b["base"] + b["size"] and b["base"] < a["base"] + a["size"]:
                yield ("memory", j, "base"), (
                    f"region {b['name']} {_span(b['base'], b['size'])} overlaps region "
                    f"{a['name']} {_span(a['base'], a['size'])}")


@check("board", "region-banks", needs=("memory",))
def _region_banks(ctx: Context):
    for i, r in enumerate(_regions(ctx.raw)):
        banks = r.get("banks")
        if not banks:
            continue
        cursor = r["base"]
        for k, bank in enumerate(banks):
            if bank["base"] != cursor:
                yield ("memory", i, "banks", k, "base"), (
                    f"bank {bank['name']} starts at 0x{bank['base']:08X}, but the banks of region "
                    f"{r['name']} must be contiguous from 0x{r['base']:08X}: expected 0x{cursor:08X}")
                break
            cursor += bank["size"]
        else:
            total = sum(b["size"] for b in banks)
            if total != r["size"]:
                yield ("memory", i, "size"), (
                    f"region {r['name']} is {r['size']} bytes but its banks add up to {total} bytes")


@check("board", "flash-region", needs=("memory",))
def _flash_region(ctx: Context):
    if "flash_region" in ctx.raw:
        yield from _named_region(ctx.raw, ("flash_region",), ctx.raw["flash_region"], "flash")
        return
    flash = [r["name"] for r in _regions(ctx.raw) if r["kind"] == "flash"]
    if not flash:
        yield ("memory",), "no region of kind flash: code and weights need one"
    elif len(flash) > 1:
        yield ("memory",), f"{len(flash)} regions of kind flash ({', '.join(flash)}): " \
                           f"name the one for code and weights with flash_region"


@check("board", "arena-region", needs=("memory", "arena_region"))
def _arena_region(ctx: Context):
    yield from _named_region(ctx.raw, ("arena_region",), ctx.raw["arena_region"], "ram")


@check("board", "reserve-region", needs=("memory", "reserve"))
def _reserve_region(ctx: Context):
    if "region" in ctx.raw["reserve"]:
        yield from _named_region(ctx.raw, ("reserve", "region"), ctx.raw["reserve"]["region"], "ram")


def _region_size(raw: dict, name: str) -> int | None:
    i = _region_index(raw, name)
    return None if i is None else _regions(raw)[i]["size"]


@check("board", "arena-fits", needs=("memory", "arena_region", "reserve"))
def _arena_fits(ctx: Context):
    raw = ctx.raw
    name = raw["arena_region"]
    size = _region_size(raw, name)
    if size is None:
        return  # reported by arena-region
    reserve = raw["reserve"]
    shared = reserve.get("region", name) == name
    stack, heap = (reserve["stack"], reserve["heap"]) if shared else (0, 0)
    arena = raw.get("arena_bytes")
    if arena is not None:
        if arena + stack + heap > size:
            parts = f"arena_bytes {arena}" + (f" + stack {stack} + heap {heap}" if shared else "")
            yield ("arena_bytes",), (f"{parts} = {arena + stack + heap} bytes do not fit region "
                                     f"{name} ({size} bytes)")
    elif stack + heap >= size:
        yield ("reserve",), (f"stack {stack} + heap {heap} bytes leave no room for the arena in region "
                             f"{name} ({size} bytes)")


@check("board", "reserve-fits", needs=("memory", "arena_region", "reserve"))
def _reserve_fits(ctx: Context):
    reserve = ctx.raw["reserve"]
    name = reserve.get("region")
    if name is None or name == ctx.raw["arena_region"]:
        return  # checked together with the arena
    size = _region_size(ctx.raw, name)
    if size is not None and reserve["stack"] + reserve["heap"] > size:
        yield ("reserve",), (f"stack {reserve['stack']} + heap {reserve['heap']} bytes do not fit "
                             f"region {name} ({size} bytes)")


# The cores and FPUs a board may name are those of the core specs (specs/cores/).

@check("board", "core", needs=("core",))
def _core(ctx: Context):
    names = sorted(ctx.catalog().cores)
    if ctx.raw["core"] not in names:
        yield ("core",), not_one_of(ctx.raw["core"], names)


@check("board", "fpu", needs=("fpu",))
def _fpu(ctx: Context):
    fpus = ctx.catalog().fpus()
    if ctx.raw["fpu"] not in fpus:
        yield ("fpu",), not_one_of(ctx.raw["fpu"], fpus)


def _no_such_fpu(core, fpu: str) -> str:
    return f"a {core.name} has no {fpu} FPU (possible: {', '.join(core.fpus)})"


@check("board", "core-fpu", needs=("core", "fpu"))
def _core_fpu(ctx: Context):
    core, fpu = ctx.core(), ctx.raw["fpu"]
    if ctx.known_core_fpu() and fpu not in core.fpus:
        yield ("fpu",), _no_such_fpu(core, fpu)


@check("board", "part", needs=("mcu", "core", "fpu"))
def _part(ctx: Context):
    part = ctx.part()
    if part is None or not ctx.known_core_fpu():
        return
    if ctx.raw["core"] != part.core:
        yield ("core",), f"{ctx.raw['mcu']} is a {part.core}, not a {ctx.raw['core']} ({part.source})"
    if ctx.raw["fpu"] != part.fpu:
        yield ("fpu",), f"{ctx.raw['mcu']} has the {part.fpu} FPU, not {ctx.raw['fpu']} ({part.source})"


@check("board", "clock-revision", needs=("mcu", "clock"))
def _clock_revision(ctx: Context):
    part = ctx.part()
    if part is None or None in part.max_hz:
        return
    revs = sorted(part.max_hz)
    rev = ctx.raw["clock"].get("revision")
    if rev is None:
        yield ("clock",), (f"{part.prefix} needs clock.revision (one of {', '.join(revs)}): "
                           f"its maximum clock depends on the silicon revision")
    elif rev not in part.max_hz:
        yield ("clock", "revision"), (f"unknown {part.prefix} revision '{rev}' (known: {', '.join(revs)})"
                                      f"{did_you_mean(rev, revs)}")


@check("board", "clock-max", needs=("mcu", "clock"))
def _clock_max(ctx: Context):
    part = ctx.part()
    if part is None:
        return
    rev = ctx.raw["clock"].get("revision")
    key = None if None in part.max_hz else rev
    if key not in part.max_hz:
        return  # reported by clock-revision
    hz, limit = ctx.raw["clock"]["hz"], part.max_hz[key]
    if hz > limit:
        which = f"{part.prefix} rev {rev}" if key else part.prefix
        yield ("clock", "hz"), f"{hz} Hz exceeds the {which} maximum of {limit} Hz ({part.source})"


@check("board", "cflags", needs=("core", "fpu", "compiler"))
def _cflags(ctx: Context):
    if not ctx.known_core_fpu():
        return  # reported by the core and fpu checks
    flags = ctx.raw["compiler"]["cflags"]
    want = {"-mcpu=": ctx.raw["core"], "-mfpu=": ctx.raw["fpu"], "-mfloat-abi=": "hard"}
    source = {"-mcpu=": "core", "-mfpu=": "fpu", "-mfloat-abi=": "the hardware FPU"}
    for prefix, value in want.items():
        given = [(i, f) for i, f in enumerate(flags) if f.startswith(prefix)]
        if not given:
            yield ("compiler", "cflags"), f"missing {prefix}{value} (from {source[prefix]})"
        for i, flag in given:
            if flag != prefix + value:
                yield ("compiler", "cflags", i), f"{flag} contradicts {source[prefix]}: expected {prefix}{value}"
    if "-mthumb" not in flags:
        yield ("compiler", "cflags"), "missing -mthumb (Cortex-M cores run Thumb code only)"
    for i, flag in enumerate(flags):
        if flag.startswith("-O"):
            yield ("compiler", "cflags", i), f"{flag}: the optimisation level comes from `scons opt=`, not the board"


@check("board", "emulator-machine", needs=("core", "emulator"))
def _emulator_machine(ctx: Context):
    machine, core = ctx.raw["emulator"]["machine"], ctx.core()
    if core is not None and machine != core.machine:
        yield ("emulator", "machine"), (f"{machine} does not emulate a {core.name}; "
                                        f"a {core.name} board runs on {core.machine} "
                                        f"({display_path(core.source_file)})")


@check("board", "uart-required", needs=("mcu",))
def _uart_required(ctx: Context):
    family = ctx.family()
    if family is not None and "uart" not in ctx.raw:
        yield ("uart",), (f"{ctx.raw['mcu']} is an {family.name} part: say which UART carries the result line "
                         f"(uart: {{instance, tx, af}}, instances: {', '.join(family.usarts)}) or uart: none")


@check("board", "uart-instance", needs=("mcu", "uart"))
def _uart_instance(ctx: Context):
    family, uart = ctx.family(), ctx.raw["uart"]
    if family is None or not isinstance(uart, dict):
        return
    instance = uart["instance"].upper()
    if instance not in family.usarts:
        names = list(family.usarts)
        yield ("uart", "instance"), (f"{family.name} has no {uart['instance']} (usart.instances of "
                                     f"{display_path(family.source_file)}: {', '.join(names)})"
                                     f"{did_you_mean(instance, names)}")


@check("board", "emulator-fits", needs=("memory",))
def _emulator_fits(ctx: Context):
    ram = 0
    for i, r in enumerate(_regions(ctx.raw)):
        if r["kind"] == "flash" and r["size"] > EMULATOR_FLASH_BYTES:
            yield ("memory", i, "size"), (f"flash region {r['name']} ({_size(r['size'])}) does not fit the "
                                          f"emulator's {_size(EMULATOR_FLASH_BYTES)} flash window")
        if r["kind"] == "ram":
            ram += r["size"]
    if ram > EMULATOR_RAM_BYTES:
        yield ("memory",), (f"RAM regions total {_size(ram)}, more than the emulator's "
                            f"{_size(EMULATOR_RAM_BYTES)} RAM window")


# ---------------------------------------------------------------------------- MCU families

def _buses(raw: dict) -> Iterator[tuple[tuple, str]]:
    """(path, bus) of every bus a family spec names."""
    yield ("gpio", "bus"), raw["gpio"]["bus"]
    for name, usart in raw["usart"]["instances"].items():
        yield ("usart", "instances", name, "bus"), usart["bus"]
    sram = raw.get("sram_clocks")
    if isinstance(sram, dict) and isinstance(sram.get("bus"), str):
        yield ("sram_clocks", "bus"), sram["bus"]


@check("family", "bus-known", needs=("rcc", "gpio", "usart"))
def _bus_known(ctx: Context):
    known = list(ctx.raw["rcc"]["enable"])
    for path, bus in _buses(ctx.raw):
        if bus not in known:
            yield path, (f"bus {bus} has no enable register in rcc.enable (buses: {', '.join(known)})"
                         f"{did_you_mean(bus, known)}")


@check("family", "part-prefix", needs=("mcu_prefix", "parts"))
def _part_prefix(ctx: Context):
    family_prefix, seen = ctx.raw["mcu_prefix"], {}
    for i, part in enumerate(ctx.raw["parts"]):
        prefix = part["prefix"]
        if not prefix.startswith(family_prefix):
            yield ("parts", i, "prefix"), (f"{prefix} does not start with the family's mcu_prefix "
                                           f"{family_prefix}: no board of this family could match it")
        elif prefix in seen:
            yield ("parts", i, "prefix"), f"part {prefix} is already listed at $.parts[{seen[prefix]}]"
        seen.setdefault(prefix, i)


@check("family", "part-core", needs=("parts",))
def _part_core(ctx: Context):
    cores = ctx.catalog().cores
    for i, part in enumerate(ctx.raw["parts"]):
        core = cores.get(part["core"])
        if core is None:
            yield ("parts", i, "core"), not_one_of(part["core"], sorted(cores))
        elif part["fpu"] not in core.fpus:
            yield ("parts", i, "fpu"), _no_such_fpu(core, part["fpu"])


# ---------------------------------------------------------------------------- tasks

@check("task", "labels-count", needs=("classes", "labels"))
def _labels_count(ctx: Context):
    labels = ctx.raw["labels"]
    if labels is not None and len(labels) != ctx.raw["classes"]:
        yield ("labels",), f"{len(labels)} labels for {ctx.raw['classes']} classes"


@check("task", "image-input", needs=("input",))
def _image_input(ctx: Context):
    inp = ctx.raw["input"]
    if inp["kind"] != "image":
        return
    h, w, c = inp["shape"]
    if h != w and "detection" not in ctx.raw:
        yield ("input", "shape"), f"image input must be square, got {h}x{w} (only a detection task's may be wider or higher)"
    elif h not in inp["resolutions"]:
        yield ("input", "shape"), f"default resolution {h} is not in input.resolutions {inp['resolutions']}"
    channels = {"rgb": 3, "grayscale": 1}[inp["color"]]
    if c != channels:
        yield ("input", "shape", 2), f"{inp['color']} images have {channels} channel(s), shape says {c}"


@check("task", "normalize", needs=("input", "preprocessing"))
def _normalize(ctx: Context):
    channels = ctx.raw["input"]["shape"][2]
    for key in ("mean", "std"):
        values = ctx.raw["preprocessing"].get(key)
        if values is not None and len(values) != channels:
            yield ("preprocessing", key), f"{len(values)} values for {channels} input channel(s)"


@check("task", "mfcc-input", needs=("input",))
def _mfcc_input(ctx: Context):
    inp = ctx.raw["input"]
    if inp["kind"] != "mfcc":
        return
    a = inp["audio"]
    samples = a["sample_rate"] * a["clip_ms"] // 1000
    window = int(a["sample_rate"] * a["window_ms"] / 1000)
    stride = int(a["sample_rate"] * a["stride_ms"] / 1000)
    frames = 1 + (samples - window) // stride if samples >= window else 0
    expected = [frames, a["dct_coefficients"], 1]
    if list(inp["shape"]) != expected:
        yield ("input", "shape"), (f"{a['clip_ms']} ms at {a['sample_rate']} Hz in {a['window_ms']} ms windows every "
                                   f"{a['stride_ms']} ms with {a['dct_coefficients']} coefficients gives "
                                   f"{expected}, not {list(inp['shape'])}")
    if not a["low_hz"] < a["high_hz"] <= a["sample_rate"] / 2:
        yield ("input", "audio", "high_hz"), (f"need low_hz < high_hz <= sample_rate / 2 "
                                              f"({a['sample_rate'] / 2:g} Hz), got {a['low_hz']:g} .. {a['high_hz']:g}")


@check("task", "top-k", needs=("classes", "metric"))
def _top_k(ctx: Context):
    if ctx.raw["metric"]["name"] != "accuracy":
        return
    k = ctx.raw["metric"].get("top_k", 1)
    if k >= ctx.raw["classes"]:
        yield ("metric", "top_k"), f"top_k {k} must be below the number of classes ({ctx.raw['classes']})"


DETECTION_METRICS = ("voc_map", "coco_map")
DETECTION_FORMATS = ("voc", "coco", "npz")
DETECTION_GENERATORS = ("synthetic-person-det",)


@check("task", "metric-kind", needs=("metric",))
def _metric_kind(ctx: Context):
    name, detection = ctx.raw["metric"]["name"], "detection" in ctx.raw
    if detection and name not in DETECTION_METRICS:
        yield ("metric", "name"), f"a detection task is scored by {' or '.join(DETECTION_METRICS)}, not {name}"
    elif not detection and name in DETECTION_METRICS:
        yield ("metric", "name"), f"{name} scores detection: a task with it needs a 'detection' head"


@check("task", "detection-kind", needs=("classes", "input"))
def _detection_kind(ctx: Context):
    if "detection" in ctx.raw:
        if ctx.raw["input"]["kind"] != "image":
            yield ("input", "kind"), f"a detection task's input is an image, not {ctx.raw['input']['kind']}"
    elif ctx.raw["classes"] < 2:
        yield ("classes",), f"a classification task needs at least 2 classes, got {ctx.raw['classes']} (one is for detection tasks)"


@check("task", "detection-data", needs=("dataset",))
def _detection_data(ctx: Context):
    ds, detection = ctx.raw["dataset"], "detection" in ctx.raw
    formats = DETECTION_FORMATS if detection else ("imagefolder", "speech_commands", "npz")
    if ds["format"] not in formats:
        what = "a detection task's boxes" if detection else "a classification task's labels"
        yield ("dataset", "format"), f"format {ds['format']} does not hold {what} (formats: {', '.join(formats)})"
    gen = (ds.get("embedded") or {}).get("generator")
    if gen is not None and (gen in DETECTION_GENERATORS) != detection:
        what = "boxes for a detection task" if detection else "labels for a classification task"
        yield ("dataset", "embedded", "generator"), f"generator {gen} does not make {what}"


@check("task", "detection-head", needs=("detection", "input"))
def _detection_head(ctx: Context):
    head = ctx.raw["detection"]["head"]
    strides, anchors = head["strides"], head["anchors"]
    if strides != sorted(strides):
        yield ("detection", "head", "strides"), f"strides must increase, got {strides}"
    if len(anchors) != len(strides):
        yield ("detection", "head", "anchors"), (f"{len(anchors)} anchor list(s) for {len(strides)} stride(s): "
                                                 f"one list per level")
    h, w = ctx.raw["input"]["shape"][:2]
    top = max(strides)
    for i, side in ((0, h), (1, w)):
        if side % top:
            yield ("input", "shape", i), f"{'height' if i == 0 else 'width'} {side} is not a multiple of the largest stride {top}"
    for i, r in enumerate(ctx.raw["input"].get("resolutions") or []):
        if r % top:
            yield ("input", "resolutions", i), f"input height {r} is not a multiple of the largest stride {top}"


# ---------------------------------------------------------------------------- models

def _mbv2_per_block(arch: dict):
    for i, stage in enumerate(arch["stages"]):
        for key in ("kernel", "expand"):
            yield ("architecture", "stages", i, key), key, stage[key], stage["depth"], "a stage"


def _dscnn_per_block(arch: dict):
    blocks = arch["blocks"]
    yield ("architecture", "blocks", "channels"), "channels", blocks["channels"], blocks["depth"], "blocks"


#: each architecture family's per-block lists: (path, key, value, depth, what has the depth)
_PER_BLOCK = {"mbv2": _mbv2_per_block, "dscnn": _dscnn_per_block}


@check("model", "per-block", needs=("architecture",))
def _per_block(ctx: Context):
    arch = ctx.raw["architecture"]
    for path, key, value, depth, what in _PER_BLOCK[arch["family"]](arch):
        if isinstance(value, list) and len(value) != depth:
            yield path, f"{len(value)} {key} values for {what} of depth {depth}"


@check("model", "task", needs=("task",))
def _model_task(ctx: Context):
    names = ctx.names("task")
    task = ctx.raw["task"]
    if task.endswith((".yaml", ".yml")):  # a task spec by path (a user's data), relative to the model spec
        if not (ctx.file.parent / Path(task).expanduser()).is_file():
            yield ("task",), f"no task spec file {task} (relative to {ctx.file.parent})"
    elif task not in names:
        yield ("task",), f"no task spec '{task}' (tasks: {', '.join(names)}){did_you_mean(task, names)}"


@check("model", "tflite-file", needs=("tflite",))
def _tflite_file(ctx: Context):
    node, _ = ctx.tree.find(("tflite",))
    path = Path(node.file).parent / ctx.raw["tflite"]
    if not path.is_file():
        yield ("tflite",), f"file not found: {path}"
        return
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head[4:8] != b"TFL3":
        yield ("tflite",), f"{path} is not a TFLite flatbuffer (no 'TFL3' identifier)"


# ---------------------------------------------------------------------------- search

@check("search", "base-widths", needs=("space",))
def _base_widths(ctx: Context):
    space = ctx.raw["space"]
    bases = [(("space", "base"), space["base"])]
    bases += [(("space", "inputs", kind, "base"), o["base"]) for kind, o in (space.get("inputs") or {}).items()
              if "base" in o]
    for where, base in bases:
        if len(base["stages"]) != len(base["strides"]):
            yield (*where, "strides"), f"{len(base['strides'])} strides for {len(base['stages'])} stages"


@check("search", "evolution-ratios", needs=("evolution",))
def _evolution_ratios(ctx: Context):
    evo = ctx.raw["evolution"]
    if evo["parents_ratio"] + evo["mutation_ratio"] > 1:
        yield ("evolution", "mutation_ratio"), (
            f"parents_ratio {evo['parents_ratio']:g} + mutation_ratio {evo['mutation_ratio']:g} exceed 1: "
            f"the rest of each generation comes from crossover")
    parents = int(evo["population"] * evo["parents_ratio"])
    if parents < 2:
        yield ("evolution", "parents_ratio"), (
            f"population {evo['population']} x parents_ratio {evo['parents_ratio']:g} keeps {parents} "
            f"parent(s); crossover needs at least 2")


# ---------------------------------------------------------------------------- quantization

@check("quant", "calibration-batch", needs=("calibration",))
def _calibration_batch(ctx: Context):
    cal = ctx.raw["calibration"]
    if cal["batch_size"] > cal["samples"]:
        yield ("calibration", "batch_size"), f"batch_size {cal['batch_size']} exceeds samples {cal['samples']}"


@check("quant", "qat-schedule", needs=("qat",))
def _qat_schedule(ctx: Context):
    qat = ctx.raw["qat"]
    for key in ("freeze_bn_epoch", "freeze_observers_epoch"):
        epoch = qat.get(key)
        if epoch is not None and epoch >= qat["epochs"]:
            yield ("qat", key), f"{key} {epoch} is not within the {qat['epochs']} QAT epoch(s)"
