"""What a user's SConstruct sees when a call of the tool is wrong: one line per problem,
naming the SConstruct line and the call, then exit status 2, never a traceback."""

from __future__ import annotations

import functools
import inspect
from pathlib import Path

from ..errors import UserError, print_user_error

_OURS = (Path(__file__).resolve().parents[1],)  # mcunet_core


def _scons_dir() -> Path:
    import SCons

    return Path(SCons.__file__).resolve().parent


def caller_location() -> str:
    """``file:line`` of the SConstruct/SConscript line that called the tool."""
    skip = (*_OURS, _scons_dir())
    for frame in inspect.stack()[1:]:
        path = Path(frame.filename).resolve()
        if not any(path.is_relative_to(d) for d in skip):
            here = Path.cwd()
            shown = path.relative_to(here) if path.is_relative_to(here) else path
            return f"{shown}:{frame.lineno}"
    return "SConstruct"


def user_errors(name: str):
    """Decorate the function behind ``env.<name>``: a UserError becomes
    ``file:line: <name>('arg'): message`` lines on stderr and SCons' ``Exit(2)``."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(env, *args, **kwargs):
            try:
                return method(env, *args, **kwargs)
            except UserError as err:
                from SCons.Script import Exit

                call = f"{caller_location()}: {name}({', '.join(repr(a) for a in args[:1])})"
                Exit(print_user_error(UserError(f"{call}: {m}" for m in err.messages)))

        return wrapper

    return decorate
