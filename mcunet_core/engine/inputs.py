"""Where a model's inputs live: in the arena (the default: the planner places them and the
application writes them there before a run) or outside it (``external``: the application
passes a pointer to its own buffer, such as a camera's DMA frame, external SDRAM or an array
it owns; the model only reads it, so the arena does not hold it and a patch stage cuts its
patches straight from it, as MCUNetV2 does). An embedded engineer chooses this, per model
(``input_placement`` in the model or board spec); the engine never guesses it."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UserError

ARENA = "arena"
EXTERNAL = "external"
MODES = (ARENA, EXTERNAL)


@dataclass(frozen=True)
class InputPlacement:
    """``arena`` or ``external``: where every graph input lives while the model runs."""

    mode: str = ARENA

    @classmethod
    def parse(cls, value, where: str = "input_placement") -> "InputPlacement":
        """A spec's value (None: absent, the arena)."""
        if value is None:
            return cls(ARENA)
        if value in MODES:
            return cls(value)
        raise UserError(f"{where}: expected arena or external, got {value!r}")

    @property
    def external(self) -> bool:
        return self.mode == EXTERNAL

    def __str__(self) -> str:
        return self.mode


IN_ARENA = InputPlacement(ARENA)
OUTSIDE = InputPlacement(EXTERNAL)
