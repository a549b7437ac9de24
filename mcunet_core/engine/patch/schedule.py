"""What a patch schedule is, and how a spec asks for one (``patch: off | auto | {split, patches}``)
or the command line (``patch=off | auto | <split>:<n> | <split>:<rows>x<cols>``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...errors import UserError

#: ``auto``: the most extra instructions (a fraction of the whole-tensor run's) a schedule may cost.
DEFAULT_CAP = 0.20


@dataclass(frozen=True)
class PatchSchedule:
    """Ops ``[0, split)`` run once per patch of their output, a ``grid`` of rows x columns of
    patches; the ops after run on the assembled tensor as usual."""

    split: int
    grid: tuple[int, int]

    @property
    def patches(self) -> int:
        return self.grid[0] * self.grid[1]

    def to_json(self) -> dict:
        return {"split": self.split, "patches": list(self.grid)}

    def __str__(self) -> str:
        return f"split {self.split}, {self.grid[0]}x{self.grid[1]} patches"

    @property
    def argument(self) -> str:
        """The schedule as the SCons variable spells it: ``<split>:<rows>x<cols>``."""
        return f"{self.split}:{self.grid[0]}x{self.grid[1]}"


@dataclass(frozen=True)
class PatchPolicy:
    """How the engine schedules patches: ``off`` (whole tensors), ``auto`` (the schedule of
    lowest peak SRAM whose extra instructions stay under ``cap``; whole tensors when that is
    lower) or ``fixed`` (``schedule``, as given)."""

    mode: str = "off"
    schedule: PatchSchedule | None = None
    cap: float = DEFAULT_CAP
    #: ``auto``'s candidates: n x n grids and n rows for these n (None: 2..8); at most
    #: ``max_splits`` splits, per resolution the one of smallest stage output (None: every
    #: split). A search measuring thousands of networks (the NAS) asks for fewer; each is
    #: still planned exactly.
    sides: tuple[int, ...] | None = None
    max_splits: int | None = None

    @classmethod
    def parse(cls, value, where: str = "patch") -> "PatchPolicy":
        """A spec's or SCons variable's value: ``off``, ``auto``, ``{split: S, patches: N}``
        (N x N) or ``{split: S, patches: [R, C]}`` (``[R, 1]``: rows)."""
        if value is None or value == "auto":
            return cls("auto")
        if value == "off" or value is False:
            return cls("off")
        if isinstance(value, PatchSchedule):
            return cls("fixed", value)
        if isinstance(value, dict) and set(value) == {"split", "patches"}:
            split, patches = value["split"], value["patches"]
            grid = (patches, patches) if isinstance(patches, int) else tuple(patches)
            if (isinstance(split, int) and split > 0 and len(grid) == 2
                    and all(isinstance(g, int) and g > 0 for g in grid) and grid[0] * grid[1] > 1):
                return cls("fixed", PatchSchedule(split, (int(grid[0]), int(grid[1]))))
        raise UserError(f"{where}: expected off, auto or {{split: <op index >= 1>, patches: <N> or [rows, cols]}}, "
                        f"got {value!r}")

    @classmethod
    def from_argument(cls, text: str, where: str = "patch") -> "PatchPolicy":
        """The SCons variable: ``off``, ``auto``, ``<split>:<n>`` (n x n patches) or
        ``<split>:<rows>x<cols>`` (``6:5x1``: split at op 6, 5 rows of patches)."""
        if text in ("off", "auto"):
            return cls(text)
        m = _ARGUMENT.fullmatch(text or "")
        if m is None:
            raise UserError(f"{where}={text}: not valid (valid values: off, auto, <split>:<n> or "
                            f"<split>:<rows>x<cols>, e.g. 6:4 or 6:5x1)")
        n = int(m["rows"])
        patches = [n, int(m["cols"])] if m["cols"] else n
        return cls.parse({"split": int(m["split"]), "patches": patches}, f"{where}={text}")

    def to_json(self):
        """As a spec writes it: ``off``, ``auto`` or ``{split, patches}``."""
        return self.schedule.to_json() if self.mode == "fixed" else self.mode

    def __str__(self) -> str:
        return self.schedule.argument if self.mode == "fixed" else self.mode


_ARGUMENT = re.compile(r"(?P<split>[0-9]+):(?P<rows>[0-9]+)(?:x(?P<cols>[0-9]+))?")


OFF = PatchPolicy("off")
AUTO = PatchPolicy("auto")
