#!/usr/bin/env bash
# The run command (README "Quick start"): installs alprd, puts the models in place,
# renders the sample camera clip if missing, and runs the daemon on the default
# config (SQLite in data/, images in outputs/, the REST API on :8000, docs at /docs).
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1
python3 -m pip install -q -e .
python3 -m alprd models fetch
[ -f data/sample-gate.avi ] || python3 -m alprd.capture.sample data/sample-gate.avi
exec python3 -m alprd run --config "${ALPRD_CONFIG:-config/alprd.yaml}"
