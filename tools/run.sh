#!/usr/bin/env bash
# The run command (README "Quick start"): a virtual environment in .venv/ with alprd
# installed (editable), the models in place, the sample camera clip rendered if missing,
# then the daemon on the default config (SQLite in data/, images in outputs/, the REST
# API on :8000, docs at /docs).
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/env.sh
ensure_venv
venv_install .
PY="$VENV/bin/python"
# Models that ship with alprd or come from pinned PyPI wheels (sha256-checked, no hub).
"$PY" -m alprd models fetch plate-detector plate-ocr ppocr-rec ppocr-det vehicle-type
# The vehicle detector comes from its publisher, or offline from ../shared's copies;
# without it the daemon runs without the vehicle stage and logs why.
if [ -d ../shared/models/intel-omz ]; then MIRROR=(--mirror ../shared/models/intel-omz); else MIRROR=(); fi
"$PY" -m alprd models fetch "${MIRROR[@]}" vehicle-detection-0200 \
  || echo "alprd: vehicle detector not fetched: the daemon runs without the vehicle stage" >&2
[ -f data/sample-gate.avi ] || "$PY" -m alprd.ops.sample_clip data/sample-gate.avi
exec "$PY" -m alprd run --config "${ALPRD_CONFIG:-config/alprd.yaml}"
