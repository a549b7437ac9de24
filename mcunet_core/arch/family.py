"""Which architecture class a model spec's ``architecture:`` describes: its ``family`` key
picks one (``mbv2``: MobileNetV2 inverted residuals, TinyNAS's space; ``dscnn``: MLPerf
Tiny's DS-CNN), so every caller reads a spec through one function."""

from __future__ import annotations

from typing import Union

from .arch import Arch
from .dscnn import DsCnnArch

#: any architecture a model spec can describe
AnyArch = Union[Arch, DsCnnArch]

FAMILIES: dict[str, type] = {cls.family: cls for cls in (Arch, DsCnnArch)}


def arch_from_spec(architecture: dict, input_shape, num_classes: int, name: str = "model") -> AnyArch:
    """The architecture of a model spec's (schema-checked) ``architecture:`` mapping."""
    family = architecture["family"]
    if family not in FAMILIES:
        raise ValueError(f"architecture family {family!r}: not one of {', '.join(FAMILIES)}")
    return FAMILIES[family].from_spec(architecture, input_shape, num_classes, name)
