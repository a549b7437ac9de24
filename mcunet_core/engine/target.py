"""What the code generator may assume about the core it compiles for."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """Capabilities that steer kernel selection (not compiler flags: those live in the board spec).

    ``flash_budget``/``ram_budget`` let kernels trade speed for size (int16 pre-widened
    weights cost twice the flash); ``None`` means unconstrained (host builds, estimates).
    """

    name: str
    dsp: bool = True
    flash_budget: int | None = None
    ram_budget: int | None = None

    @classmethod
    def from_board(cls, board) -> "Target":
        return cls(name=board.name, dsp=bool(board.dsp), flash_budget=board.flash_budget, ram_budget=board.arena_budget)


#: A plain-C host build (sanitizers, desktop tests): same generated C, fallback kernel paths.
HOST = Target(name="host", dsp=False)
