"""Architectures as data: one description shared by model specs, the NAS, the supernet,
training and export to the int8 IR. Two families: MCUNet-style MobileNetV2 networks
(``Arch``, the NAS's space) and MLPerf Tiny's DS-CNN (``DsCnnArch``); ``arch_from_spec``
reads either from a model spec."""

from .arch import Arch, Block, Stage, make_divisible
from .bits import WeightBits
from .dscnn import DsCnnArch
from .family import FAMILIES, AnyArch, arch_from_spec
from .to_ir import RandomWeights, WeightSource, arch_to_graph

__all__ = ["Arch", "AnyArch", "Block", "DsCnnArch", "FAMILIES", "Stage", "arch_from_spec", "make_divisible",
           "RandomWeights", "WeightBits", "WeightSource", "arch_to_graph"]
