# shellcheck shell=bash
# CUDA 12 runtime for the GPU build of libtensorflow, from the NVIDIA wheels on PyPI that the TensorFlow
# wheel itself names (its `and-cuda` extra), so the versions always match the TensorFlow build.
# Sourced by scripts/provision-tensorflow.sh --gpu, which defines cache, TF_VERSION, WHEEL_PYTHON, say, die.
# UNVERIFIED: written without a GPU at hand; see docs/tensorflow.md.

# provision_cuda WHEEL DEPS_LIB: unpacks the CUDA libraries into the cache, links them beside
# libtensorflow in DEPS_LIB and writes DEPS_LIB/../cuda-lib-path for scripts/tensorflow/with-cuda.sh.
provision_cuda() {
  local tf_wheel=$1 deps_lib=$2
  local cuda=$cache/cuda12-tf$TF_VERSION
  if [ ! -f "$cuda/.complete" ]; then
    local specs
    specs=$(python3 - "$tf_wheel" <<'PY'
import re, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
    for line in z.read(meta).decode().splitlines():
        m = re.match(r"Requires-Dist: (nvidia-[\w.-]+)\s*\(?\s*==\s*([^\s);]+)\)?\s*;.*extra\s*==\s*['\"]and-cuda['\"]", line)
        if m:
            print(f"{m.group(1)}=={m.group(2)}")
PY
    ) || die "cannot read the CUDA requirements from $(basename "$tf_wheel")."
    [ -n "$specs" ] || die "$(basename "$tf_wheel") names no CUDA wheels (extra 'and-cuda')."
    local wheels=$cache/wheels/cuda12-tf$TF_VERSION
    mkdir -p "$wheels"
    say "downloading the CUDA 12 runtime wheels (several GB): $(echo $specs)"
    # shellcheck disable=SC2086 # one argument per requirement
    python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version "$WHEEL_PYTHON" \
      --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux1_x86_64 \
      -d "$wheels" $specs || die "pip could not download the CUDA wheels ($(echo $specs))."
    local tmp
    tmp=$(mktemp -d "$cache/.cuda.XXXXXX")
    chmod 755 "$tmp"
    # Only the shared libraries: headers and tools are not needed to run kernels TensorFlow ships.
    python3 - "$tmp" "$wheels"/*.whl <<'PY' || { rm -rf "$tmp"; die "cannot unpack the CUDA wheels."; }
import os, re, shutil, sys, zipfile
out = sys.argv[1]
for wheel in sys.argv[2:]:
    with zipfile.ZipFile(wheel) as z:
        for name in z.namelist():
            if re.match(r"nvidia/[^/]+/lib/[^/]+\.so(\.\d+)*$", name):
                dest = os.path.join(out, name)
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with z.open(name) as src, open(dest, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                os.chmod(dest, 0o755)
PY
    touch "$tmp/.complete"
    rm -rf "$cuda" && mv "$tmp" "$cuda"
  fi
  # TensorFlow dlopens CUDA by soname; links beside libtensorflow are found through its $ORIGIN runpath,
  # and the wrapper's LD_LIBRARY_PATH covers loaders that ignore it.
  local so
  for so in "$cuda"/nvidia/*/lib/*.so*; do
    ln -sf "$so" "$deps_lib/$(basename "$so")"
  done
  printf '%s\n' "$cuda"/nvidia/*/lib >"$deps_lib/../cuda-lib-path"
}
