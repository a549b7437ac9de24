"""setuptools hook: a wheel carries the repository's firmware/, specs/ and rules/ inside the
package (mcunet_core/_data/), where mcunet_core.paths finds them when no checkout is around.
Everything else is in pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
DATA_FOLDERS = ("firmware", "specs", "rules")  # as mcunet_core.paths.DATA_FOLDERS
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.o", "*.elf")


class BuildPyWithData(build_py):
    def run(self):
        super().run()
        if self.editable_mode:  # an editable install reads the checkout itself
            return
        for name in DATA_FOLDERS:
            dst = Path(self.build_lib) / "mcunet_core" / "_data" / name
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(HERE / name, dst, ignore=SKIP)


setup(cmdclass={"build_py": BuildPyWithData})
