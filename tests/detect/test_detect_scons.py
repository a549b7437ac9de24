"""`scons task=<a detection task>` stops at once with one line, before any search or training."""

from __future__ import annotations

from scons_project import errors, scons


def test_a_detection_task_is_refused_before_any_work(project):
    result = scons(project, "board=h743", "task=person-det")
    assert result.returncode == 2
    assert errors(result) == ["task=person-det: a detection task; its search and training are not in the build yet "
                              "(issue 17: mcunet_core.detect has its data, metric, head, loss and decoding)"]
    assert not (project / "build" / "h743").exists()
