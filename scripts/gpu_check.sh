#!/usr/bin/env bash
# Builds, here (no GPU needed), everything the CUDA checks need on a GPU machine, into one folder:
# the CUDA test binaries, op-bench, the CUDA example, the built-in kernels' PTX precompiled for the
# GPU's architecture (so the GPU machine needs the driver but not NVRTC), and run.sh.
#
#   scripts/gpu_check.sh [OUT_DIR] [ARCHS]     defaults: target/gpu-check, 90 (H100/H200)
#
# Then, on the GPU machine, from the repository root (the folder travels with the work tree):
#   target/gpu-check/run.sh            # CUDA tests, the example, and op-bench's cuda rows
#
# NVRTC (for precompiling) comes from the nvidia-cuda-nvrtc-cu12 wheel on PyPI when libnvrtc.so is
# not already on the loader path. matmul/linear need cuBLAS (libcublas.so.12) on the GPU machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/target/gpu-check}
archs=${2:-90}
cd "$root"
rm -rf "$out"
mkdir -p "$out/bin" "$out/ptx"

echo "== building the test binaries (cargo test --no-run --features cuda --workspace)"
cargo test --release --no-run --features cuda --workspace --message-format=json 2>/dev/null \
  | python3 -c '
import json, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        print(m["target"]["name"], m["executable"])
' > "$out/tests.txt"
# The CUDA tests and the crates' unit tests; the rest of the suite does not touch a GPU.
while read -r name exe; do
  case "$name" in
    cuda|cuda_no_device|cuda_first_use|cuda_nvrtc|op_runtime|op_kernels|ops_opcheck)
      cp "$exe" "$out/bin/$name" ;;
  esac
done < "$out/tests.txt"

echo "== building op-bench and the example"
cargo build --release --features cuda -p op-kernels --bin op-bench
cargo build --release --features cuda --example cuda_user_kernel
cp target/release/op-bench target/release/examples/cuda_user_kernel "$out/bin/"
strip "$out"/bin/* 2>/dev/null || true

echo "== precompiling the built-in kernels for sm_${archs}"
if ! ldconfig -p 2>/dev/null | grep -q libnvrtc.so; then
  nvrtc=/tmp/opkit-nvrtc
  if [ ! -d "$nvrtc/nvidia/cuda_nvrtc/lib" ]; then
    pip download --quiet --no-deps nvidia-cuda-nvrtc-cu12 -d "$nvrtc"
    python3 -m zipfile -e "$nvrtc"/nvidia_cuda_nvrtc_cu12-*.whl "$nvrtc"
  fi
  export LD_LIBRARY_PATH="$nvrtc/nvidia/cuda_nvrtc/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
OPKIT_CUDA_CACHE="$out/ptx" OPKIT_PRECOMPILE_ARCHS="$archs" \
  cargo test --release --features cuda -p op-kernels --test cuda_nvrtc -- --ignored precompile_builtin_ptx

cat > "$out/run.sh" <<'RUN'
#!/usr/bin/env bash
# Runs the CUDA checks on a GPU machine: every test binary, the example, op-bench's cuda rows.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export OPKIT_CUDA_CACHE=${OPKIT_CUDA_CACHE:-$here/ptx}
nvidia-smi -L || echo "nvidia-smi not found"
status=0
for t in "$here"/bin/*; do
  case "$(basename "$t")" in op-bench|cuda_user_kernel) continue ;; esac
  echo "== $(basename "$t")"
  "$t" --test-threads=1 || status=1
done
echo "== example cuda_user_kernel"; "$here/bin/cuda_user_kernel" || status=1
echo "== op-bench --only cuda"; "$here/bin/op-bench" --only cuda || status=1
exit $status
RUN
chmod +x "$out/run.sh"
du -sh "$out"
echo "done: $out (run $out/run.sh on the GPU machine)"
