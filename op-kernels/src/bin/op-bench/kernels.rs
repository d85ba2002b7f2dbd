//! Kernel rows: GB/s of each built-in op through its typed out wrapper (`ops::exp::out(&x, &mut
//! out)` with a reused output, so allocation does not dominate), against the memory-bandwidth
//! limit measured interleaved in the same run: the faster of a plain-store and a non-temporal-store
//! copy (the SIMD layer's copy kernel) over the same number of bytes, on the same thread count.
//! Bytes are counted read + written. One row per size also goes through the functional call
//! (`my_ops::mul3` allocating its output each time), to show what allocation costs.
//!
//! `matmul`/`linear` are compute-bound: their rows report GFLOP/s instead (`kind: "matmul"`).

use std::hint::black_box;
use std::time::{Duration, Instant};

use half::{bf16, f16};
use op_kernels::simd::{self, Simd, Streaming, UnaryOp};
use op_kernels::{ops, seed};
use op_runtime::{DType, Device, Result, Scalar, Tensor};

/// Which rows to run.
pub struct Options {
    pub json: bool,
    pub sizes: Vec<usize>,
    pub threads: Vec<usize>,
    pub dtypes: Vec<DType>,
    pub only_op: Option<String>,
}

impl Options {
    /// Defaults: 64 KiB (in L2), 4 MiB, 256 MiB per input; 1 and 2 threads; every float dtype.
    pub fn new(json: bool, quick: bool) -> Options {
        let sizes = if quick {
            vec![64 << 10, 4 << 20]
        } else {
            vec![64 << 10, 4 << 20, 256 << 20]
        };
        Options {
            json,
            sizes,
            threads: vec![1, 2],
            dtypes: vec![DType::F32, DType::F16, DType::BF16, DType::F64],
            only_op: None,
        }
    }
}

struct Copy;
impl UnaryOp for Copy {
    #[inline(always)]
    fn apply<S: Simd>(&self, _s: S, x: S::V) -> S::V {
        x
    }
}

/// Mean time of `inner` runs of `f`.
fn time(inner: usize, f: &mut dyn FnMut() -> Result<()>) -> Result<Duration> {
    let t = Instant::now();
    for _ in 0..inner {
        f()?;
    }
    Ok(t.elapsed() / inner as u32)
}

fn short(dtype: DType) -> &'static str {
    match dtype {
        DType::F32 => "f32",
        DType::F64 => "f64",
        DType::F16 => "f16",
        DType::BF16 => "bf16",
        other => other.name(),
    }
}

fn human(b: usize) -> String {
    if b >= 1 << 20 {
        format!("{}MiB", b >> 20)
    } else {
        format!("{}KiB", b >> 10)
    }
}

/// A benchmarked call: `(x, b, weight, bias, out, row_out)`.
type CaseFn = fn(&Tensor, &Tensor, &Tensor, &Tensor, &mut Tensor, &mut Tensor) -> Result<()>;

/// One op to measure: its name, the bytes one call moves, and the call.
struct Case<'a> {
    op: &'static str,
    path: &'static str,
    bytes: usize,
    run: Box<dyn FnMut() -> Result<()> + 'a>,
}

/// The copy reference over `src` → `dst`, both of the kernel's element type.
fn copy_times<T: simd::Element>(src: &[T], dst: &mut [T], inner: usize, best: &mut [Duration; 2]) {
    for (slot, mode) in [(0, Streaming::Never), (1, Streaming::Always)] {
        simd::set_streaming(mode);
        let t = Instant::now();
        for _ in 0..inner {
            simd::unary(&Copy, black_box(src), dst).expect("same lengths");
        }
        best[slot] = best[slot].min(t.elapsed() / inner as u32);
    }
    simd::set_streaming(Streaming::Auto);
}

/// What one row measured.
struct Measured {
    dtype: DType,
    numel: usize,
    threads: usize,
    kernel: Duration,
    limit: Duration,
    limit_kind: &'static str,
}

fn report(o: &Options, case: &Case<'_>, m: &Measured) {
    let Measured {
        dtype,
        numel,
        threads,
        kernel,
        limit,
        limit_kind,
    } = *m;
    let gbps = case.bytes as f64 / kernel.as_secs_f64() / 1e9;
    let limit_gbps = case.bytes as f64 / limit.as_secs_f64() / 1e9;
    if o.json {
        println!(
            "{{\"kind\":\"kernel\",\"op\":\"{}\",\"path\":\"{}\",\"dtype\":\"{}\",\"numel\":{numel},\"bytes\":{},\"threads\":{threads},\"gbps\":{gbps:.3},\"limit_gbps\":{limit_gbps:.3},\"limit\":\"{limit_kind}\",\"ratio\":{:.3},\"isa\":\"{}\"}}",
            case.op,
            case.path,
            short(dtype),
            case.bytes,
            gbps / limit_gbps,
            simd::Isa::active()
        );
    } else {
        println!(
            "{:<22} {:<4} {:<5} {:>8} {}t {:>8.2} GB/s  limit {:>6.2} GB/s ({:<5})  ratio {:.3}",
            case.op,
            case.path,
            short(dtype),
            human(case.bytes),
            threads,
            gbps,
            limit_gbps,
            limit_kind,
            gbps / limit_gbps
        );
    }
}

fn fill<T: simd::Element + op_runtime::Element>(
    n: usize,
    shape: &[usize],
    seed: usize,
) -> Result<Tensor> {
    let v: Vec<T> = (0..n)
        .map(|i| simd::Element::from_f64((((i + seed) * 7919) % 1000) as f64 / 250.0 - 2.0))
        .collect();
    Tensor::from_vec(v, shape)
}

/// Every elementwise and row op at one size, dtype and thread count.
fn bench_dtype<T: simd::Element + op_runtime::Element>(
    o: &Options,
    size: usize,
    threads: usize,
) -> Result<()> {
    let dtype = <T as op_runtime::Element>::DTYPE;
    let eb = dtype.size_in_bytes();
    let n = size / eb;
    let cols = 4096.min(n);
    let rows = n / cols;
    let n = rows * cols;
    let shape = [rows, cols];
    let x = fill::<T>(n, &shape, 0)?;
    let b = fill::<T>(n, &shape, 1)?;
    let w = fill::<T>(cols, &[cols], 2)?;
    let bias = fill::<T>(cols, &[cols], 3)?;
    let mut y = Tensor::zeros(&shape, dtype, Device::Cpu)?;
    let mut r = Tensor::zeros(&[rows], dtype, Device::Cpu)?;
    // The copy reference's own buffers (the kernel's output is borrowed by its case).
    let src = fill::<T>(n, &[n], 4)?;
    let mut dst = Tensor::zeros(&[n], dtype, Device::Cpu)?;
    let two = 2 * n * eb;
    let three = 3 * n * eb;
    {
        // Each case's closure borrows the outputs mutably; cases run (and drop) one at a time.
        let (y, r) = (&mut y, &mut r);
        let (x, b, w, bias) = (&x, &b, &w, &bias);
        let cases: Vec<(&str, &str, usize, CaseFn)> = vec![
            ("my_ops::mul3", "out", two, |x, _, _, _, y, _| {
                seed::mul3::out(x, y)
            }),
            ("my_ops::mul3", "call", two, |x, _, _, _, _, _| {
                seed::mul3::call(x).map(drop)
            }),
            ("ops::mul.Tensor", "out", three, |x, b, _, _, y, _| {
                ops::mul_tensor::out(x, b, y)
            }),
            ("ops::add.Tensor", "out", three, |x, b, _, _, y, _| {
                ops::add_tensor::out(x, b, Scalar::Int(1), y)
            }),
            ("ops::add.Scalar", "out", two, |x, _, _, _, y, _| {
                ops::add_scalar::out(x, Scalar::Float(0.5), Scalar::Int(1), y)
            }),
            ("ops::relu", "out", two, |x, _, _, _, y, _| {
                ops::relu::out(x, y)
            }),
            ("ops::neg", "out", two, |x, _, _, _, y, _| {
                ops::neg::out(x, y)
            }),
            ("ops::exp", "out", two, |x, _, _, _, y, _| {
                ops::exp::out(x, y)
            }),
            ("ops::sigmoid", "out", two, |x, _, _, _, y, _| {
                ops::sigmoid::out(x, y)
            }),
            ("ops::silu", "out", two, |x, _, _, _, y, _| {
                ops::silu::out(x, y)
            }),
            ("ops::tanh", "out", two, |x, _, _, _, y, _| {
                ops::tanh::out(x, y)
            }),
            ("ops::gelu(tanh)", "out", two, |x, _, _, _, y, _| {
                ops::gelu::out(x, "tanh", y)
            }),
            ("ops::gelu(none)", "out", two, |x, _, _, _, y, _| {
                ops::gelu::out(x, "none", y)
            }),
            ("ops::softmax.int", "out", two, |x, _, _, _, y, _| {
                ops::softmax::out(x, -1, None, y)
            }),
            ("ops::log_softmax.int", "out", two, |x, _, _, _, y, _| {
                ops::log_softmax::out(x, -1, None, y)
            }),
            ("ops::rms_norm", "out", two, |x, _, w, _, y, _| {
                ops::rms_norm::out(x, &[w.numel() as i64], Some(w), None, y)
            }),
            ("ops::layer_norm", "out", two, |x, _, w, bias, y, _| {
                ops::layer_norm::out(x, &[w.numel() as i64], Some(w), Some(bias), 1e-5, true, y)
            }),
            ("ops::sum.dim_IntList", "out", 0, |x, _, _, _, _, r| {
                ops::sum::out(x, Some(&[-1]), false, None, r)
            }),
        ];
        for (op, path, bytes, f) in cases {
            if o.only_op.as_deref().is_some_and(|s| !op.contains(s)) {
                continue;
            }
            // f64 transcendentals run libm lane by lane: skip them at the largest size (minutes).
            if dtype == DType::F64
                && size > (64 << 20)
                && ["exp", "sigmoid", "silu", "tanh", "gelu", "softmax"]
                    .iter()
                    .any(|s| op.contains(s))
            {
                continue;
            }
            let bytes = if bytes == 0 {
                n * eb + rows * eb
            } else {
                bytes
            };
            let case = Case {
                op,
                path,
                bytes,
                run: Box::new(|| f(x, b, w, bias, &mut *y, &mut *r)),
            };
            measure::<T>(o, case, dtype, n, threads, &src, &mut dst)?;
        }
    }
    Ok(())
}

fn measure<T: simd::Element + op_runtime::Element>(
    o: &Options,
    mut case: Case<'_>,
    dtype: DType,
    numel: usize,
    threads: usize,
    src: &Tensor,
    dst: &mut Tensor,
) -> Result<()> {
    simd::set_num_threads(threads);
    let copy_bytes = 2 * src.nbytes();
    let inner = ((64 << 20) / case.bytes.max(1)).clamp(1, 2000);
    let reps = if case.bytes >= (256 << 20) { 3 } else { 7 };
    let (budget, start) = (Duration::from_millis(300), Instant::now());
    let mut best = Duration::MAX;
    let mut copies = [Duration::MAX; 2];
    (case.run)()?; // warm up (page faults of a fresh output, lazy registry)
    let mut rep = 0;
    while rep < reps || (start.elapsed() < budget && rep < 15) {
        simd::set_streaming(Streaming::Auto);
        best = best.min(time(inner, &mut case.run)?);
        let s = src.as_slice::<T>()?;
        let mut d = dst.as_mut_slice::<T>()?;
        copy_times::<T>(&s, &mut d, inner, &mut copies);
        rep += 1;
    }
    let scale = case.bytes as f64 / copy_bytes as f64;
    let (kind, limit) = if copies[0] <= copies[1] {
        ("plain", copies[0])
    } else {
        ("nt", copies[1])
    };
    let m = Measured {
        dtype,
        numel,
        threads,
        kernel: best,
        limit: limit.mul_f64(scale),
        limit_kind: kind,
    };
    report(o, &case, &m);
    Ok(())
}

/// GFLOP/s of matmul and linear (compute-bound: no bandwidth ratio).
fn bench_matmul(o: &Options, threads: usize) -> Result<()> {
    simd::set_num_threads(threads);
    for &dtype in &o.dtypes {
        for op in ["ops::matmul", "ops::linear"] {
            if o.only_op.as_deref().is_some_and(|s| !op.contains(s)) {
                continue;
            }
            let (m, k, n) = (512usize, 512, 512);
            let a = Tensor::from_vec(vec![0.5f32; m * k], &[m, k])?.to_dtype(dtype)?;
            let b = Tensor::from_vec(vec![0.25f32; k * n], &[k, n])?.to_dtype(dtype)?;
            let mut out = Tensor::zeros(&[m, n], dtype, Device::Cpu)?;
            let mut run = || -> Result<()> {
                if op == "ops::matmul" {
                    ops::matmul::out(&a, &b, &mut out)
                } else {
                    ops::linear::out(&a, &b, None, &mut out)
                }
            };
            run()?;
            let mut best = Duration::MAX;
            for _ in 0..5 {
                best = best.min(time(3, &mut run)?);
            }
            let gflops = 2.0 * (m * n * k) as f64 / best.as_secs_f64() / 1e9;
            if o.json {
                println!(
                    "{{\"kind\":\"matmul\",\"op\":\"{op}\",\"dtype\":\"{}\",\"m\":{m},\"k\":{k},\"n\":{n},\"threads\":{threads},\"gflops\":{gflops:.2}}}",
                    short(dtype)
                );
            } else {
                println!(
                    "{op:<22} {:<5} {m}x{k}x{n} {threads}t {gflops:>8.2} GFLOP/s",
                    short(dtype)
                );
            }
        }
    }
    Ok(())
}

/// Runs every kernel row.
pub fn run(o: &Options) -> Result<()> {
    if !o.json {
        println!(
            "isa {} (detected {}); bytes = read + written; limit = best of a plain and a non-temporal copy over the same bytes, same threads",
            simd::Isa::active(),
            simd::Isa::detect()
        );
    }
    for &size in &o.sizes {
        for &t in &o.threads {
            for &d in &o.dtypes {
                match d {
                    DType::F32 => bench_dtype::<f32>(o, size, t)?,
                    DType::F16 => bench_dtype::<f16>(o, size, t)?,
                    DType::BF16 => bench_dtype::<bf16>(o, size, t)?,
                    DType::F64 => bench_dtype::<f64>(o, size, t)?,
                    _ => {}
                }
            }
        }
    }
    for &t in &o.threads {
        bench_matmul(o, t)?;
    }
    simd::set_num_threads(0);
    Ok(())
}
