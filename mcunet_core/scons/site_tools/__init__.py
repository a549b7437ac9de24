"""SCons tool modules (``toolpath=[mcunet_core.scons.mcunet_toolpath()]``); a package only so
that they ship with mcunet."""
