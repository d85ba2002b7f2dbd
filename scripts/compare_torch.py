#!/usr/bin/env python3
"""opkit against PyTorch (CPU, one thread) on 4096x4096 tensors: GB/s of each op, bytes counted
read + written, alternating rounds of PyTorch and `op-bench` rows so that noise on this shared
machine hits both alike. Run through scripts/compare_torch.sh (it makes the virtualenv).

Each PyTorch op writes into a reused output where PyTorch has an out variant (as op-bench does);
rms_norm and layer_norm have none here, so they allocate. Every op in f32, f16 and bf16 (about ten
minutes); `--quick`: the seven cases of the first comparison, f32 and bf16 mul.
"""

import json
import subprocess
import sys
import time

import torch

ROUNDS = 2 if "--quick" not in sys.argv else 3
N = 4096
OP_BENCH = next((a for a in sys.argv[1:] if not a.startswith("--")), "target/release/op-bench")

torch.set_num_threads(1)


def best_seconds(fn, reps=5):
    fn()
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def torch_case(name, dtype):
    x = (torch.arange(N * N, dtype=torch.float32).reshape(N, N) % 1000 / 250 - 2).to(dtype)
    b = x.flip(0).contiguous()
    y = torch.empty_like(x)
    w = torch.ones(N, dtype=dtype)
    eb = x.element_size()
    s = torch.empty(N, dtype=dtype)
    aten = torch.ops.aten
    cases = {
        "mul": (lambda: torch.mul(x, 3, out=y), 2),
        "add": (lambda: torch.add(x, b, out=y), 3),
        "relu": (lambda: torch.clamp(x, min=0, out=y), 2),
        "neg": (lambda: torch.neg(x, out=y), 2),
        "exp": (lambda: torch.exp(x, out=y), 2),
        "sigmoid": (lambda: torch.sigmoid(x, out=y), 2),
        "silu": (lambda: aten.silu.out(x, out=y), 2),
        "tanh": (lambda: torch.tanh(x, out=y), 2),
        "gelu_tanh": (lambda: aten.gelu.out(x, approximate="tanh", out=y), 2),
        "gelu_none": (lambda: aten.gelu.out(x, approximate="none", out=y), 2),
        "softmax": (lambda: aten._softmax.out(x, -1, False, out=y), 2),
        "log_softmax": (lambda: aten._log_softmax.out(x, -1, False, out=y), 2),
        "rms_norm": (lambda: torch.nn.functional.rms_norm(x, (N,), w), 2),
        "layer_norm": (lambda: torch.nn.functional.layer_norm(x, (N,), w, w), 2),
        "sum": (lambda: torch.sum(x, dim=-1, out=s), 1),
    }
    fn, passes = cases[name]
    return passes * N * N * eb / best_seconds(fn) / 1e9


# op-bench rows for the same ops: (row name, --op filter).
OPKIT = {
    "mul": ("my_ops::mul3", "mul3"),
    "add": ("ops::add.Tensor", "add.Tensor"),
    "relu": ("ops::relu", "ops::relu"),
    "neg": ("ops::neg", "ops::neg"),
    "exp": ("ops::exp", "ops::exp"),
    "sigmoid": ("ops::sigmoid", "ops::sigmoid"),
    "silu": ("ops::silu", "ops::silu"),
    "tanh": ("ops::tanh", "ops::tanh"),
    "gelu_tanh": ("ops::gelu(tanh)", "gelu(tanh)"),
    "gelu_none": ("ops::gelu(none)", "gelu(none)"),
    "softmax": ("ops::softmax.int", "::softmax"),
    "log_softmax": ("ops::log_softmax.int", "log_softmax"),
    "rms_norm": ("ops::rms_norm", "rms_norm"),
    "layer_norm": ("ops::layer_norm", "layer_norm"),
    "sum": ("ops::sum.dim_IntList", "sum.dim"),
}


def opkit_case(name, dtype):
    row, filt = OPKIT[name]
    short = {torch.float32: "f32", torch.float16: "f16", torch.bfloat16: "bf16"}[dtype]
    eb = 4 if dtype == torch.float32 else 2
    out = subprocess.run(
        [OP_BENCH, "--only", "kernels", "--json", "--threads", "1", "--dtypes", short,
         "--sizes", str(N * N * eb), "--op", filt],
        check=True, capture_output=True, text=True,
    ).stdout
    for line in out.splitlines():
        r = json.loads(line)
        if r.get("kind") == "kernel" and r["op"] == row and r["path"] == "out":
            return r["gbps"], r["ratio"]
    raise RuntimeError(f"no op-bench row for {row}: {out}")


# Every op in every float dtype both have; `--quick`: f32 and bf16 of the original seven only.
DTYPES = [torch.float32, torch.float16, torch.bfloat16]
CASES = [(name, dtype) for name in OPKIT for dtype in DTYPES]
if "--quick" in sys.argv:
    CASES = [
        ("mul", torch.float32), ("mul", torch.bfloat16), ("add", torch.float32),
        ("relu", torch.float32), ("gelu_tanh", torch.float32), ("softmax", torch.float32),
        ("rms_norm", torch.float32),
    ]

best = {}
for _ in range(ROUNDS):
    for name, dtype in CASES:
        t = torch_case(name, dtype)
        o, limit_ratio = opkit_case(name, dtype)
        prev = best.get((name, dtype), (0.0, 0.0, 0.0))
        best[(name, dtype)] = (max(prev[0], t), max(prev[1], o), max(prev[2], limit_ratio))

print(f"torch {torch.__version__}, 1 thread, {N}x{N}; GB/s = bytes read + written / time (best of {ROUNDS} alternating rounds)")
print(f"{'op':<11} {'dtype':<9} {'torch GB/s':>10} {'opkit GB/s':>10} {'opkit/torch':>11} {'opkit/limit':>11}")
for (name, dtype), (t, o, r) in best.items():
    d = str(dtype).replace("torch.", "")
    print(f"{name:<11} {d:<9} {t:>10.2f} {o:>10.2f} {o / t:>11.2f} {r:>11.2f}")
