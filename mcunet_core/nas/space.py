"""A TinyNAS search space: one (width multiplier, resolution) pair of the spec's grid, with
a kernel size and expand ratio per block and a depth per stage left free.

Points of the space are ``Arch`` objects; evolution works on their genes (one depth per
stage, then one (kernel, expand) pair per block slot up to the maximum depth).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..arch import Arch, Stage, make_divisible


@dataclass(frozen=True)
class SearchSpace:
    width: float
    resolution: int
    input_shape: tuple[int, int, int]
    num_classes: int
    kernel_sizes: tuple[int, ...]
    expand_ratios: tuple[int, ...]
    depths: tuple[int, ...]
    stem_channels: int
    first_channels: int
    stage_channels: tuple[int, ...]
    strides: tuple[int, ...]
    name: str = "space"

    @classmethod
    def from_specs(cls, search, task, width: float, resolution: int | None = None,
                   input_shape: tuple[int, int, int] | None = None) -> "SearchSpace":
        """The space of ``search`` (a SearchSpec) at one width and resolution for ``task``.

        Image tasks take the resolution (a square input unless ``input_shape`` says otherwise:
        a detector's keeps its task's aspect); MFCC tasks (KWS) keep their fixed input shape."""
        sp = search.space_for(task.input_kind)
        base, div = sp["base"], sp["base"]["divisor"]
        h, w, c = task.input_shape
        if task.input_kind == "image":
            resolution = resolution or task.resolution or h
            shape = input_shape or (resolution, resolution, c)
        else:
            resolution, shape = h, (h, w, c)
        return cls(
            width=float(width),
            resolution=int(resolution),
            input_shape=tuple(int(d) for d in shape),
            num_classes=int(task.classes),
            kernel_sizes=tuple(sp["kernel_sizes"]),
            expand_ratios=tuple(sp["expand_ratios"]),
            depths=tuple(sp["depths"]),
            stem_channels=make_divisible(base["stem"] * width, div),
            first_channels=make_divisible(base["first_block"] * width, div),
            stage_channels=tuple(make_divisible(ch * width, div) for ch in base["stages"]),
            strides=tuple(base["strides"]),
            name=f"w{width:g}-r{resolution}",
        )

    @property
    def max_depth(self) -> int:
        return max(self.depths)

    @property
    def n_genes(self) -> int:
        return len(self.stage_channels) * (1 + 2 * self.max_depth)

    def arch(self, depths, kernels, expands, name: str | None = None) -> Arch:
        """An Arch of this space: per stage a depth, and per stage per block a kernel and expand."""
        stages = tuple(
            Stage(ch, st, tuple(k[:d]), tuple(e[:d]))
            for ch, st, d, k, e in zip(self.stage_channels, self.strides, depths, kernels, expands)
        )
        return Arch(
            name=name or self.name, input_shape=self.input_shape, num_classes=self.num_classes,
            stem_channels=self.stem_channels, stem_kernel=3, stem_stride=2,
            first_channels=self.first_channels, first_kernel=3, stages=stages,
        )

    # -- genes -------------------------------------------------------------------------
    def genes(self, arch: Arch) -> np.ndarray:
        """[depth index per stage] + [kernel index, expand index per block slot]; unused slots 0."""
        out = []
        for stage in arch.stages:
            out.append(self.depths.index(stage.depth))
        for stage in arch.stages:
            for slot in range(self.max_depth):
                if slot < stage.depth:
                    out += [self.kernel_sizes.index(stage.kernels[slot]), self.expand_ratios.index(stage.expands[slot])]
                else:
                    out += [0, 0]
        return np.array(out, dtype=np.int64)

    def from_genes(self, genes, name: str | None = None) -> Arch:
        n = len(self.stage_channels)
        depths = [self.depths[int(g)] for g in genes[:n]]
        slots = np.asarray(genes[n:], dtype=np.int64).reshape(n, self.max_depth, 2)
        kernels = [[self.kernel_sizes[int(k)] for k in s[:, 0]] for s in slots]
        expands = [[self.expand_ratios[int(e)] for e in s[:, 1]] for s in slots]
        return self.arch(depths, kernels, expands, name)

    def gene_choices(self) -> np.ndarray:
        """How many values each gene can take."""
        n = len(self.stage_channels)
        per_slot = [len(self.kernel_sizes), len(self.expand_ratios)] * self.max_depth
        return np.array([len(self.depths)] * n + per_slot * n, dtype=np.int64)

    # -- sampling and variation (evolution) ------------------------------------------------
    def sample(self, rng: np.random.Generator) -> Arch:
        return self.from_genes(rng.integers(0, self.gene_choices()))

    def largest(self) -> Arch:
        n = len(self.stage_channels)
        return self.arch([max(self.depths)] * n, [[max(self.kernel_sizes)] * self.max_depth] * n,
                         [[max(self.expand_ratios)] * self.max_depth] * n)

    def smallest(self) -> Arch:
        n = len(self.stage_channels)
        return self.arch([min(self.depths)] * n, [[min(self.kernel_sizes)] * self.max_depth] * n,
                         [[min(self.expand_ratios)] * self.max_depth] * n)

    def mutate(self, arch: Arch, rng: np.random.Generator, prob: float) -> Arch:
        genes = self.genes(arch)
        change = rng.random(genes.size) < prob
        genes[change] = rng.integers(0, self.gene_choices())[change]
        return self.from_genes(genes)

    def crossover(self, a: Arch, b: Arch, rng: np.random.Generator) -> Arch:
        ga, gb = self.genes(a), self.genes(b)
        return self.from_genes(np.where(rng.random(ga.size) < 0.5, ga, gb))
