#!/usr/bin/env bash
# Provides the Python Keras side of `npm run bench:train`: a venv with tensorflow-cpu 2.15.1, the same
# TensorFlow release our libtensorflow comes from (scripts/provision-tensorflow.sh), so both frameworks run
# the same kernels. Idempotent and cached outside the repo; prints the venv's python on its last line.
#
# Usage: bench/train/keras-venv.sh [--gpu] VENV_DIR
#   --gpu  tensorflow[and-cuda]==2.15.1 instead (the GPU build and the NVIDIA CUDA 12 wheels it names, all
#          from PyPI); CUDA wheels that `scripts/provision-tensorflow.sh --gpu` already downloaded are reused.
set -euo pipefail

TF_VERSION=2.15.1
requirement="tensorflow-cpu==$TF_VERSION"
find_links=()
if [ "${1:-}" = --gpu ]; then
  shift
  requirement="tensorflow[and-cuda]==$TF_VERSION"
  # Where provision-tensorflow.sh --gpu keeps them (scripts/tensorflow/cuda.sh): several GB not fetched twice.
  cuda_wheels=${STACK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/temporal-mlops}/tensorflow/wheels/cuda12-tf$TF_VERSION
  if [ -d "$cuda_wheels" ]; then find_links=(--find-links "$cuda_wheels"); fi
fi
venv=${1:?usage: bench/train/keras-venv.sh [--gpu] VENV_DIR (normally <STACK_CACHE_DIR>/keras-venv)}
# What the venv was built with: a different value means rebuild, a missing stamp means a half-made venv.
want="$requirement python=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
stamp=$venv/.bench-stamp

say() { echo "[keras-venv] $*" >&2; }
die() {
  echo "[keras-venv] ERROR: $1" >&2
  exit 1
}

command -v python3 >/dev/null || die "python3 is not on PATH; install Python 3.9-3.11 (tensorflow-cpu $TF_VERSION supports those)."

ready() { [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/python" ]; }

if ! ready; then
  mkdir -p "$(dirname "$venv")"
  # Two benches started at once must not build the same venv side by side.
  exec 9>"$venv.lock"
  flock 9
  if ! ready; then
    # A venv cannot be renamed into place (its scripts hold absolute paths), so an unfinished one is
    # recognised by its missing stamp and rebuilt from scratch.
    rm -rf "$venv"
    say "creating $venv with $requirement (one-off, from PyPI: about 250 MB for the CPU build, GBs for GPU)"
    python3 -m venv "$venv" || die "python3 -m venv failed; install the venv module (Debian: python3-venv)."
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
      ${find_links[@]+"${find_links[@]}"} "$requirement" ||
      die "pip could not install $requirement from PyPI; check the network/proxy, then rerun (the half-made venv is rebuilt)."
    "$venv/bin/python" -c 'import tensorflow' 2>/dev/null ||
      die "tensorflow was installed into $venv but does not import; remove $venv and rerun."
    echo "$want" >"$stamp"
  fi
fi
echo "$venv/bin/python"
