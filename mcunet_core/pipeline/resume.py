"""Resume an interrupted training, never a stale one.

Training checkpoints resume when their fingerprint (network, settings, sample count) matches;
a stage's inputs (say, a retrained supernet, or the training code) can change without changing
that fingerprint, so each checkpoint is tied to a digest of everything the stage depends on
and dropped when it differs. The data order and every random draw are seeded per epoch from
(seed, epoch), so a resumed run continues exactly where the interrupted one was.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..atomic import atomic_write_text


def inputs_digest(nodes) -> str:
    """Digest of a stage's inputs: SCons nodes (its sources and dependencies: files, and values
    such as the data's identity)."""
    h = hashlib.sha256()
    for node in sorted(nodes, key=str):
        h.update(str(node).encode())
        h.update(node.get_contents())
    return h.hexdigest()


def keep_checkpoint_if_same_inputs(checkpoint: Path, digest: str) -> None:
    """Delete ``checkpoint`` unless it was written for inputs with ``digest``; record the digest."""
    marker = checkpoint.with_name(checkpoint.name + ".inputs")
    if not (marker.is_file() and marker.read_text().strip() == digest):
        checkpoint.unlink(missing_ok=True)
    atomic_write_text(marker, digest + "\n")
