"""A shared build cache (cache=DIR): a second checkout elsewhere with the same specs and data
gets the search, the training and the firmware from the cache without running them; a changed
spec or other data misses it."""

from __future__ import annotations

import os
import shutil

import pytest

from scons_project import copy_project, scons
from test_scons_task_pipeline import REPRODUCED, TINY_PRE, TINY_SEARCH, TINY_TASK

ARGS = ("board=h743", "task=vww-tiny", "search=tiny", "quant=int8-ptq")
RUN = ("Searching", "Training", "Generating C", "Compiling", "Linking", "Running")


@pytest.mark.slow
def test_a_second_checkout_builds_nothing_from_a_shared_cache(tmp_path):
    (tmp_path / "a").mkdir()
    first = copy_project(tmp_path / "a")
    (first / "specs" / "search" / "tiny.yaml").write_text(TINY_SEARCH)
    (first / "specs" / "tasks" / "vww-tiny.yaml").write_text(TINY_TASK)
    (first / "specs" / "tasks" / "vww-tiny-pre.yaml").write_text(TINY_PRE)
    second = tmp_path / "b" / "elsewhere"  # another path: signatures must not hold the checkout's
    shutil.copytree(first, second)
    cache = f"cache={tmp_path / 'cache'}"

    built = scons(first, *ARGS, cache)
    assert built.returncode == 0, built.stderr[-3000:]
    assert all(step in built.stdout for step in RUN)

    fetched = scons(second, *ARGS, cache)
    assert fetched.returncode == 0, fetched.stderr[-3000:]
    assert not [step for step in RUN if step in fetched.stdout], fetched.stdout[-3000:]
    assert "Retrieved `build/h743/vww-tiny/nas/search.json' from cache" in fetched.stdout
    assert "Retrieved `build/h743/vww-tiny/firmware/fw.elf' from cache" in fetched.stdout
    a, b = first / "build" / "h743" / "vww-tiny", second / "build" / "h743" / "vww-tiny"
    assert not [f for f in (*REPRODUCED, "result.json", "report.md") if (a / f).read_bytes() != (b / f).read_bytes()]

    # other data, or an edited search spec, is a new search
    (second / "vww-data").mkdir()
    other_data = scons(second, "-n", *ARGS, cache, env={**os.environ, "MCUNET_VWW_DIR": str(second / "vww-data")})
    assert other_data.returncode == 0 and "Searching" in other_data.stdout
    spec = second / "specs" / "search" / "tiny.yaml"
    spec.write_text(spec.read_text().replace("lr: 0.02", "lr: 0.03"))
    edited = scons(second, "-n", *ARGS, cache)
    assert edited.returncode == 0 and "Searching" in edited.stdout
