#!/usr/bin/env bash
# The run command (README "Quick start"): installs alprd, puts the models in place,
# renders the sample camera clip if missing, and runs the daemon on the default
# config (SQLite in data/, images in outputs/, the REST API on :8000, docs at /docs).
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1
python3 -m pip install -q -e .
# Models that ship with alprd or come from pinned PyPI wheels (sha256-checked, no hub).
python3 -m alprd models fetch plate-detector ppocr-rec vehicle-type
# The vehicle detector comes from its publisher, or offline from ../shared's copies;
# without it the daemon runs without the vehicle stage and logs why.
if [ -d ../shared/models/intel-omz ]; then MIRROR=(--mirror ../shared/models/intel-omz); else MIRROR=(); fi
python3 -m alprd models fetch "${MIRROR[@]}" vehicle-detection-0200 \
  || echo "alprd: vehicle detector not fetched: the daemon runs without the vehicle stage" >&2
[ -f data/sample-gate.avi ] || python3 -m alprd.ops.sample_clip data/sample-gate.avi
exec python3 -m alprd run --config "${ALPRD_CONFIG:-config/alprd.yaml}"
