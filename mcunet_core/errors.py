"""User-facing errors: one line per problem, exit status 2, never a traceback.

Anything a user can cause (a bad spec, an unsupported op, a missing tool) raises
``UserError``; ``print_user_error`` is the single place that turns it into output. At most
``MAX_PRINTED`` problems are printed per run, then one line counting the rest.
"""

from __future__ import annotations

import sys
from typing import Iterable, NoReturn, Sequence

EXIT_USER_ERROR = 2
#: problems printed per run (a spec with 10,000 unknown keys prints 50 of them and a count)
MAX_PRINTED = 50


def capped(lines: Sequence[str], limit: int = MAX_PRINTED) -> list[str]:
    """The first ``limit`` lines, then "... and N more problems" when there are more."""
    lines = list(lines)
    if len(lines) <= limit:
        return lines
    rest = len(lines) - limit
    return lines[:limit] + [f"... and {rest} more problem{'' if rest == 1 else 's'}"]


class UserError(Exception):
    """One or more problems a user can fix; each message is one line."""

    def __init__(self, messages: str | Iterable[str]):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("\n".join(self.messages))


class UnsupportedError(UserError):
    """A model uses an op or shape the toolchain cannot handle."""


def print_user_error(err: UserError, stream=None) -> int:
    """Print one line per problem (each once, at most ``MAX_PRINTED``: several specs checked
    against one broken schema file report it alike); return the exit status (for SCons
    actions and CLIs)."""
    stream = stream if stream is not None else sys.stderr
    for line in capped(list(dict.fromkeys(err.messages))):
        print(line, file=stream)
    return EXIT_USER_ERROR


def report_and_exit(err: UserError, stream=None) -> NoReturn:
    sys.exit(print_user_error(err, stream))


def run_cli(main, argv=None) -> int:
    """Call ``main(argv)``; user errors become clean messages and exit status 2."""
    try:
        return int(main(argv) or 0)
    except UserError as err:
        report_and_exit(err)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
