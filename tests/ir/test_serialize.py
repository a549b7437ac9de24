"""graph.json + weights.npz: exact round trip, deterministic bytes, clear errors."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from ir_samples import every_op_graph, q

from mcunet_core.errors import UserError
from mcunet_core.importers import import_tflite
from mcunet_core.ir import OP_CLASSES
from mcunet_core.ir.reference import run
from mcunet_core.ir.serialize import load_graph, save_graph

MODELS_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "models"


def _files(d: Path, prefix=""):
    return (d / f"{prefix}graph.json").read_bytes(), (d / f"{prefix}weights.npz").read_bytes()


def test_round_trip_every_op_class(tmp_path):
    g = every_op_graph()
    assert {type(op).OPCODE for op in g.ops} == set(OP_CLASSES)
    save_graph(g, tmp_path)
    back = load_graph(tmp_path)
    assert back == g
    x = np.random.default_rng(0).normal(size=(1, 8, 8, 3)).astype(np.float32)
    a, b = run(g, x), run(back, x)
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_bytes_are_deterministic(tmp_path):
    g = every_op_graph()
    save_graph(g, tmp_path / "a")
    save_graph(every_op_graph(), tmp_path / "b")
    save_graph(load_graph(tmp_path / "a"), tmp_path / "c")
    assert _files(tmp_path / "a") == _files(tmp_path / "b") == _files(tmp_path / "c")
    with zipfile.ZipFile(tmp_path / "a" / "weights.npz") as zf:
        names = zf.namelist()
        assert names == sorted(names)
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) and i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["graph.json", "weights.npz"]  # no temp files


def test_scales_round_trip_bit_exactly(tmp_path):
    g = every_op_graph()
    odd = np.array([0.1, 1 / 3, 2.0**-126, 3.4e38, 1e-45], dtype=np.float32)
    g.tensors["w"].quant = q(odd[0])
    g.tensors["b"].quant = type(g.tensors["b"].quant)(odd[:4], np.zeros(4, np.int64), 0)
    save_graph(g, tmp_path, prefix="m_")
    back = load_graph(tmp_path, prefix="m_")
    assert back.tensors["b"].quant.scale.tobytes() == odd[:4].tobytes()
    assert back == g


@pytest.mark.parametrize("name", ["vww_96_int8", "kws_ref_model"])
def test_round_trip_imported_models(tmp_path, name):
    path = MODELS_DIR / f"{name}.tflite"
    if not path.exists():
        pytest.skip(f"missing {path}")
    g = import_tflite(path)
    save_graph(g, tmp_path)
    assert load_graph(tmp_path) == g


def test_tampered_or_broken_files_are_user_errors(tmp_path):
    save_graph(every_op_graph(), tmp_path)
    weights = tmp_path / "weights.npz"
    blob = bytearray(weights.read_bytes())
    blob[-30] ^= 1
    weights.write_bytes(bytes(blob))
    with pytest.raises(UserError, match="sha256"):
        load_graph(tmp_path)
    with pytest.raises(UserError, match="cannot read graph"):
        load_graph(tmp_path / "nowhere")
    save_graph(every_op_graph(), tmp_path)
    doc = json.loads((tmp_path / "graph.json").read_text())
    doc["ops"][0]["opcode"] = "NOT_AN_OP"
    (tmp_path / "graph.json").write_text(json.dumps(doc))
    with pytest.raises(UserError, match="unknown opcode"):
        load_graph(tmp_path)
    (tmp_path / "graph.json").write_text("{")
    with pytest.raises(UserError, match="not valid JSON"):
        load_graph(tmp_path)


def test_json_records_weights_hash(tmp_path):
    json_path, weights_path = save_graph(every_op_graph(), tmp_path)
    doc = json.loads(json_path.read_text())
    assert doc["weights"]["sha256"] == hashlib.sha256(weights_path.read_bytes()).hexdigest()
    assert doc["format"] == "mcunet-ir" and doc["version"] == 1
