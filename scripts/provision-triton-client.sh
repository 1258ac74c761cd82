#!/usr/bin/env bash
# The official Python Open Inference Protocol client, tritonclient[http], in a small cached venv: the
# serving tests call our inference server with it unchanged. Idempotent; prints the venv's python last.
set -euo pipefail
cd "$(dirname "$0")/.."
cache=${STACK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/temporal-mlops}
exec scripts/provision-venv.sh ${1:+"$1"} "$cache/triton-client-venv" tritonclient.http "tritonclient[http]==2.73.0"
