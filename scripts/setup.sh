#!/usr/bin/env bash
# Installs what `npm test` and `npm run demo` need before any TypeScript can run: Node dependencies and
# native TensorFlow for tfjs-node. Idempotent; heavy artefacts are cached outside the repo.
set -euo pipefail
cd "$(dirname "$0")/.."
quiet=false
[ "${1:-}" = "--quiet" ] && quiet=true
say() { $quiet || echo "[setup] $*"; }

major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "[setup] Node.js >= 20 is required (found $(node --version)). Install Node 20 or newer and retry." >&2
  exit 1
fi

# Install scripts stay off: tfjs-node's own script downloads libtensorflow from a host that an air-gapped
# machine cannot reach; scripts/provision-tensorflow.sh provides it from PyPI instead.
stamp=node_modules/.setup-stamp
if [ ! -d node_modules ]; then
  say "installing Node dependencies (npm ci)"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  touch "$stamp"
elif [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  # Incremental: npm ci would delete node_modules under processes that are using it.
  say "updating Node dependencies (npm install)"
  npm install --ignore-scripts --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi

if [ -x scripts/provision-tensorflow.sh ]; then
  scripts/provision-tensorflow.sh $($quiet && echo --quiet)
fi

# The official Open Inference Protocol client for the serving test (a few MB). Not fatal: only that test
# needs it, and it names this script when the venv is missing.
if [ -x scripts/provision-triton-client.sh ]; then
  scripts/provision-triton-client.sh $($quiet && echo --quiet) >/dev/null ||
    echo "[setup] warning: tritonclient venv not provisioned; the serving client test will fail (rerun scripts/provision-triton-client.sh)" >&2
fi
