import sys, os; sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import *
import torch.nn.functional as F
random.seed(1)

def specials(dtype, shape):
    x = randt(shape, dtype)
    flat = x.reshape(-1)
    n = flat.numel()
    for v in [float("inf"), float("-inf"), float("nan"), 0.0, -0.0, 1e4, -1e4, 60000.0]:
        if n: flat[random.randrange(n)] = v
    return x

# softmax / log_softmax
for name, fn in [("softmax", torch.softmax), ("log_softmax", torch.log_softmax)]:
    for dt in FLOATS:
        for shape, dim in [((4, 7), -1), ((4, 7), 0), ((3, 5, 6), 1), ((0, 5), 1), ((5, 0), 1), ((), 0), ((), -1), ((1,), 0), ((3, 300), 1)]:
            case(f"{name}|{dt}|{shape}|{dim}", f"ops::{name}", fn, [T(randt(shape, dt, scale=5)), dim])
        case(f"{name}-spec|{dt}", f"ops::{name}", fn, [T(specials(dt, (6, 33))), 1])
        allneg = torch.full((2, 9), float("-inf"), dtype=DT[dt]); allneg[1, 3] = 0
        case(f"{name}-allneginf|{dt}", f"ops::{name}", fn, [T(allneg), 1])
        big = randt((3, 40), dt, scale=1e4) if dt != "float16" else randt((3, 40), dt, scale=1e3)
        case(f"{name}-big|{dt}", f"ops::{name}", fn, [T(big), 1])
        case(f"{name}-view|{dt}", f"ops::{name}", fn, [T(randt((6, 17), dt), [("t", 0, 1)]), 0])
        case(f"{name}-view2|{dt}", f"ops::{name}", fn, [T(randt((6, 17), dt), [("flip", 1), ("slice", 1, 1, 17, 3)]), 1])
        for odt in FLOATS:
            case(f"{name}-dtype|{dt}->{odt}", f"ops::{name}", lambda x, d, dtype, fn=fn: fn(x, d, dtype=dtype), [T(randt((3, 50), dt, scale=3)), 1], {"dtype": DT[odt]})
    for it in INTS:
        case(f"{name}-int|{it}", f"ops::{name}", fn, [T(randt((3, 5), it)), 1])
        case(f"{name}-int-dtype|{it}", f"ops::{name}", lambda x, d, dtype, fn=fn: fn(x, d, dtype=dtype), [T(randt((3, 5), it)), 1], {"dtype": torch.float32})
    case(f"{name}-baddim", f"ops::{name}", fn, [T(randt((3, 5), "float32")), 2])

# norms
for dt in FLOATS:
    for shape, ns in [((4, 16), [16]), ((3, 4, 5), [4, 5]), ((3, 4, 5), [5]), ((7,), [7]), ((0, 8), [8]), ((3, 0), [0]), ((2, 3), [])]:
        x = randt(shape, dt, scale=3)
        w = randt(tuple(ns), dt); b = randt(tuple(ns), dt)
        case(f"layer_norm|{dt}|{shape}|{ns}", "ops::layer_norm", F.layer_norm, [T(x), ns, T(w), T(b)])
        case(f"layer_norm-nw|{dt}|{shape}|{ns}", "ops::layer_norm", F.layer_norm, [T(x), ns])
        case(f"rms_norm|{dt}|{shape}|{ns}", "ops::rms_norm", F.rms_norm, [T(x), ns, T(w)])
        case(f"rms_norm-nw|{dt}|{shape}|{ns}", "ops::rms_norm", F.rms_norm, [T(x), ns])
    for scale in [1e-20, 1e15, 1e20, 1e30]:
        if dt in ("float16",) and scale > 1e4: continue
        x = randt((3, 64), dt, scale=scale)
        case(f"layer_norm-scale{scale:g}|{dt}", "ops::layer_norm", F.layer_norm, [T(x), [64]])
        case(f"rms_norm-scale{scale:g}|{dt}", "ops::rms_norm", F.rms_norm, [T(x), [64]])
    x = randt((3, 64), dt) + 100
    case(f"layer_norm-offset|{dt}", "ops::layer_norm", F.layer_norm, [T(x), [64]])
    const = torch.full((2, 10), 3.5, dtype=DT[dt])
    case(f"layer_norm-const|{dt}", "ops::layer_norm", F.layer_norm, [T(const), [10]])
    case(f"rms_norm-zero|{dt}", "ops::rms_norm", F.rms_norm, [T(torch.zeros(2, 10, dtype=DT[dt])), [10]])
    case(f"layer_norm-spec|{dt}", "ops::layer_norm", F.layer_norm, [T(specials(dt, (6, 12))), [12]])
    case(f"rms_norm-spec|{dt}", "ops::rms_norm", F.rms_norm, [T(specials(dt, (6, 12))), [12]])
    case(f"layer_norm-eps|{dt}", "ops::layer_norm", lambda x, n, w, b, eps: F.layer_norm(x, n, w, b, eps), [T(randt((2, 8), dt)), [8], None, None, 0.5])
    case(f"rms_norm-eps|{dt}", "ops::rms_norm", lambda x, n, w, eps: F.rms_norm(x, n, w, eps), [T(randt((2, 8), dt)), [8], None, 0.5])
    case(f"layer_norm-view|{dt}", "ops::layer_norm", F.layer_norm, [T(randt((8, 6), dt), [("t", 0, 1)]), [8], T(randt((8,), dt), [("flip", 0)])])
    case(f"layer_norm-badshape|{dt}", "ops::layer_norm", F.layer_norm, [T(randt((8, 6), dt)), [8]])
for it in INTS:
    case(f"layer_norm-int|{it}", "ops::layer_norm", F.layer_norm, [T(randt((2, 4), it)), [4]])
    case(f"rms_norm-int|{it}", "ops::rms_norm", F.rms_norm, [T(randt((2, 4), it)), [4]])

# reductions
def s(x, dim, keepdim=False, dtype=None): return torch.sum(x, dim, keepdim, dtype=dtype)
def m(x, dim, keepdim=False, dtype=None): return torch.mean(x, dim, keepdim, dtype=dtype)
for nm, fn in [("sum", s), ("mean", m)]:
    for dt in FLOATS + INTS:
        for shape, dim, kd in [((4, 7), [1], False), ((4, 7), [0], True), ((3, 4, 5), [0, 2], False), ((3, 4, 5), [-1, 0], True), ((3, 4, 5), None, False),
                               ((3, 4, 5), [], False), ((3, 4, 5), None, True), ((), [0], False), ((), None, False), ((0, 3), [0], False), ((0, 3), None, False), ((3, 4), [1, 1], False), ((3, 4), [2], False), ((300, 3), [0], False)]:
            case(f"{nm}|{dt}|{shape}|{dim}|{kd}", f"ops::{nm}", fn, [T(randt(shape, dt, scale=4)), dim, kd])
        case(f"{nm}-view|{dt}", f"ops::{nm}", fn, [T(randt((6, 9), dt), [("t", 0, 1), ("flip", 1)]), [1]])
        case(f"{nm}-expand|{dt}", f"ops::{nm}", fn, [T(randt((1, 9), dt), [("expand", [5, 9])]), [0]])
        for odt in FLOATS + INTS:
            case(f"{nm}-dtype|{dt}->{odt}", f"ops::{nm}", lambda x, d, k, dtype, fn=fn: fn(x, d, k, dtype=dtype), [T(randt((3, 20), dt, scale=4)), [1], False], {"dtype": DT[odt]})
    for dt in FLOATS:
        case(f"{nm}-spec|{dt}", f"ops::{nm}", fn, [T(specials(dt, (5, 40))), [1]])
