"""mcunet as an SCons tool for a firmware repository's own SConstruct (issue 12 part 1).

    from mcunet_core.scons import mcunet_toolpath

    env = Environment(tools=["default", "mcunet"], toolpath=[mcunet_toolpath()])
    env.McunetToolchain("h743")            # arm-none-eabi-gcc with the board spec's core flags
    lib, hdr = env.McunetModel("vww", "models/vww.tflite")   # board: the toolchain's
    env.Append(CPPPATH=[hdr.dir.up()])     # #include "vww/model.h"
    env.Program("app.elf", ["main.c", "startup.c"], LIBS=[lib])

The tool lives in the package (``site_tools/mcunet.py``) so it ships with mcunet; the work
is the pipeline's own stages (``rules/``: import or train, then the engine), so a model built
here is the model ``scons board=B model=M`` builds.
"""

from pathlib import Path

TOOL_DIR = Path(__file__).resolve().parent / "site_tools"


def mcunet_toolpath() -> str:
    """The folder holding the ``mcunet`` SCons tool, for ``Environment(toolpath=[...])``."""
    return str(TOOL_DIR)


__all__ = ["TOOL_DIR", "mcunet_toolpath"]
