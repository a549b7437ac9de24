"""A wheel is the product for users who `pip install` mcunet without its source tree: it must
carry the kernels, specs and stage tools (mcunet_core/_data/), and the engine must compile and
run a model from them alone, bit-exact with the reference interpreter."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    import numpy as np
    import mcunet_core, mcunet_core.paths as paths
    assert mcunet_core.__file__.startswith(sys.argv[1]), mcunet_core.__file__
    assert paths.ROOT == paths.Path(mcunet_core.__file__).parent / "_data", paths.ROOT
    from mcunet_core.arch import RandomWeights, arch_to_graph
    from mcunet_core.device.host import build_host
    from mcunet_core.engine import generate
    from mcunet_core.engine.target import HOST
    from mcunet_core.ir.reference import run
    from mcunet_core.nas.space import SearchSpace
    from mcunet_core.spec import load_board, load_search, load_task
    assert load_board("h743").name == "h743"
    space = SearchSpace.from_specs(load_search("mcunet"), load_task("kws"), 0.5)
    graph = arch_to_graph(space.smallest(), RandomWeights(0))
    generate(graph, HOST, sys.argv[2], plot=False)
    x = np.random.default_rng(0).integers(-128, 128, graph.tensors[graph.inputs[0]].shape, dtype=np.int8)
    got = build_host(sys.argv[2]).run([x], paths.Path(sys.argv[2]))[0]
    np.testing.assert_array_equal(got, run(graph, [x])[graph.outputs[0]])
    print("ok", paths.KERNEL_DIR)
""")


def test_a_wheel_builds_and_runs_a_model_without_the_checkout(tmp_path):
    if not (REPO / ".git").exists() or shutil.which("gcc") is None:
        pytest.skip("needs a git checkout and gcc")
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    src = tmp_path / "src"
    for name in files:
        if (REPO / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, src / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(src)],
                   check=True, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("mcunet-*.whl")
    site = tmp_path / "site"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True, capture_output=True)
    shutil.rmtree(src)  # nothing may come from a source tree
    run = subprocess.run([sys.executable, "-c", SCRIPT, str(site), str(tmp_path / "gen")], cwd=tmp_path,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    assert f"ok {site / 'mcunet_core' / '_data' / 'firmware' / 'kernels'}" in run.stdout
