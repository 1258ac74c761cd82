#!/usr/bin/env bash
# `npm run check:gpu`: proves the GPU path on a machine with an NVIDIA GPU. Provisions tfjs-node-gpu with the
# GPU build of libtensorflow 2.15.1 and its CUDA 12 / cuDNN 8.9 runtime, all from PyPI wheels
# (scripts/provision-tensorflow.sh --gpu), then runs `bench:train --device gpu`: our training code on
# TRAINING_DEVICE=gpu and Keras (tensorflow[and-cuda]==2.15.1, its own venv) on the same GPU, interleaved. The
# bench first runs a short placement probe per side and fails unless TensorFlow put Conv2D, its two
# gradients and MatMul on the GPU (bench/train/placement.ts); it ends with the same JSON line as on the CPU.
#
# Usage: npm run check:gpu [-- BENCH_OPTIONS…]     e.g. npm run check:gpu -- --quick
# Exit: 0 done; 3 no usable NVIDIA GPU here (checked first: nothing is downloaded or changed); 1 otherwise.
# Needs PyPI (or PIP_INDEX_URL) for the wheels, a few GB of disk, and the npm registry for the
# @tensorflow/tfjs-node-gpu package itself (JavaScript only; its install script, which would download from
# Google, stays off). See docs/tensorflow.md (GPU).
set -euo pipefail
cd "$(dirname "$0")/.."

NO_GPU=3
# CUDA 12.2, which TensorFlow 2.15 is built against, needs an R525 driver or newer on Linux.
MIN_DRIVER=525
say() { echo "[check:gpu] $*" >&2; }
no_gpu() {
  echo "[check:gpu] no usable NVIDIA GPU: $1" >&2
  echo "[check:gpu]   This check needs a Linux x86_64 host with an NVIDIA GPU and driver $MIN_DRIVER or newer" >&2
  echo "[check:gpu]   (nvidia-smi must list the GPU). Nothing was downloaded or changed." >&2
  exit $NO_GPU
}

command -v nvidia-smi >/dev/null || no_gpu "nvidia-smi is not on PATH (no NVIDIA driver installed)."
gpus=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1) ||
  no_gpu "nvidia-smi failed: $(printf '%s\n' "$gpus" | head -n1)"
[ -n "$gpus" ] || no_gpu "nvidia-smi lists no GPU."
driver=$(printf '%s\n' "$gpus" | head -n1 | cut -d, -f2 | tr -d ' ')
case ${driver%%.*} in
  '' | *[!0-9]*) no_gpu "cannot read the driver version from nvidia-smi ('$driver')." ;;
esac
[ "${driver%%.*}" -ge $MIN_DRIVER ] ||
  no_gpu "driver $driver is older than $MIN_DRIVER, which CUDA 12.2 (TensorFlow 2.15) needs."
say "GPU: $(printf '%s\n' "$gpus" | head -n1)"

# 1. The project (as `npm run setup`), then tfjs-node-gpu with the GPU libtensorflow and the CUDA wheels
# (cached under STACK_CACHE_DIR/tensorflow).
bash scripts/setup.sh --quiet
scripts/provision-tensorflow.sh --gpu

# 2. The bench on the GPU; bench:train provisions the Keras GPU venv (keras-venv.sh --gpu) on first use,
# reusing the CUDA wheels step 1 downloaded. Weights grow on demand, so nvidia-smi shows what each uses;
# kernels JIT-compiled by the driver for a GPU newer than the build stay cached for the next run.
export TRAINING_DEVICE=gpu TF_FORCE_GPU_ALLOW_GROWTH=true
export CUDA_CACHE_MAXSIZE=${CUDA_CACHE_MAXSIZE:-4294967296}
exec scripts/tensorflow/with-cuda.sh npx tsx bench/train/main.ts --device gpu --json "$@"
