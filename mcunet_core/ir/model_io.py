"""A model's inputs and outputs as the firmware sees them: one byte blob each way.

The firmware harness moves bytes: its input is the model's inputs concatenated in order, its
output the model's outputs concatenated. ``ModelIO`` (written by the engine as ``io.json``)
turns a user's arrays into that blob, checked against each tensor's dtype and shape, and the
blob that comes back into arrays of the right dtype and shape (float32 at QUANTIZE/DEQUANTIZE
edges, int8 otherwise).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic import atomic_write_text
from ..errors import UserError


@dataclass(frozen=True)
class TensorIO:
    name: str
    dtype: str
    shape: tuple[int, ...]

    def accepted_shapes(self) -> tuple[tuple[int, ...], ...]:
        """The tensor's shape, and without a leading batch of one (an image as H x W x C)."""
        if len(self.shape) > 1 and self.shape[0] == 1:
            return self.shape, self.shape[1:]
        return (self.shape,)

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * np.dtype(self.dtype).itemsize


@dataclass(frozen=True)
class ModelIO:
    inputs: tuple[TensorIO, ...]
    outputs: tuple[TensorIO, ...]

    @classmethod
    def of_graph(cls, graph) -> "ModelIO":
        def io(name):
            t = graph.tensors[name]
            return TensorIO(name, t.dtype.value, tuple(t.shape))

        return cls(tuple(io(n) for n in graph.inputs), tuple(io(n) for n in graph.outputs))

    # -- files ------------------------------------------------------------------------------
    def save(self, path) -> None:
        doc = {k: [{"name": t.name, "dtype": t.dtype, "shape": list(t.shape)} for t in ts]
               for k, ts in (("inputs", self.inputs), ("outputs", self.outputs))}
        atomic_write_text(path, json.dumps(doc, indent=1) + "\n")

    @classmethod
    def load(cls, path) -> "ModelIO":
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(*(tuple(TensorIO(t["name"], t["dtype"], tuple(t["shape"])) for t in doc[k])
                     for k in ("inputs", "outputs")))

    # -- blobs --------------------------------------------------------------------------------
    def pack_inputs(self, arrays: list[np.ndarray], source: str = "input") -> bytes:
        if len(arrays) != len(self.inputs):
            raise UserError(f"{source}: {len(arrays)} array(s) for a model with {len(self.inputs)} input(s)")
        blob = b""
        for arr, t in zip(arrays, self.inputs):
            arr = np.asarray(arr)
            if arr.dtype != np.dtype(t.dtype):
                raise UserError(f"{source}: input {t.name!r} is {t.dtype}{list(t.shape)}, got {arr.dtype}"
                                f"{list(arr.shape)}")
            accepted = t.accepted_shapes()
            if tuple(arr.shape) not in accepted:
                without_batch = f" (or {list(accepted[1])} without the batch of one)" if len(accepted) > 1 else ""
                same_size = (" (the same elements in another layout: transpose it, do not reshape it)"
                             if arr.nbytes == t.nbytes else "")
                raise UserError(f"{source}: input {t.name!r} must have shape {list(t.shape)}{without_batch}, "
                                f"got {list(arr.shape)}{same_size}")
            blob += np.ascontiguousarray(arr).tobytes()
        return blob

    def load_inputs(self, path) -> bytes:
        """``.npy`` (a single-input model) or ``.npz`` (arrays named like the inputs, or in order)."""
        path = Path(path)
        if not path.is_file():
            raise UserError(f"input {path}: no such file")
        try:
            if path.suffix == ".npz":
                with np.load(path, allow_pickle=False) as z:
                    names = list(z.files)
                    by_name = [t.name for t in self.inputs if t.name in names]
                    keys = by_name if len(by_name) == len(self.inputs) else names
                    arrays = [z[k] for k in keys]
            else:
                arrays = [np.load(path, allow_pickle=False)]
        except (OSError, ValueError) as err:
            raise UserError(f"input {path}: not a NumPy .npy/.npz file ({err})") from None
        return self.pack_inputs(arrays, f"input {path}")

    def unpack_outputs(self, blob: bytes | np.ndarray) -> list[np.ndarray]:
        data = bytes(np.asarray(blob).tobytes()) if isinstance(blob, np.ndarray) else bytes(blob)
        expected = sum(t.nbytes for t in self.outputs)
        if len(data) != expected:
            raise UserError(f"the firmware returned {len(data)} output bytes; the model's outputs are {expected}")
        arrays, offset = [], 0
        for t in self.outputs:
            arrays.append(np.frombuffer(data, dtype=t.dtype, count=t.nbytes // np.dtype(t.dtype).itemsize,
                                        offset=offset).reshape(t.shape).copy())
            offset += t.nbytes
        return arrays

    def default_inputs(self, seed: int) -> list[np.ndarray]:
        """A fixed seeded random input per tensor (what a run uses when no input is given)."""
        rng = np.random.default_rng(seed)
        out = []
        for t in self.inputs:
            dt = np.dtype(t.dtype)
            if dt.kind == "f":
                out.append(rng.uniform(-1.0, 1.0, size=t.shape).astype(dt))
            else:
                info = np.iinfo(dt)
                out.append(rng.integers(info.min, info.max + 1, size=t.shape).astype(dt))
        return out
