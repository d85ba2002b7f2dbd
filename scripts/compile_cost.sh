#!/usr/bin/env bash
# Build time added by #[custom_op]: a crate of 200 ops (four styles, 50 each) against the same 200
# fns without the attribute, both built on top of already-compiled dependencies. Prints seconds.
#   scripts/compile_cost.sh [N_OPS]    (outside CI; takes a few minutes on 2 cores)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-200}
work=$(mktemp -d /tmp/opkit-compile-cost.XXXX)
export CARGO_TARGET_DIR="$work/target"
gen() { # $1 = with|without
  local dir="$work/$1"
  mkdir -p "$dir/src"
  cat > "$dir/Cargo.toml" <<TOML
[package]
name = "cost_$1"
version = "0.0.0"
edition = "2024"
[dependencies]
opkit = { path = "$root" }
[workspace]
TOML
  python3 - "$1" "$n" > "$dir/src/lib.rs" <<'PY'
import sys
mode, n = sys.argv[1], int(sys.argv[2])
attr = mode == "with"
print("#![allow(dead_code)]")
print("use opkit::ndarray::{ArrayViewD, ArrayViewMutD};")
print("use opkit::{Meta, Result, Tensor};")
print("fn same(x: &Meta, _a: f64) -> Result<Meta> { Ok(x.clone()) }")
for i in range(n):
    style = i % 4
    a = lambda s: print(f'#[opkit::custom_op("{s}")]') if attr else None
    if style == 0:
        a(f"cost::f{i}(Tensor x) -> Tensor")
        print(f"pub fn f{i}(x: &Tensor) -> Result<Tensor> {{ Ok(x.clone()) }}")
    elif style == 1:
        if attr: print(f'#[opkit::custom_op("cost::f{i}(Tensor x, float a=1.0) -> Tensor", shape = same)]')
        print(f"pub fn f{i}(x: &Tensor, a: f64) -> Result<Tensor> {{ let _ = a; Ok(x.clone()) }}")
    elif style == 2:
        if attr: print(f'#[opkit::custom_op("cost::f{i}(Tensor x, Tensor y) -> Tensor", dtypes(f32, f64))]')
        print(f"pub fn f{i}<T: Copy>(x: ArrayViewD<T>, y: ArrayViewD<T>, mut out: ArrayViewMutD<T>) {{ let _ = y; out.assign(&x); }}")
    else:
        a(f"cost::f{i}_(Tensor(a!) self, float a) -> Tensor(a!)")
        print(f"pub fn f{i}_(self_: &mut Tensor, a: f64) -> Result<()> {{ let _ = (self_, a); Ok(()) }}")
PY
}
gen with; gen without
# Warm the dependencies once, then time each crate alone (touching its source).
(cd "$work/without" && cargo build -q 2>/dev/null)
(cd "$work/with" && cargo build -q)
# Minimum of three builds each: noise on a shared machine only ever adds time.
best() {
  local mode=$1 times=()
  for _ in 1 2 3; do
    touch "$work/$mode/src/lib.rs"
    local start end
    start=$(date +%s%N)
    (cd "$work/$mode" && cargo build -q)
    end=$(date +%s%N)
    times+=("$(( (end - start) / 1000000 ))")
  done
  printf '%s\n' "${times[@]}" | sort -n | head -1
}
without=$(best without)
with=$(best with)
echo "build of $n fns without #[custom_op]: ${without} ms"
echo "build of $n fns with #[custom_op]:    ${with} ms"
echo "added by the attribute: $(( with - without )) ms for $n ops"
rm -rf "$work"
