# Sourced by tools/run.sh and tools/test.sh: a virtual environment in .venv/ (PEP 668:
# never pip into the system Python) and Debian packages only where needed (sudo when
# not root). ALPRD_PYTHON picks the interpreter (default: python3 on PATH).
PYTHON=${ALPRD_PYTHON:-python3}
VENV=.venv
export PIP_DISABLE_PIP_VERSION_CHECK=1

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else echo "alprd: needs root (no sudo): $*" >&2; return 1
  fi
}

# apt_install PKG...: installs those of PKG not yet installed (Debian/Ubuntu).
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null; then
    echo "alprd: please install: ${missing[*]}" >&2; return 1
  fi
  echo "alprd: apt-get install ${missing[*]}" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ensure_venv: .venv/ exists and works (Debian's python3 needs python3-venv for ensurepip).
ensure_venv() {
  "$VENV/bin/python" -c '' 2>/dev/null && return 0
  rm -rf "$VENV"
  if ! "$PYTHON" -m venv "$VENV" >/dev/null 2>&1; then
    rm -rf "$VENV"
    apt_install python3-venv
    "$PYTHON" -m venv "$VENV"
  fi
}

# venv_install SPEC...: pip install -e SPEC into .venv/, skipped while the package's
# metadata and SPEC are unchanged since the last successful install.
venv_install() {
  local stamp="$VENV/.alprd-install" want
  want="$* $(cat setup.cfg setup.py pyproject.toml 2>/dev/null | sha256sum)"
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
  "$VENV/bin/python" -m pip install -q -e "$@"
  echo "$want" >"$stamp"
}
