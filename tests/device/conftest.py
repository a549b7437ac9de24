"""Shared fixtures for firmware/runner tests: boards, the test kernel built once per board."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mcunet_core.device.test_kernel import Conv1x1Case
from mcunet_core.device.toolchain import build_firmware
from mcunet_core.spec import load_board

BOARDS = ("f746", "h743", "f412")


@pytest.fixture(scope="session")
def boards():
    return {name: load_board(name) for name in BOARDS}


@pytest.fixture(scope="session")
def kernel_case():
    return Conv1x1Case.random(seed=0)


@pytest.fixture(scope="session")
def kernel_builds(tmp_path_factory, boards, kernel_case):
    """The conv1x1 test kernel built (emulator variant, -O2) for every board profile."""
    root = tmp_path_factory.mktemp("kernel")
    model = kernel_case.write_model(root / "model")
    return {
        name: build_firmware(board, model.sources, root / name, include_dirs=model.include_dirs)
        for name, board in boards.items()
    }


def write_model(dir: Path, body: str, *, input_bytes=16, output_bytes=16, arena_bytes=0, extra_config="") -> list[Path]:
    """A tiny model object whose mcunet_invoke() body is ``body`` (C)."""
    dir.mkdir(parents=True, exist_ok=True)
    (dir / "mcunet_model_config.h").write_text(
        f"#define MCUNET_INPUT_BYTES {input_bytes}\n#define MCUNET_OUTPUT_BYTES {output_bytes}\n"
        f"#define MCUNET_ARENA_BYTES {arena_bytes}\n{extra_config}\n"
    )
    src = dir / "model.c"
    src.write_text(
        '#include "mcunet_model.h"\n'
        + ("MCUNET_ARENA int8_t mcunet_arena[MCUNET_ARENA_BYTES];\n" if arena_bytes else "")
        + "int mcunet_invoke(const int8_t *input, int8_t *output)\n{\n"
        + textwrap.indent(textwrap.dedent(body).strip(), "    ")
        + "\n}\n"
    )
    return [src]


@pytest.fixture
def tiny_model(tmp_path):
    """Factory: (body, **config) -> (sources, include_dirs) of a tiny model in tmp_path."""

    def make(body: str, name: str = "model", **config):
        d = tmp_path / name
        return write_model(d, body, **config), [d]

    return make
