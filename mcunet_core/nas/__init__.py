"""TinyNAS: search-space optimization, then evolutionary search of a one-shot supernet's
subnetworks under the board's SRAM, flash and latency constraints.

    space.SearchSpace.from_specs(search, task, width, resolution)   the space of one pair
    constraints.Constraints.for_board(board, Limits.resolve(search, board))
        .check(arch) -> Measurement | None    exact engine SRAM/flash + predicted latency
    constraints.measure(arch, board) -> Measurement | None
    stage1.run_stage1(search, task, constraints) -> Stage1Result   (write_stage1: JSON + CDF)
    evolution.evolve(space, fitness, constraints, EvolutionSettings.from_spec(search), rng)
        -> SearchResult
    python -m mcunet_core.nas {stage1,search} ...
"""
