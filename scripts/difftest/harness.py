"""Differential test: opkit (by-name calls through the Rust runner) against PyTorch, bitwise/ULP."""
import json, math, os, subprocess, sys, random, collections
import torch, numpy as np

torch.set_num_threads(1)
RUNNER = os.environ.get("OPKIT_DIFFTEST_RUNNER", "runner/target/debug/opkit-difftest-runner")
DT = {"float32": torch.float32, "float64": torch.float64, "float16": torch.float16, "bfloat16": torch.bfloat16,
      "int64": torch.int64, "int32": torch.int32, "int16": torch.int16, "int8": torch.int8, "uint8": torch.uint8, "bool": torch.bool}
RDT = {v: k for k, v in DT.items()}
FLOATS = ["float32", "float64", "float16", "bfloat16"]
INTS = ["int64", "int32", "int16", "int8", "uint8", "bool"]

def bits_of(t):
    t = t.contiguous().reshape(-1)
    if t.dtype == torch.float32: return [x & 0xffffffff for x in t.view(torch.int32).tolist()]
    if t.dtype == torch.float64: return [x & 0xffffffffffffffff for x in t.view(torch.int64).tolist()]
    if t.dtype in (torch.float16, torch.bfloat16): return [x & 0xffff for x in t.view(torch.int16).tolist()]
    return [int(x) for x in t.tolist()]

class T:
    """A tensor argument: base values, dtype, optional view steps (applied on both sides)."""
    def __init__(self, base, view=()):
        self.base, self.view = base, list(view)
    def torch(self):
        t = self.base.clone()
        for s in self.view:
            if s[0] == "t": t = t.transpose(s[1], s[2])
            elif s[0] == "flip": t = t.flip(s[1])
            elif s[0] == "narrow": t = t.narrow(s[1], s[2], s[3])
            elif s[0] == "slice":
                idx = [slice(None)] * t.dim(); idx[s[1]] = slice(s[2], s[3], s[4]); t = t[tuple(idx)]
            elif s[0] == "expand": t = t.expand(*s[1])
        return t
    def spec(self):
        d = {"dtype": RDT[self.base.dtype], "shape": list(self.base.shape), "bits": bits_of(self.base)}
        if self.view: d["view"] = [list(s) for s in self.view]
        return {"t": d}

def arg_spec(a):
    if isinstance(a, T): return a.spec()
    if a is None: return {"none": True}
    if isinstance(a, bool): return {"b": a}
    if isinstance(a, int): return {"i": a}
    if isinstance(a, float):
        if math.isnan(a): return {"f": "nan"}
        if math.isinf(a): return {"f": "inf" if a > 0 else "-inf"}
        return {"f": str(np.float64(a).view(np.uint64))}
    if isinstance(a, str): return {"s": a}
    if isinstance(a, torch.dtype): return {"dt": RDT[a]}
    if isinstance(a, list) and all(isinstance(x, int) for x in a): return {"il": a}
    raise TypeError(a)

def targ(a):
    return a.torch() if isinstance(a, T) else a

CASES = []
def case(tag, op, fn, args, kwargs=None):
    CASES.append(dict(tag=tag, op=op, fn=fn, args=args, kwargs=kwargs or {}))

def randt(shape, dtype, kind="normal", scale=1.0, gen=None):
    g = gen or torch.Generator().manual_seed(random.randrange(1 << 30))
    if dtype in INTS:
        if dtype == "bool": return torch.randint(0, 2, shape, generator=g).bool()
        lo, hi = {"uint8": (0, 256), "int8": (-128, 128), "int16": (-300, 300), "int32": (-1000, 1000), "int64": (-1000, 1000)}[dtype]
        return torch.randint(lo, hi, shape, generator=g).to(DT[dtype])
    x = torch.randn(shape, generator=g, dtype=torch.float64) * scale
    return x.to(DT[dtype])

def ulp_dist(a, b, dtype):
    """ULP distance between two float tensors of one dtype, elementwise (NaN==NaN)."""
    if dtype == torch.float64: ia, ib = a.view(torch.int64).numpy().astype(object), b.view(torch.int64).numpy().astype(object)
    elif dtype == torch.float32: ia, ib = a.view(torch.int32).numpy().astype(np.int64), b.view(torch.int32).numpy().astype(np.int64)
    else: ia, ib = a.view(torch.int16).numpy().astype(np.int64), b.view(torch.int16).numpy().astype(np.int64)
    def ordered(i, width):
        i = np.array(i, dtype=object)
        return np.array([x if x >= 0 else -(x + (1 << (width - 1))) for x in i.reshape(-1)], dtype=object)
    width = {torch.float64: 64, torch.float32: 32}.get(dtype, 16)
    oa, ob = ordered(ia, width), ordered(ib, width)
    d = np.abs(oa - ob)
    na, nb = torch.isnan(a).reshape(-1).numpy(), torch.isnan(b).reshape(-1).numpy()
    d = np.where(na & nb, 0, d)
    d = np.where(na ^ nb, 10**30, d)
    return d

def run():
    lines = []
    for i, c in enumerate(CASES):
        j = {"id": i, "op": c["op"], "args": [arg_spec(a) for a in c["args"]]}
        if c["kwargs"]: j["kwargs"] = {k: arg_spec(v) for k, v in c["kwargs"].items()}
        lines.append(json.dumps(j))
    p = subprocess.run([RUNNER], input="\n".join(lines) + "\n", capture_output=True, text=True)
    if p.returncode != 0:
        print(p.stderr[-3000:]); sys.exit(1)
    outs = [json.loads(l) for l in p.stdout.splitlines()]
    stats = collections.defaultdict(lambda: [0, 0, None])
    problems = []
    for c, o in zip(CASES, outs):
        try:
            ref = c["fn"](*[targ(a) for a in c["args"]], **{k: targ(v) for k, v in c["kwargs"].items()})
            rerr = None
        except Exception as e:
            ref, rerr = None, f"{type(e).__name__}: {str(e).splitlines()[0][:150]}"
        if "err" in o or rerr is not None:
            if "err" in o and rerr is not None: continue
            problems.append((c["tag"], "ERROR-MISMATCH", "opkit: " + o.get("err", "ok")[:200], "torch: " + str(rerr)))
            continue
        ok = o["ok"]
        if ok["dtype"] != RDT[ref.dtype] or ok["shape"] != list(ref.shape):
            problems.append((c["tag"], "META", f"opkit {ok['dtype']}{ok['shape']}", f"torch {RDT[ref.dtype]}{list(ref.shape)}"))
            continue
        mine = T_from(ok)
        key = (c["tag"].split("|")[0], ok["dtype"])
        st = stats[key]; st[0] += 1
        if ref.dtype.is_floating_point:
            d = ulp_dist(mine.reshape(-1), ref.contiguous().reshape(-1), ref.dtype) if ref.numel() else np.zeros(0)
            m = int(max(d)) if len(d) else 0
            zsign = bool(((mine.reshape(-1) == 0) & (ref.reshape(-1) == 0) & (torch.signbit(mine.reshape(-1)) != torch.signbit(ref.reshape(-1)))).any()) if ref.numel() else False
            if ref.dtype != torch.float64 and ref.numel():
                try:
                    r64 = c["fn"](*[targ(a).double() if isinstance(a, T) and targ(a).dtype.is_floating_point else (targ(a).double() if isinstance(a, T) and c.get("refint") else targ(a)) for a in c["args"]], **{k: (v if not isinstance(v, torch.dtype) else torch.float64) for k, v in c["kwargs"].items()}).to(ref.dtype)
                    dm = ulp_dist(mine.reshape(-1), r64.contiguous().reshape(-1), ref.dtype); dt_ = ulp_dist(ref.contiguous().reshape(-1), r64.contiguous().reshape(-1), ref.dtype)
                    st.append((int(max(dm)), int(max(dt_))))
                except Exception as e:
                    pass
            if m > 0 or zsign:
                st[1] = max(st[1], m)
                k = int(np.argmax(d)) if len(d) else 0
                ex = (c["tag"], m, float(mine.reshape(-1)[k]), float(ref.reshape(-1)[k]), "zsign" if zsign else "")
                if st[2] is None or m > st[2][1]: st[2] = ex
        else:
            if not torch.equal(mine, ref):
                k = int((mine != ref).reshape(-1).nonzero()[0])
                problems.append((c["tag"], "INT-DIFF", int(mine.reshape(-1)[k]), int(ref.reshape(-1)[k])))
    for k in sorted(stats):
        n, m, ex = stats[k][:3]
        refs = stats[k][3:]
        rs = f" vsref opkit={max(r[0] for r in refs)} torch={max(r[1] for r in refs)}" if refs else ""
        print(f"{k[0]:28s} {k[1]:9s} cases={n:4d} max_ulp={m}{rs} {ex if ex else ''}")
    print(f"--- {len(problems)} problems")
    seen = collections.Counter()
    for p in problems:
        key = (p[0].split("|")[0], p[1])
        seen[key] += 1
        if seen[key] <= 4: print(p)
    for k, v in seen.items():
        if v > 4: print("   ...", k, v, "in all")

def T_from(ok):
    dt = DT[ok["dtype"]]; shape = ok["shape"]; b = ok["bits"]
    if dt == torch.float32: return torch.tensor(np.array(b, dtype=np.uint32).view(np.float32)).reshape(shape)
    if dt == torch.float64: return torch.tensor(np.array(b, dtype=np.uint64).view(np.float64)).reshape(shape)
    if dt in (torch.float16, torch.bfloat16): return torch.tensor(np.array(b, dtype=np.uint16).view(np.int16)).view(dt).reshape(shape)
    return torch.tensor(b, dtype=torch.int64).to(dt).reshape(shape)
