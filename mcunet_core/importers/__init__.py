"""Model importers: external formats -> the int8 graph IR."""

from .tflite import import_tflite

__all__ = ["import_tflite"]
