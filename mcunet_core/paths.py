"""Where the repository's C lives: the firmware folder (runtime, linker template) and the
kernel library in it. The engine names kernel sources relative to ``KERNEL_DIR``; the device
layer compiles them from there. ``RULES_DIR`` holds the pipeline's SCons stage tools, which
the tool for other SConstructs (``mcunet_core.scons``) wires as the pipeline does."""

from pathlib import Path

FIRMWARE_DIR = Path(__file__).resolve().parents[1] / "firmware"
KERNEL_DIR = FIRMWARE_DIR / "kernels"
RULES_DIR = FIRMWARE_DIR.parent / "rules"
