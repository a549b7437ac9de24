import pytest

from test_generic_common import disable_fast_binary


@pytest.fixture(params=["fast", "generic"])
def variant(request, monkeypatch):
    """Run a test with the fast ADD/MUL kernels where they apply, then with generic ones only."""
    if request.param == "generic":
        disable_fast_binary(monkeypatch)
    return request.param
