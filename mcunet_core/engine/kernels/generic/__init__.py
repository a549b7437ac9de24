"""Plain-C kernels with TFLite reference semantics: every op has one (the fallback)."""

from . import conv, fully_connected, pool, reshape  # noqa: F401
