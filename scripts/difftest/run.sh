#!/usr/bin/env bash
# Differential test of opkit against PyTorch on the CPU (outside CI: it downloads torch).
#
#   scripts/difftest/run.sh [cases_a|cases_b|cases_c ...]
#
# Each cases_*.py builds cases (op, arguments, the torch function); harness.py sends them to the
# Rust runner (runner/, calls by name), runs the same inputs through torch, and prints per op and
# dtype the largest ULP difference, and where they differ, each side's distance to the f64 result
# of the same inputs ("vsref"), then every error or dtype/shape mismatch. cases_a: softmax, norms,
# reductions; cases_b: unary and binary ops over all dtypes, matmul/linear; cases_c: large and
# broadcast tensors (threaded paths). The virtualenv is scripts/compare_torch.sh's.
set -euo pipefail
cd "$(dirname "$0")"
venv="${OPKIT_TORCH_VENV:-/tmp/opkit-torch-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import torch, numpy' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet torch numpy
fi
cargo build --quiet --manifest-path runner/Cargo.toml
export OPKIT_DIFFTEST_RUNNER="${CARGO_TARGET_DIR:-$PWD/runner/target}/debug/opkit-difftest-runner"
for cases in "${@:-cases_a cases_b cases_c}"; do
    for c in $cases; do
        echo "== $c"
        "$venv/bin/python" -c "import sys; sys.path.insert(0, '.'); import $c; from harness import run; run()"
    done
done
