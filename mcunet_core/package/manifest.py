"""A package's manifest, ``mcunet_package.json``: every file mcunet wrote there with its
SHA-256, so a folder is known to be a whole package of ours (an export replaces only such a
folder, or an empty one) and a file changed or removed since is noticed (SCons exports again)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

MANIFEST = "mcunet_package.json"
FORMAT = 1


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_bytes(files: dict[str, bytes], about: dict) -> bytes:
    """The manifest of ``files`` (package path -> bytes), with ``about`` (name, board, ...)."""
    doc = {"format": FORMAT, **about, "files": {p: _sha256(files[p]) for p in sorted(files)}}
    return (json.dumps(doc, indent=1) + "\n").encode()


def read_manifest(folder: str | Path) -> dict | None:
    """The folder's manifest, or None if it has none that mcunet wrote."""
    try:
        doc = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("files"), dict):
        return None
    return doc


def is_intact(folder: str | Path) -> bool:
    """Every file the manifest lists is there with the bytes it had (files added beside them
    do not count: the next export removes them)."""
    doc = read_manifest(folder)
    if doc is None:
        return False
    for rel, digest in doc["files"].items():
        try:
            if _sha256((Path(folder) / rel).read_bytes()) != digest:
                return False
        except OSError:
            return False
    return True


def export_dir_problems(value: str, variable: str = "export") -> list[str]:
    """Why ``value`` cannot be an export folder (one line each), before anything is built: an
    export replaces its folder whole, so it must be new, empty or an earlier export, and its
    parent writable."""
    path = Path(value).expanduser()
    label = f"{variable}={value}"
    if path.exists() and not path.is_dir():
        return [f"{label}: a file, not a folder"]
    if path.is_dir() and any(path.iterdir()) and read_manifest(path) is None:
        return [f"{label}: a folder with other files in it and no {MANIFEST}: an export replaces its folder "
                f"whole, so give a new or empty folder (or an earlier export)"]
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        return [f"{label}: {parent} is a file, not a folder"]
    if not os.access(parent, os.W_OK | os.X_OK):
        return [f"{label}: cannot write in {parent}"]
    return []
