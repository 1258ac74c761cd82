#!/usr/bin/env bash
# The reference side of `npm run bench:serve`: the KServe Python ModelServer (PyPI kserve) with
# tensorflow-cpu 2.15.1, the TensorFlow release our libtensorflow comes from, so both servers run the same
# kernels. Heavy (about 300 MB): only the bench builds it, never `npm test`. Prints the venv's python last.
#
# Usage: bench/serve/kserve-venv.sh VENV_DIR   (normally <STACK_CACHE_DIR>/kserve-venv)
set -euo pipefail
cd "$(dirname "$0")/../.."
exec scripts/provision-venv.sh "${1:?usage: bench/serve/kserve-venv.sh VENV_DIR}" 'kserve, tensorflow' \
  kserve==0.15.2 tensorflow-cpu==2.15.1
