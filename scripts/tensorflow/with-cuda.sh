#!/usr/bin/env bash
# Runs a command with the CUDA 12 libraries that `scripts/provision-tensorflow.sh --gpu` unpacked on
# LD_LIBRARY_PATH, which the dynamic loader reads only at process start. UNVERIFIED (no GPU at hand).
# Usage: scripts/tensorflow/with-cuda.sh COMMAND [ARGS...]
#   e.g. TRAINING_DEVICE=gpu scripts/tensorflow/with-cuda.sh npx tsx src/workers/training.ts
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
list=$repo/node_modules/@tensorflow/tfjs-node-gpu/deps/cuda-lib-path
[ $# -gt 0 ] || {
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
}
[ -f "$list" ] || {
  echo "[with-cuda] $list is missing: run scripts/provision-tensorflow.sh --gpu first (docs/tensorflow.md)." >&2
  exit 1
}
dirs=$(paste -sd: "$list")
export LD_LIBRARY_PATH=$dirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
exec "$@"
