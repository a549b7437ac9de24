"""Generated C is a deterministic function of the graph and the target: no timestamps, no
absolute paths, identical bytes on every run (SCons caches it and rebuilds nothing)."""

import re

import numpy as np

from graph_factory import random_mobilenet
from mcunet_core.engine.codegen.render import c_initializer
from mcunet_core.engine.compile import compile_graph, write_generated
from mcunet_core.engine.target import Target
from mcunet_core.spec import load_board


def test_same_graph_same_bytes_and_no_paths(tmp_path):
    target = Target.from_board(load_board("h743"))
    files = []
    for run in range(2):
        graph = random_mobilenet(np.random.default_rng(7), "det")
        model = compile_graph(graph, target)
        write_generated(graph, model, tmp_path / str(run))
        files.append({p.name: p.read_bytes() for p in sorted((tmp_path / str(run)).iterdir())})
    assert files[0] == files[1]
    assert {"model.c", "model.h", "weights.c", "model_weights.h", "mcunet_model_config.h", "plan.json",
            "memory.png"} <= set(files[0])
    for name, data in files[0].items():
        if name.endswith((".c", ".h", ".json", ".txt")):
            text = data.decode()
            assert str(tmp_path) not in text and "/work/" not in text and "/tmp/" not in text, name
            assert not re.search(r"20\d\d-\d\d-\d\d", text), name


def test_float_constants_read_back_exactly():
    values = np.array([1.0 / 3, -2.5e-38, 3.4028235e38, 1e-45], dtype=np.float32)
    for v, text in zip(values, c_initializer(values).replace("\n", "").split(",")):
        assert np.float32(float(text.strip().rstrip("f"))) == v
    doubles = np.array([0.1, 1.0 / 3, 5e-324], dtype=np.float64)
    for v, text in zip(doubles, c_initializer(doubles).replace("\n", "").split(",")):
        assert float(text.strip()) == v
