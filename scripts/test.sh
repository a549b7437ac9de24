#!/usr/bin/env bash
# The project's test command (README, CI): install what is missing, then run the whole suite.
# Extra arguments go to pytest. A run that collects no tests is a failure, not a pass.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
scripts/setup.sh || exit $?
mkdir -p build
"$PYTHON" -m pytest -n 2 -q --junitxml=build/junit.xml "$@"
rc=$?
if [ $rc -eq 5 ]; then
    echo "test.sh: pytest collected no tests: that is a failure" >&2
    exit 1
fi
exit $rc
