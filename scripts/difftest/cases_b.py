import sys, os; sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import *
import torch.nn.functional as F
random.seed(2)

# unary ops on every dtype (integers and bool included: PyTorch promotes some to float32)
UN = [("neg", torch.neg), ("abs", torch.abs), ("relu", torch.relu), ("exp", torch.exp), ("log", torch.log), ("tanh", torch.tanh),
      ("sigmoid", torch.sigmoid), ("silu", F.silu), ("gelu", F.gelu)]
for nm, fn in UN:
    for dt in FLOATS + INTS:
        x = randt((5, 7), dt, scale=3)
        if dt == "int8": x.reshape(-1)[0] = -128
        if dt == "int64": x.reshape(-1)[0] = -2**63
        case(f"{nm}|{dt}", f"ops::{nm}", fn, [T(x)])
        case(f"{nm}-0d|{dt}", f"ops::{nm}", fn, [T(randt((), dt))])
        case(f"{nm}-view|{dt}", f"ops::{nm}", fn, [T(randt((5, 7), dt), [("t", 0, 1), ("slice", 0, 0, 7, 2)])])
for ap in ["tanh", "none", "bogus"]:
    case(f"gelu-{ap}", "ops::gelu", lambda x, approximate: F.gelu(x, approximate=approximate), [T(randt((4, 4), "float32"))], {"approximate": ap})

# binary ops: integer/bool combinations, scalars
BIN = [("add", torch.add), ("sub", torch.sub), ("mul", torch.mul), ("div", torch.div)]
for nm, fn in BIN:
    for a in FLOATS + INTS:
        for b in FLOATS + INTS:
            x, y = randt((3, 4), a, scale=5), randt((4,), b, scale=5)
            if b not in ("bool", "uint8") and b in INTS: y[y == 0] = 1
            case(f"{nm}.T|{a}|{b}", f"ops::{nm}", fn, [T(x), T(y)])
            case(f"{nm}.T0d|{a}|{b}", f"ops::{nm}", fn, [T(x), T(randt((), b, scale=5) + (0 if b in ('bool',) else 0))])
        for sc in [3, -2, 2.5, True, 1e10, 0, 0.0]:
            if nm == "div" and sc in (0, 0.0) and a in INTS: pass
            case(f"{nm}.S|{a}|{sc!r}", f"ops::{nm}", fn, [T(randt((3, 4), a, scale=5)), sc])
    for a in ["int32", "uint8", "float16", "float32"]:
        if nm in ("add", "sub"):
            for al in [2, -1, 0.5, 300]:
                case(f"{nm}-alpha|{a}|{al}", f"ops::{nm}", lambda x, y, alpha, fn=fn: fn(x, y, alpha=alpha), [T(randt((3,), a)), T(randt((3,), a))], {"alpha": al})
# integer division by zero tensor (true division: inf/nan)
case("div.T|int-zero", "ops::div", torch.div, [T(torch.tensor([1, 0, -3, 5], dtype=torch.int32)), T(torch.tensor([0, 0, 0, 2], dtype=torch.int32))])
case("div.S|int-zero", "ops::div", torch.div, [T(torch.tensor([1, 0, -3], dtype=torch.int32)), 0])

# matmul / linear
for dt in FLOATS + ["int64", "int32"]:
    for sa, sb in [((5,), (5,)), ((3, 5), (5,)), ((5,), (5, 4)), ((3, 5), (5, 4)), ((2, 3, 5), (5, 4)), ((2, 1, 3, 5), (4, 5, 2)), ((0, 5), (5, 3)), ((3, 0), (0, 4)), ((3, 5), (4, 2)), ((), (3,))]:
        case(f"matmul|{dt}|{sa}|{sb}", "ops::matmul", torch.matmul, [T(randt(sa, dt)), T(randt(sb, dt))])
    case(f"matmul-view|{dt}", "ops::matmul", torch.matmul, [T(randt((5, 3), dt), [("t", 0, 1)]), T(randt((4, 5), dt), [("t", 0, 1)])])
    for sx, sw, sbias in [((3, 5), (4, 5), (4,)), ((2, 3, 5), (4, 5), None), ((5,), (4, 5), (4,)), ((3, 5), (5,), None), ((3, 5), (4, 5), ()), ((3, 5), (4, 5), (3, 4)), ((3, 5), (4, 6), None)]:
        args = [T(randt(sx, dt)), T(randt(sw, dt))] + ([T(randt(sbias, dt))] if sbias is not None else [])
        case(f"linear|{dt}|{sx}|{sw}|{sbias}", "ops::linear", F.linear, args)
case("matmul-mixed", "ops::matmul", torch.matmul, [T(randt((3, 5), "float32")), T(randt((5, 2), "float64"))])
case("linear-mixed", "ops::linear", F.linear, [T(randt((3, 5), "float16")), T(randt((2, 5), "float32"))])
