"""Where mcunet's non-Python parts live: the firmware folder (runtime, linker template, the
kernel library), the specs (boards, tasks, schemas) and the pipeline's SCons stage tools.

In a checkout (and an editable install) they are the repository's ``firmware/``, ``specs/``
and ``rules/``; a wheel carries copies of the three under ``mcunet_core/_data/`` (setup.py
puts them there), so ``pip install mcunet`` without the source tree still builds firmware.
The engine names kernel sources relative to ``KERNEL_DIR``; the device layer compiles them
from there. ``RULES_DIR`` is wired by the tool for other SConstructs (``mcunet_core.scons``)
as the pipeline's SConstruct does."""

from pathlib import Path

#: folders a wheel copies into the package, by their name in the repository
DATA_FOLDERS = ("firmware", "specs", "rules")


def _root() -> Path:
    checkout = Path(__file__).resolve().parents[1]
    if all((checkout / name).is_dir() for name in DATA_FOLDERS):
        return checkout
    return Path(__file__).resolve().parent / "_data"


ROOT = _root()
FIRMWARE_DIR = ROOT / "firmware"
KERNEL_DIR = FIRMWARE_DIR / "kernels"
RULES_DIR = ROOT / "rules"
SPECS_DIR = ROOT / "specs"
