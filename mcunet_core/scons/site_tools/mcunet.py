"""The SCons tool ``mcunet``: ``env.McunetModel`` (a model as a static library and its header),
``env.McunetSharedArena`` (models that never run at the same time on one arena) and
``env.McunetToolchain`` (arm-none-eabi-gcc for a board). See ``mcunet_core.scons``."""

from mcunet_core.scons.cross import mcunet_toolchain
from mcunet_core.scons.model import mcunet_model
from mcunet_core.scons.shared_arena import mcunet_shared_arena


def generate(env):
    env.AddMethod(mcunet_model, "McunetModel")
    env.AddMethod(mcunet_shared_arena, "McunetSharedArena")
    env.AddMethod(mcunet_toolchain, "McunetToolchain")


def exists(env):
    return True
