"""What the code generator may assume about the core it compiles for."""

from __future__ import annotations

from dataclasses import dataclass

from .inputs import IN_ARENA, InputPlacement
from .patch.schedule import OFF, PatchPolicy
from .planner.pools import SINGLE, Pool


@dataclass(frozen=True)
class Target:
    """The budgets that steer kernel selection and planning (not compiler flags: those live
    in the board spec; whether a kernel takes its DSP or plain-C path is decided by the
    compiler's __ARM_FEATURE_DSP, so the same generated C serves every core and the host).

    ``flash_budget``/``ram_budget`` let kernels trade speed for size (int16 pre-widened
    weights cost twice the flash); ``None`` means unconstrained (host builds, estimates).
    ``pools`` are the RAM regions the planner may place buffers in, the arena region first.
    ``disabled_kernels`` names kernel classes lowering must not pick (benchmarks compare a
    fast kernel with the fallback this way; ``engine.restricted()`` builds such a target).
    ``input_placement``: the model's inputs in the arena (default) or in the application's
    own buffer (``external``: not in the arena, read through a pointer it passes).
    """

    name: str
    flash_budget: int | None = None
    ram_budget: int | None = None
    pools: tuple[Pool, ...] = SINGLE
    disabled_kernels: frozenset[str] = frozenset()
    patch: PatchPolicy = OFF
    input_placement: InputPlacement = IN_ARENA

    @classmethod
    def from_board(cls, board, patch: PatchPolicy = OFF, input_placement: InputPlacement = IN_ARENA) -> "Target":
        pools = [Pool(board.arena_region.name, board.arena_budget, "mcunet_arena", ".arena")]
        for region in board.regions:
            if region.kind != "ram" or region.name in (board.arena_region.name, board.reserve_region.name):
                continue
            lower = region.name.lower()
            pools.append(Pool(region.name, region.size, f"mcunet_arena_{lower}", f".region.{lower}"))
        return cls(name=board.name, flash_budget=board.flash_budget, ram_budget=board.arena_budget,
                   pools=tuple(pools), patch=patch, input_placement=input_placement)


#: No budgets: host builds (sanitizers, desktop tests) and estimates.
HOST = Target(name="host")
