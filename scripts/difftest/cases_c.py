import sys, os; sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import *
import torch.nn.functional as F
random.seed(3)
for dt in FLOATS:
    for nm, fn in [("add", torch.add), ("mul", torch.mul), ("div", torch.div)]:
        for sa, sb, va, vb in [((300, 1000), (1000,), [], []), ((300, 1, 70), (1, 90, 70), [], []), ((4, 1000), (1000, 4), [], [("t", 0, 1)]),
                               ((0, 5), (5,), [], []), ((7, 300), (300, 7), [("t", 0, 1)], [("flip", 0)]), ((2, 3, 4, 5), (5, 1, 4, 1), [], [("slice", 1, 0, 1, 1)])]:
            a, b = T(randt(sa, dt, scale=3), va), T(randt(sb, dt, scale=3), vb)
            case(f"{nm}-bc|{dt}|{sa}|{sb}", f"ops::{nm}", fn, [a, b])
    for nm, fn in [("exp", torch.exp), ("tanh", torch.tanh), ("sigmoid", torch.sigmoid), ("silu", F.silu), ("gelu", F.gelu), ("log", torch.log), ("relu", torch.relu)]:
        case(f"{nm}-big|{dt}", f"ops::{nm}", fn, [T(randt((400, 1000), dt, scale=4))])
        case(f"{nm}-bigview|{dt}", f"ops::{nm}", fn, [T(randt((1000, 400), dt, scale=4), [("t", 0, 1)])])
    case(f"softmax-big0|{dt}", "ops::softmax", torch.softmax, [T(randt((3000, 70), dt, scale=4)), 0])
    case(f"softmax-big1|{dt}", "ops::softmax", torch.softmax, [T(randt((70, 3000), dt, scale=4)), 1])
    case(f"log_softmax-mid|{dt}", "ops::log_softmax", torch.log_softmax, [T(randt((20, 300, 30), dt, scale=4)), 1])
    w, b = randt((3000,), dt), randt((3000,), dt)
    case(f"layer_norm-big|{dt}", "ops::layer_norm", F.layer_norm, [T(randt((100, 3000), dt, scale=2)), [3000], T(w), T(b)])
    case(f"rms_norm-big|{dt}", "ops::rms_norm", F.rms_norm, [T(randt((100, 3000), dt, scale=2)), [3000], T(w)])
    case(f"sum-big|{dt}", "ops::sum", lambda x, d: torch.sum(x, d), [T(randt((500, 700), dt)), [0]])
    case(f"mean-big|{dt}", "ops::mean", lambda x, d: torch.mean(x, d), [T(randt((500, 700), dt)), [1]])
    case(f"sum-all|{dt}", "ops::sum", lambda x, d: torch.sum(x, d), [T(randt((500, 700), dt)), None])
    case(f"matmul-big|{dt}", "ops::matmul", torch.matmul, [T(randt((3, 130, 70), dt)), T(randt((70, 90), dt))])
for it in ["int32", "int64", "uint8", "int8"]:
    case(f"add-big|{it}", "ops::add", torch.add, [T(randt((300, 1000), it)), T(randt((1000,), it))])
    case(f"mul-big|{it}", "ops::mul", torch.mul, [T(randt((300, 1000), it)), T(randt((1000,), it))])
    case(f"sum-big|{it}", "ops::sum", lambda x, d: torch.sum(x, d), [T(randt((500, 700), it)), [0]])
    case(f"exp-big|{it}", "ops::exp", torch.exp, [T(randt((300, 100), it))])
    case(f"div-big|{it}", "ops::div", torch.div, [T(randt((300, 100), it)), T(randt((100,), it).clamp(min=1))])

