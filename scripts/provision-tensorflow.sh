#!/usr/bin/env bash
# Provides native TensorFlow to tfjs-node without reaching Google's download host: takes libtensorflow and
# its C headers from the TensorFlow wheel on PyPI, builds the tfjs-node addon from source against the local
# Node headers, and caches both outside the repo so a fresh clone on the same machine needs seconds.
# Idempotent; does nothing (well under a second) when the addon already works, including one installed by
# tfjs-node's own install script on a machine with internet. See docs/tensorflow.md.
#
# Usage: scripts/provision-tensorflow.sh [--quiet] [--gpu] [--force]
#   --gpu    provision @tensorflow/tfjs-node-gpu (installed with --no-save when absent) from the `tensorflow`
#            wheel plus its CUDA 12 runtime wheels; unverified, needs an NVIDIA GPU and driver to run.
#   --force  rebuild the addon and re-lay the libraries even when the addon works.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

# TensorFlow 2.15.1, not tfjs-node's own 2.9.1: the 2.9.1 wheel has no libtensorflow_cc.so.2 (its C API
# lives inside the 467 MB Python extension), while from 2.15 the wheel ships libtensorflow_cc.so.2 exporting
# the whole TF_*/TFE_* C API, which is stable across 2.x. 2.15.1 builds against tfjs-node 4.22 unchanged and
# passes the checks below; its manylinux2014 wheel only needs glibc 2.17.
TF_VERSION=2.15.1
# Any CPython the wheel was built for will do: it is only unpacked, never imported.
WHEEL_PYTHON=3.10

quiet=false gpu=false force=false
for arg in "$@"; do
  case $arg in
    --quiet) quiet=true ;;
    --gpu) gpu=true ;;
    --force) force=true ;;
    *)
      echo "[tensorflow] unknown option '$arg'. Usage: $0 [--quiet] [--gpu] [--force]" >&2
      exit 2
      ;;
  esac
done
say() { $quiet || echo "[tensorflow] $*"; }
die() {
  echo "[tensorflow] ERROR: $1" >&2
  shift
  for line in "$@"; do echo "[tensorflow]   $line" >&2; done
  echo "[tensorflow]   See docs/tensorflow.md (Troubleshooting)." >&2
  exit 1
}

if $gpu; then
  npm_pkg=@tensorflow/tfjs-node-gpu wheel=tensorflow variant=gpu
else
  npm_pkg=@tensorflow/tfjs-node wheel=tensorflow-cpu variant=cpu
fi
pkg_dir=$repo/node_modules/$npm_pkg
stamp=$pkg_dir/.temporal-mlops-tensorflow

# Same default as STACK_CACHE_DIR in src/config.ts; a relative value is relative to the repo, as there.
cache_root=${STACK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/temporal-mlops}
case $cache_root in /*) ;; *) cache_root=$repo/$cache_root ;; esac
cache=$cache_root/tensorflow

if $gpu && [ ! -f "$pkg_dir/package.json" ]; then
  cpu_version=$(node -p 'require("./node_modules/@tensorflow/tfjs-node/package.json").version' 2>/dev/null) ||
    die "node_modules/@tensorflow/tfjs-node is missing, so the tfjs-node-gpu version to match is unknown." \
      "Run 'npm run setup' first."
  say "installing $npm_pkg@$cpu_version (--no-save, install scripts off)"
  flock /tmp/npm.lock npm install --no-save --ignore-scripts --no-audit --no-fund --loglevel=error \
    "$npm_pkg@$cpu_version"
fi
[ -f "$pkg_dir/package.json" ] || die "$npm_pkg is not installed in node_modules." "Run 'npm run setup' first."

# Where tfjs-node will look for its addon (node-pre-gyp picks lib/napi-v<N> from package.json "binary"),
# and what the cached addon is keyed by.
read -r tfjs_version node_abi addon_path < <(
  node -e '
    const pkg = process.argv[1];
    const p = require(pkg + "/package.json");
    const where = require("@mapbox/node-pre-gyp").find(require.resolve(pkg + "/package.json"));
    console.log(p.version, process.versions.modules, where);' "$npm_pkg"
) || die "cannot read $npm_pkg/package.json or resolve its addon path." "Run 'npm run setup' to reinstall."
napi=$(basename "$(dirname "$addon_path")")
key="$variant-tfjs$tfjs_version-tf$TF_VERSION-node-abi$node_abi-$napi"

if ! $force && [ -f "$stamp" ] && [ -f "$addon_path" ] && [ "$(cat "$stamp")" = "$key" ]; then
  exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/provision.lock"
# Several clones (or several engineers in one tree) may run setup at once; one provisions, the rest wait.
flock 9

verify() { node scripts/tensorflow/verify.js "$npm_pkg"; }

if ! $force && [ -f "$addon_path" ] && out=$(verify 2>/dev/null); then
  # A working addon we did not lay down: tfjs-node's own install script (machine with internet), or a
  # provisioning finished by a concurrent run while we waited for the lock.
  say "native TensorFlow already works: $out"
  echo "$key" >"$stamp"
  exit 0
fi

started=$(date +%s)
command -v python3 >/dev/null || die "python3 is required to fetch and unpack the TensorFlow wheel." \
  "Install Python 3 with pip (e.g. apt-get install python3-pip) and rerun."
[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] ||
  die "only Linux x86_64 is provisioned from PyPI (this is $(uname -s)-$(uname -m))." \
    "Use the standard path instead: 'npm rebuild @tensorflow/tfjs-node' with internet access."

# 1. The wheel, cached. pip verifies the hash PyPI publishes.
wheel_dir=$cache/wheels
wheel_file=$(ls "$wheel_dir/${wheel//-/_}-$TF_VERSION-"*.whl 2>/dev/null | head -n1 || true)
if [ -z "$wheel_file" ]; then
  say "downloading $wheel==$TF_VERSION from PyPI (~200 MB CPU, more for GPU)"
  mkdir -p "$wheel_dir"
  tmp=$(mktemp -d "$wheel_dir/.download.XXXXXX")
  python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version "$WHEEL_PYTHON" \
    --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 -d "$tmp" "$wheel==$TF_VERSION" ||
    {
      rm -rf "$tmp"
      die "pip could not download $wheel==$TF_VERSION." \
        "Check that 'python3 -m pip download $wheel==$TF_VERSION' reaches PyPI (proxy: PIP_INDEX_URL)," \
        "or copy the wheel by hand into $wheel_dir/ and rerun."
    }
  mv "$tmp"/*.whl "$wheel_dir/" && rm -rf "$tmp"
  wheel_file=$(ls "$wheel_dir/${wheel//-/_}-$TF_VERSION-"*.whl | head -n1)
fi

# 2. Shared libraries and the C headers the addon includes, unpacked once into the cache.
libtf=$cache/libtensorflow-$variant-$TF_VERSION
if [ ! -f "$libtf/lib/libtensorflow_cc.so.2" ]; then
  say "unpacking libtensorflow from $(basename "$wheel_file")"
  tmp=$(mktemp -d "$cache/.unpack.XXXXXX")
  python3 - "$wheel_file" "$tmp" <<'PY' || { rm -rf "$tmp"; die "cannot unpack $wheel_file (corrupt download?)." "Delete it and rerun."; }
import os, shutil, sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
libs = {"tensorflow/libtensorflow_cc.so.2", "tensorflow/libtensorflow_framework.so.2"}
# c_api.h pulls in tf_tstring.h -> ctstring*.h and tf_status.h -> tsl/c/tsl_status.h.
headers = ("tensorflow/include/tensorflow/c/", "tensorflow/include/tsl/c/",
           "tensorflow/include/tensorflow/core/platform/ctstring", "tensorflow/include/tsl/platform/ctstring")
with zipfile.ZipFile(wheel) as z:
    names = set(z.namelist())
    missing = libs - names
    if missing:
        sys.exit(f"wheel lacks {sorted(missing)}")
    for name in names:
        if name in libs:
            dest = os.path.join(out, "lib", os.path.basename(name))
        elif name.startswith(headers) and name.endswith(".h"):
            dest = os.path.join(out, "include", name[len("tensorflow/include/"):])
        else:
            continue
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with z.open(name) as src, open(dest, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        if name in libs:
            os.chmod(dest, 0o755)
PY
  # The addon calls TensorFlow only through the C API; make sure this wheel really exports it.
  if command -v nm >/dev/null; then
    n=$(nm -D --defined-only "$tmp/lib/libtensorflow_cc.so.2" | grep -cE ' T (TFE_NewContext|TFE_Execute|TF_Version)(@|$)' || true)
    [ "$n" = 3 ] || {
      rm -rf "$tmp"
      die "libtensorflow_cc.so.2 of $wheel $TF_VERSION does not export the TF/TFE C API."
    }
  fi
  rm -rf "$libtf" && mv "$tmp" "$libtf"
fi

# 3. deps/ as binding.gyp expects: include/ and lib/ linked with -ltensorflow -ltensorflow_framework, found
# at run time through the addon's rpath $ORIGIN/../../deps/lib. Hard links: no 600 MB copy per clone.
say "laying out $npm_pkg/deps from $libtf"
deps_tmp=$(mktemp -d "$pkg_dir/.deps.XXXXXX")
chmod 755 "$deps_tmp"
mkdir -p "$deps_tmp/lib"
cp -r "$libtf/include" "$deps_tmp/include"
for so in libtensorflow_cc.so.2 libtensorflow_framework.so.2; do
  ln "$libtf/lib/$so" "$deps_tmp/lib/$so" 2>/dev/null || cp "$libtf/lib/$so" "$deps_tmp/lib/$so"
done
# -ltensorflow finds libtensorflow.so; the addon then records the real SONAME, libtensorflow_cc.so.2.
ln -s libtensorflow_cc.so.2 "$deps_tmp/lib/libtensorflow.so"
ln -s libtensorflow_cc.so.2 "$deps_tmp/lib/libtensorflow.so.2"
ln -s libtensorflow_framework.so.2 "$deps_tmp/lib/libtensorflow_framework.so"
if $gpu; then
  # shellcheck source=scripts/tensorflow/cuda.sh
  . scripts/tensorflow/cuda.sh
  provision_cuda "$wheel_file" "$deps_tmp/lib"
fi
rm -rf "$pkg_dir/deps" && mv "$deps_tmp" "$pkg_dir/deps"

# 4. The addon: from the cache when this (tfjs, TF, Node ABI) was built before, else from source.
addon_cache=$cache/addons/$key/tfjs_binding.node
if [ -f "$addon_cache" ]; then
  say "addon from cache ($key)"
else
  say "building the addon from source with node-gyp ($key)"
  node_gyp=${npm_config_node_gyp:-}
  if [ -z "$node_gyp" ]; then
    npm_root=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
    for c in "$npm_root/node_modules/node-gyp/bin/node-gyp.js" "$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"; do
      [ -f "$c" ] && node_gyp=$c && break
    done
  fi
  [ -n "$node_gyp" ] || node_gyp=$(command -v node-gyp || true)
  [ -n "$node_gyp" ] || die "node-gyp not found (it normally comes with npm)." \
    "Install it with 'npm install -g node-gyp' or set npm_config_node_gyp to its bin/node-gyp.js."
  # Local Node headers: nodejs.org, where node-gyp would fetch them, may be unreachable.
  node_dir=
  node_prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
  node_version=$(node -p 'process.version.slice(1)')
  for d in "$node_prefix" /usr /usr/local "${XDG_CACHE_HOME:-$HOME/.cache}/node-gyp/$node_version"; do
    if [ -f "$d/include/node/node_api.h" ] && [ -f "$d/include/node/common.gypi" ]; then
      node_dir=$d && break
    fi
  done
  [ -n "$node_dir" ] || die "Node.js development headers (include/node/node_api.h, common.gypi) not found." \
    "Use a Node.js build that ships them (official tarballs and NodeSource packages do), or put the" \
    "headers tarball for $node_version under ~/.cache/node-gyp/$node_version."
  for tool in make g++; do
    command -v $tool >/dev/null || die "$tool is required to build the addon." "apt-get install build-essential"
  done
  build_log=$cache/build-$key.log
  if ! (cd "$pkg_dir" && node "$node_gyp" rebuild --nodedir="$node_dir" --jobs="$(nproc)" \
    --napi_build_version="${napi#napi-v}" --module_name=tfjs_binding --module_path="$(dirname "$addon_path")") \
    >"$build_log" 2>&1; then
    tail -n 20 "$build_log" >&2
    die "building the tfjs-node addon failed; full log: $build_log"
  fi
  mkdir -p "$(dirname "$addon_cache")"
  cp "$addon_path" "$addon_cache.tmp" && mv "$addon_cache.tmp" "$addon_cache"
  rm -rf "$pkg_dir/build"
fi
mkdir -p "$(dirname "$addon_path")"
cp "$addon_cache" "$addon_path.tmp" && mv "$addon_path.tmp" "$addon_path"

# 5. Prove it, then mark it done.
out=$(verify) || die "the addon was installed but does not work (output above)." \
  "Rerun with --force; if it persists, delete $cache/addons/$key and rerun."
echo "$key" >"$stamp"
say "ready in $(($(date +%s) - started)) s: $out"
