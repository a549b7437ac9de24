"""The command line every fit of the engine's cost table shares: the board to measure on and
the table to write (the engine's own by default), parsed once here."""

from __future__ import annotations

import argparse
from pathlib import Path

from mcunet_core.engine import COSTS_PATH
from mcunet_core.spec import load_board


def fit_command(doc: str, argv=None):
    """(args, board) for a fit bench whose module docstring is ``doc``."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--board", default="h743")
    ap.add_argument("--out", type=Path, default=COSTS_PATH, help="the cost table to write (default: the engine's)")
    args = ap.parse_args(argv)
    return args, load_board(args.board)
