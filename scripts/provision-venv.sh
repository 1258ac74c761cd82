#!/usr/bin/env bash
# A Python venv with pinned packages from PyPI, built once and reused: a stamp names what it was built
# with (a different value rebuilds it, a missing one marks a half-made venv). Prints its python last.
#
# Usage: scripts/provision-venv.sh [--quiet] VENV_DIR IMPORT_CHECK PACKAGE==VERSION...
#   IMPORT_CHECK: a Python module that must import afterwards, e.g. tritonclient.http
set -euo pipefail
quiet=false
[ "${1:-}" = "--quiet" ] && quiet=true && shift
venv=${1:?usage: scripts/provision-venv.sh [--quiet] VENV_DIR IMPORT_CHECK PACKAGE==VERSION...}
check=${2:?usage: scripts/provision-venv.sh [--quiet] VENV_DIR IMPORT_CHECK PACKAGE==VERSION...}
shift 2
[ $# -gt 0 ] || { echo "[venv] ERROR: name at least one package to install" >&2; exit 2; }
name=$(basename "$venv")
say() { $quiet || echo "[$name] $*" >&2; }
die() {
  echo "[$name] ERROR: $1" >&2
  exit 1
}

command -v python3 >/dev/null || die "python3 is not on PATH; install Python 3.9-3.11."
want="$* python=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
stamp=$venv/.temporal-mlops-stamp
ready() { [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/python" ]; }

if ! ready; then
  mkdir -p "$(dirname "$venv")"
  # Two runs started at once must not build the same venv side by side.
  exec 9>"$venv.lock"
  flock 9
  if ! ready; then
    # A venv cannot be renamed into place (its scripts hold absolute paths), so it is built where it lives.
    rm -rf "$venv"
    say "creating $venv with $* (one-off, from PyPI)"
    python3 -m venv "$venv" || die "python3 -m venv failed; install the venv module (Debian: python3-venv)."
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "$@" ||
      die "pip could not install $* from PyPI; check the network/proxy, then rerun (the half-made venv is rebuilt)."
    "$venv/bin/python" -c "import $check" ||
      die "$* were installed into $venv but $check does not import; remove $venv and rerun."
    echo "$want" >"$stamp"
  fi
fi
echo "$venv/bin/python"
