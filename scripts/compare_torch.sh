#!/usr/bin/env bash
# opkit against PyTorch on the CPU, one thread, 4096x4096 (outside CI: it downloads torch).
#
#   scripts/compare_torch.sh [--quick]
#
# The virtualenv lives outside the repository ($OPKIT_TORCH_VENV, default /tmp/opkit-torch-venv).
# Only PyPI is reachable, so this installs the default `torch` wheel, which pulls CUDA libraries
# (several GB) even though only the CPU is used.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${OPKIT_TORCH_VENV:-/tmp/opkit-torch-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import torch' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet torch numpy
fi
cargo build --release -p op-kernels --bin op-bench
"$venv/bin/python" scripts/compare_torch.py target/release/op-bench "$@"
