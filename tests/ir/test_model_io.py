"""ModelIO: user arrays <-> the firmware's input/output byte blobs."""

import numpy as np
import pytest

from mcunet_core.ir.model_io import ModelIO, TensorIO
from mcunet_core.errors import UserError

IO = ModelIO((TensorIO("x", "float32", (1, 2, 2)), TensorIO("y", "int8", (3,))),
             (TensorIO("p", "int8", (1, 2)), TensorIO("q", "float32", (2,))))


def test_round_trip_through_files(tmp_path):
    IO.save(tmp_path / "io.json")
    assert ModelIO.load(tmp_path / "io.json") == IO
    x, y = np.arange(4, dtype=np.float32).reshape(1, 2, 2), np.array([-1, 0, 7], np.int8)
    np.savez(tmp_path / "in.npz", y=y, x=x)  # by name, any order
    assert IO.load_inputs(tmp_path / "in.npz") == x.tobytes() + y.tobytes()
    blob = np.array([5, -6], np.int8).tobytes() + np.array([0.5, -2.0], np.float32).tobytes()
    p, q = IO.unpack_outputs(np.frombuffer(blob, np.int8))
    assert p.dtype == np.int8 and p.shape == (1, 2) and p.tolist() == [[5, -6]]
    assert q.dtype == np.float32 and q.tolist() == [0.5, -2.0]


def test_wrong_inputs_are_user_errors(tmp_path):
    np.save(tmp_path / "one.npy", np.zeros((1, 2, 2), np.float32))
    with pytest.raises(UserError, match="1 array.*2 input"):
        IO.load_inputs(tmp_path / "one.npy")
    with pytest.raises(UserError, match="'x' is float32.*got int8"):
        IO.pack_inputs([np.zeros((1, 2, 2), np.int8), np.zeros(3, np.int8)])
    with pytest.raises(UserError, match="shape"):
        IO.pack_inputs([np.zeros((1, 3), np.float32), np.zeros(3, np.int8)])
    (tmp_path / "bad.npy").write_bytes(b"not numpy")
    # the shape is checked, not only the element count: every other arrangement of the same
    # elements is refused, naming the expected shape; the image without its batch of one is fine
    image = ModelIO((TensorIO("img", "int8", (1, 4, 6, 3)),), ())
    expected = image.pack_inputs([np.arange(72, dtype=np.int8).reshape(1, 4, 6, 3)])
    assert image.pack_inputs([np.arange(72, dtype=np.int8).reshape(4, 6, 3)]) == expected
    for shape in [(72,), (1, 6, 4, 3), (1, 3, 4, 6), (3, 4, 6), (4, 6, 3, 1), (2, 2, 6, 3), (1, 4, 18)]:
        with pytest.raises(UserError, match=r"'img' must have shape \[1, 4, 6, 3\] \(or \[4, 6, 3\] without the "
                                            r"batch of one\), got .*another layout"):
            image.pack_inputs([np.zeros(shape, np.int8)])
    with pytest.raises(UserError, match=r"must have shape \[1, 4, 6, 3\].*got \[1, 4, 6\]$"):
        image.pack_inputs([np.zeros((1, 4, 6), np.int8)])
    with pytest.raises(UserError, match=r"'img' is int8\[1, 4, 6, 3\], got uint8\[1, 4, 6, 3\]"):
        image.pack_inputs([np.zeros((1, 4, 6, 3), np.uint8)])
    single = ModelIO((TensorIO("x", "int8", (2,)),), ())
    with pytest.raises(UserError, match="not a NumPy"):
        single.load_inputs(tmp_path / "bad.npy")
    with pytest.raises(UserError, match="output bytes"):
        IO.unpack_outputs(b"\x00")
