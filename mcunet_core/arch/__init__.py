"""MCUNet-style architectures: one description shared by model specs, the NAS, the
supernet, training and export to the int8 IR."""

from .arch import Arch, Block, Stage, make_divisible
from .to_ir import RandomWeights, WeightSource, arch_to_graph

__all__ = ["Arch", "Block", "Stage", "make_divisible", "RandomWeights", "WeightSource", "arch_to_graph"]
