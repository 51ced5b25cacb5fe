#!/usr/bin/env bash
# The test command (README "Run the tests"): installs system and Python dependencies,
# then runs the whole test suite. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1
python3 -m pip install -q -e '.[test]'
python3 -m pytest -q "$@"
