"""The support table is generated from the importer and the reference registries."""

from __future__ import annotations

from mcunet_core.importers.tflite import CONVERTERS
from mcunet_core.ir import OP_CLASSES
from mcunet_core.ir.reference import KERNELS
from mcunet_core.ir.support import support_rows, support_table

REQUIRED = {
    "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "AVERAGE_POOL_2D", "MAX_POOL_2D", "ADD", "MUL", "MEAN",
    "PAD", "RESHAPE", "SOFTMAX", "CONCATENATION", "RESIZE_NEAREST_NEIGHBOR", "TRANSPOSE", "QUANTIZE",
    "DEQUANTIZE", "LOGISTIC", "HARD_SWISH",
}


def test_every_required_op_is_imported_and_has_a_kernel():
    assert REQUIRED <= set(CONVERTERS)
    assert set(OP_CLASSES) == {OP_CLASSES[n].OPCODE for n in OP_CLASSES}
    for cls in OP_CLASSES.values():
        assert cls in KERNELS, cls.__name__
    for entry in CONVERTERS.values():
        assert entry.constraints and all(n in OP_CLASSES for n in entry.ir_ops)


def test_table_lists_every_converter():
    table = support_table()
    rows = support_rows()
    assert [r["tflite"] for r in rows] == sorted(CONVERTERS)
    for name in CONVERTERS:
        assert f"| `{name}` |" in table
    assert "UnsupportedError" in table
