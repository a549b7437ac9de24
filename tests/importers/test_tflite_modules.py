"""The TFLite importer's modules: each imports on its own (no cycle), and the front door keeps its names."""

from __future__ import annotations

import subprocess
import sys

import pytest

_MODULES = ["tflite_flatbuffer", "tflite_context", "tflite_converters", "pad_folding", "tflite"]


@pytest.mark.parametrize("module", _MODULES)
def test_module_imports_first_in_a_fresh_interpreter(module):
    subprocess.run([sys.executable, "-c", f"import mcunet_core.importers.{module}"], check=True)


def test_front_door_reexports_the_registry():
    from mcunet_core import importers
    from mcunet_core.importers import tflite, tflite_converters

    assert importers.import_tflite is tflite.import_tflite
    assert tflite.CONVERTERS is tflite_converters.CONVERTERS
    assert len(tflite.CONVERTERS) == 19
