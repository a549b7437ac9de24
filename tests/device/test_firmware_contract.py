"""The C runtime and the host decoder agree: struct layouts, codes and magics."""

from __future__ import annotations

import re

from mcunet_core.device import results
from mcunet_core.device.linker import FIRMWARE_DIR

RUNTIME = FIRMWARE_DIR / "runtime"


def _struct_fields(text: str, typedef: str) -> list[str]:
    body = re.search(r"typedef struct \{(.*?)\}\s*" + typedef + ";", text, re.S).group(1)
    return re.findall(r"^\s*u?int32_t\s+(\w+)(?:\[\d+\])?;", body, re.M)


def _defines(text: str, prefix: str) -> dict[str, int]:
    return {m[0]: int(m[1], 0) for m in re.findall(rf"#define ({prefix}\w*)\s+(0x[0-9A-Fa-f]+|\d+)u?\b", text)}


def test_results_block_fields_match_c_struct():
    header = (RUNTIME / "mcunet_runtime.h").read_text()
    assert tuple(_struct_fields(header, "mcunet_results_t")) == results.RESULTS_FIELDS
    assert results.ResultsBlock.SIZE == 4 * len(results.RESULTS_FIELDS)


def test_info_record_fields_match_c_struct():
    harness = (RUNTIME / "harness.c").read_text()
    assert _struct_fields(harness, "mcunet_info_t") == [name for name, _ in results.INFO_FIELDS]
    shapes = re.findall(r"int32_t (\w+)\[8\];", harness)
    assert {n for n, f in results.INFO_FIELDS if f == "8i"} == set(shapes)


def test_status_exit_codes_and_magics_match():
    header = (RUNTIME / "mcunet_runtime.h").read_text()
    status = _defines(header, "MCUNET_STATUS_")
    assert {v: k.removeprefix("MCUNET_STATUS_").lower() for k, v in status.items()} == results.STATUS_NAMES
    exits = _defines(header, "MCUNET_EXIT_")
    assert {k.removeprefix("MCUNET_EXIT_").lower(): v for k, v in exits.items()} == results.EXIT_CODES
    assert _defines(header, "MCUNET_RESULTS_MAGIC")["MCUNET_RESULTS_MAGIC"] == results.RESULTS_MAGIC
    assert _defines(header, "MCUNET_HOST_INPUT_MAGIC")["MCUNET_HOST_INPUT_MAGIC"] == results.HOST_INPUT_MAGIC
    assert results.RESULTS_MAGIC.to_bytes(4, "little") == b"MCUN"
    harness = (RUNTIME / "harness.c").read_text()
    assert _defines(harness, "MCUNET_INFO_MAGIC")["MCUNET_INFO_MAGIC"] == results.INFO_MAGIC
    startup = (RUNTIME / "startup.c").read_text()
    assert _defines(startup, "STACK_GUARD_BYTES")["STACK_GUARD_BYTES"] == results.STACK_GUARD_BYTES


def test_block_roundtrip_and_fault_decoding():
    vals = {f: 0 for f in results.RESULTS_FIELDS}
    vals.update(magic=results.RESULTS_MAGIC, status=5, cfsr=(1 << 9) | (1 << 15), hfsr=1 << 30, bfar=0x30000000)
    block = results.ResultsBlock(**vals)
    again = results.ResultsBlock.decode(block.encode())
    assert again == block and again.complete and again.status_name == "fault"
    fault = again.fault()
    assert fault["flags"] == ["PRECISERR", "BFARVALID", "FORCED"]
    assert "BFAR=0x30000000" in results.format_fault(fault)
