"""`scons task=<a detection task>` stops at once with one line, before any search or training
(its search is not built; a detector model spec trains and deploys, test_scons_detection_pipeline)."""

from __future__ import annotations

from scons_project import errors, scons


def test_a_detection_task_is_refused_before_any_work(project):
    result = scons(project, "board=h743", "task=person-det")
    assert result.returncode == 2
    assert errors(result) == ["task=person-det: a detection task; its search is not in the build yet (issue 17); "
                              "model=<an mbv2 model spec with task: person-det> trains and deploys a detector"]
    assert not (project / "build" / "h743").exists()
