"""Peak SRAM, defined once: every byte of static RAM besides the stack reserve (the arena
pools, .data, .bss) plus the stack's high-water mark. An input held outside the arena
(``input_placement: external``) is the application's memory, reported apart. The engine's prediction
(``engine.Lowered.footprint()``: the planned arena + the firmware's measured RAM) and a run's
measurement (``device/result.py``: the ELF's static RAM + the painted-stack high-water mark)
both add up through this function."""


def peak_sram_bytes(static_ram_besides_stack: int, stack_high_water: int) -> int:
    return int(static_ram_besides_stack) + int(stack_high_water)
