"""Models that never run at the same time share one arena per memory pool.

A model generated with a prefix addresses each pool as a link-time array (``vww_arena``,
``vww_arena_dtcm``); compiled with ``-D<POOL>_SYMBOL=buf`` (its model.h) it uses the
application's ``buf`` instead. This module reads the generated folders' ``plan.json``, sizes
one array per pool at the largest model's bytes, and gives the C that defines those arrays
and the defines that point every model at them: the firmware's arena is the maximum of the
models' arenas, not their sum.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import jinja2

from ..errors import UserError

PLAN = "plan.json"
#: The shared arrays' name (the arena region's; ``_<region>`` follows for the others).
SHARED_SYMBOL = "mcunet_shared_arena"
#: As model.c: C has no zero-length arrays, and the arena region's array always exists.
MIN_POOL_BYTES = 8
#: model.h's ``<PREFIX>_ARENA_ALIGN``: every arena array's alignment.
ARENA_ALIGN = 16
#: The default prefix is the firmware harness's API: its model.c takes no placement macros.
HARNESS_PREFIX = "mcunet"
_ARENA = "_arena"
_TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class ModelPool:
    """One arena array a model's model.c defines: its C name, section and bytes."""

    symbol: str
    section: str
    bytes: int

    @property
    def macro(self) -> str:
        """The stem of this array's macros in model.h (``VWW_ARENA`` -> ``VWW_ARENA_BYTES``)."""
        return self.symbol.upper()


@dataclass(frozen=True)
class ModelArenas:
    """One generated folder's arena arrays by pool (board region) name, as plan.json names them."""

    prefix: str
    gen_dir: Path
    pools: dict[str, ModelPool]

    @classmethod
    def load(cls, gen_dir: str | Path) -> "ModelArenas":
        gen_dir = Path(gen_dir)
        path = gen_dir / PLAN
        try:
            listed = json.loads(path.read_text(encoding="utf-8"))["pools"]
            pools = {p["name"]: ModelPool(p["symbol"], p["section"], max(int(p["bytes"]), MIN_POOL_BYTES))
                     for i, p in enumerate(listed) if i == 0 or p["bytes"]}
            first = listed[0]["symbol"]
        except FileNotFoundError:
            raise UserError(f"{gen_dir}: no {PLAN}: not a folder the engine generated") from None
        except (ValueError, KeyError, TypeError, IndexError) as err:
            raise UserError(f"{path}: not a memory plan ({err})") from None
        if not first.endswith(_ARENA):
            raise UserError(f"{path}: arena array {first!r} is not named <prefix>{_ARENA}")
        return cls(first[: -len(_ARENA)], gen_dir, pools)

    @property
    def bytes(self) -> int:
        return sum(p.bytes for p in self.pools.values())


@dataclass(frozen=True)
class SharedPool:
    """One pool's shared array and what each model that uses the pool needs of it alone."""

    name: str
    symbol: str
    section: str
    users: dict[str, ModelPool]  # prefix -> that model's own array

    @property
    def bytes(self) -> int:
        return max(p.bytes for p in self.users.values())

    @property
    def separate_bytes(self) -> int:
        return sum(p.bytes for p in self.users.values())


@dataclass(frozen=True)
class SharedArena:
    """The shared arrays of several models, the C defining them and the defines using them."""

    models: tuple[ModelArenas, ...]
    pools: tuple[SharedPool, ...]

    @property
    def prefixes(self) -> tuple[str, ...]:
        return tuple(m.prefix for m in self.models)

    @property
    def bytes(self) -> int:
        return sum(p.bytes for p in self.pools)

    @property
    def separate_bytes(self) -> int:
        return sum(m.bytes for m in self.models)

    def defines(self) -> dict[str, str]:
        """``<POOL>_SYMBOL=<shared array>`` for every array of every model (compile model.c with these)."""
        return {use.macro + "_SYMBOL": pool.symbol for pool in self.pools for use in pool.users.values()}

    def c_source(self) -> str:
        """The application's side: the shared arrays, in the sections the models' own would use."""
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(_TEMPLATES)), undefined=jinja2.StrictUndefined,
                                 trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
        return env.get_template("shared_arena.c.j2").render(arena=self, align=ARENA_ALIGN)


def board_defines(prefix: str, board, symbol: str = SHARED_SYMBOL) -> dict[str, str]:
    """Before the model is generated: what ``share_arenas(...).defines()`` gives the model of C
    prefix ``prefix`` for ``board``, for every pool the board offers (a define of a pool the
    model leaves empty is unused), so a build can compile against the shared arrays up front."""
    from ..engine import Target

    suffixes = [pool.symbol[len(HARNESS_PREFIX + _ARENA):] for pool in Target.from_board(board).pools]
    return {f"{prefix}{_ARENA}{suffix}".upper() + "_SYMBOL": symbol + suffix for suffix in suffixes}


def share_arenas(gen_dirs, symbol: str = SHARED_SYMBOL) -> SharedArena:
    """One array per pool for models generated with distinct prefixes for one board; a pool
    one model alone uses is shared all the same (it costs what that model's own would)."""
    models = tuple(ModelArenas.load(d) for d in gen_dirs)
    if not models:
        raise UserError("a shared arena needs at least one generated model")
    prefixes = [m.prefix for m in models]
    if HARNESS_PREFIX in prefixes:
        raise UserError(f"{models[prefixes.index(HARNESS_PREFIX)].gen_dir}: generated with the default prefix "
                        f"{HARNESS_PREFIX!r} (the firmware harness's API): generate each model of a shared arena "
                        f"with its own prefix (engine.generate(..., prefix='vww'))")
    repeated = sorted({p for p in prefixes if prefixes.count(p) > 1})
    if repeated:
        raise UserError(f"models share the C prefix {', '.join(map(repr, repeated))}: their symbols would collide; "
                        f"generate each with its own prefix")
    pools: dict[str, SharedPool] = {}
    for model in models:
        for name, use in model.pools.items():
            suffix = use.symbol[len(model.prefix) + len(_ARENA):]
            pool = pools.setdefault(name, SharedPool(name, symbol + suffix, use.section, {}))
            if use.section != pool.section:
                raise UserError(f"{model.gen_dir}: pool {name} is in section {use.section}, another model's in "
                                f"{pool.section}: the models were generated for different boards")
            pool.users[model.prefix] = use
    return SharedArena(models, tuple(pools.values()))
