"""README.md stays true: its op table is the code's, its two commands are the real ones."""

import re
from pathlib import Path

from mcunet_core.ir.support import with_table

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_support_table_matches_the_code():
    assert with_table(README) == README, "run: python -m mcunet_core.ir.support --readme README.md"


def test_the_two_commands_are_the_ones_ci_and_setup_use():
    assert "    scripts/setup.sh && scons board=h743 task=vww\n" in README
    assert "    scripts/test.sh\n" in README
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^exec scripts/test\.sh$", ci, re.M)
    for script in ("scripts/setup.sh", "scripts/test.sh", ".ci/run"):
        assert (ROOT / script).stat().st_mode & 0o111, f"{script} is not executable"
