"""What a patch schedule is, and how a spec asks for one (``patch: off | auto | {split, patches}``)."""

from __future__ import annotations

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


@dataclass(frozen=True)
class PatchPolicy:
    """How the engine schedules patches: ``off`` (whole tensors), ``auto`` (the schedule of
    lowest peak SRAM whose extra instructions stay under ``cap``; whole tensors when that is
    lower) or ``fixed`` (``schedule``, as given)."""

    mode: str = "off"
    schedule: PatchSchedule | None = None
    cap: float = DEFAULT_CAP

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


OFF = PatchPolicy("off")
AUTO = PatchPolicy("auto")
