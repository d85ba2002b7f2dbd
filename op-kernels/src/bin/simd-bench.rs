//! SIMD layer benchmark: GB/s per kernel and dtype, and the ratio to a copy over the same bytes measured
//! interleaved in the same run (the best of `copy_from_slice`, a plain-store copy and a non-temporal
//! copy, on the same thread count). Bytes are counted read + written.
//!
//! ```text
//! simd-bench [--json] [--quick] [--sizes 64k,4m,256m] [--threads 1,2] [--only OP]
//! simd-bench --threshold          # 1 vs 2 threads for small sizes (the split threshold)
//! simd-bench --threads-overhead   # rayon pool vs std::thread::scope
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use half::{bf16, f16};
use op_kernels::simd::{self, Element, Simd, Streaming, UnaryOp, ops, rows};

struct Copy;
impl UnaryOp for Copy {
    #[inline(always)]
    fn apply<S: Simd>(&self, _s: S, x: S::V) -> S::V {
        x
    }
}

/// Minimum time of `f` over `reps` rounds, each running it `inner` times.
fn time(inner: usize, f: &mut dyn FnMut()) -> Duration {
    let t = Instant::now();
    for _ in 0..inner {
        f();
    }
    t.elapsed() / inner as u32
}

struct Row {
    op: &'static str,
    dtype: &'static str,
    numel: usize,
    bytes: usize,
    threads: usize,
    kernel: Duration,
    limit: Duration,
    limit_kind: &'static str,
}

fn report(r: &Row, json: bool) {
    let gbps = r.bytes as f64 / r.kernel.as_secs_f64() / 1e9;
    let limit = r.bytes as f64 / r.limit.as_secs_f64() / 1e9;
    if json {
        println!(
            "{{\"kind\":\"kernel\",\"op\":\"{}\",\"dtype\":\"{}\",\"numel\":{},\"threads\":{},\"gbps\":{:.3},\"limit_gbps\":{:.3},\"limit\":\"{}\",\"ratio\":{:.3},\"isa\":\"{}\"}}",
            r.op,
            r.dtype,
            r.numel,
            r.threads,
            gbps,
            limit,
            r.limit_kind,
            gbps / limit,
            simd::Isa::active()
        );
    } else {
        println!(
            "{:<12} {:<9} {:>10} {:>9} {:>2}t {:>8.2} GB/s  limit {:>6.2} GB/s ({:<7})  ratio {:.3}",
            r.op,
            r.dtype,
            r.numel,
            human(r.bytes),
            r.threads,
            gbps,
            limit,
            r.limit_kind,
            gbps / limit
        );
    }
}

fn human(b: usize) -> String {
    if b >= 1 << 20 {
        format!("{}MiB", b >> 20)
    } else {
        format!("{}KiB", b >> 10)
    }
}

/// Measures `kernel` (moving `bytes` of traffic) against the copy references over the same bytes:
/// `src` → `dst` with `copy_bytes` = 2 × the bytes of `src`, scaled to `bytes`.
#[allow(clippy::too_many_arguments)]
fn measure<T: Element>(
    op: &'static str,
    numel: usize,
    bytes: usize,
    threads: usize,
    src: &[T],
    dst: &mut [T],
    kernel: &mut dyn FnMut(&mut [T]),
    budget: Duration,
) -> Row {
    simd::set_num_threads(threads);
    let copy_bytes = 2 * std::mem::size_of_val(src);
    let inner = (64 << 20) / bytes.max(1) + 1;
    let mut best = [Duration::MAX; 4];
    let start = Instant::now();
    let mut reps = 0;
    while reps < 3 || (start.elapsed() < budget && reps < 15) {
        simd::set_streaming(Streaming::Auto);
        best[0] = best[0].min(time(inner, &mut || kernel(dst)));
        simd::set_streaming(Streaming::Never);
        best[1] = best[1].min(time(inner, &mut || simd::unary(&Copy, src, dst).unwrap()));
        simd::set_streaming(Streaming::Always);
        best[2] = best[2].min(time(inner, &mut || simd::unary(&Copy, src, dst).unwrap()));
        if threads == 1 {
            best[3] = best[3].min(time(inner, &mut || dst.copy_from_slice(black_box(src))));
        }
        reps += 1;
    }
    simd::set_streaming(Streaming::Auto);
    // Copy time scaled to the kernel's byte count.
    let scale = bytes as f64 / copy_bytes as f64;
    let (kind, t) = [("plain", best[1]), ("nt", best[2]), ("memcpy", best[3])]
        .into_iter()
        .min_by_key(|(_, t)| *t)
        .unwrap();
    Row {
        op,
        dtype: T::DTYPE,
        numel,
        bytes,
        threads,
        kernel: best[0],
        limit: t.mul_f64(scale),
        limit_kind: kind,
    }
}

fn fill<T: Element>(n: usize) -> Vec<T> {
    (0..n)
        .map(|i| T::from_f64(((i * 7919) % 1000) as f64 / 250.0 - 2.0))
        .collect()
}

fn bench_dtype<T: Element>(
    size: usize,
    threads: usize,
    only: &Option<String>,
    json: bool,
    budget: Duration,
) {
    let n = size / size_of::<T>();
    let x = fill::<T>(n);
    let b = fill::<T>(n);
    let mut y = fill::<T>(n);
    let eb = size_of::<T>();
    let want = |op: &str| only.as_deref().is_none_or(|o| o == op);
    let mut run = |op: &'static str, bytes: usize, k: &mut dyn FnMut(&mut [T])| {
        if want(op) {
            report(&measure(op, n, bytes, threads, &x, &mut y, k, budget), json);
        }
    };
    run("mul3", 2 * n * eb, &mut |y| ops::mul3(&x, y).unwrap());
    if T::DTYPE == "float32" || T::DTYPE == "bfloat16" {
        run("add", 3 * n * eb, &mut |y| ops::add(&x, &b, y).unwrap());
        run("gelu_tanh", 2 * n * eb, &mut |y| {
            ops::gelu_tanh(&x, y).unwrap()
        });
        run("gelu_erf", 2 * n * eb, &mut |y| {
            ops::gelu_erf(&x, y).unwrap()
        });
        run("silu", 2 * n * eb, &mut |y| ops::silu(&x, y).unwrap());
        run("exp", 2 * n * eb, &mut |y| ops::exp(&x, y).unwrap());
        run("tanh", 2 * n * eb, &mut |y| ops::tanh(&x, y).unwrap());
        let cols = 4096.min(n);
        let w = fill::<T>(cols);
        let bias = fill::<T>(cols);
        run("softmax", 2 * n * eb, &mut |y| {
            rows::softmax(&x, cols, y).unwrap()
        });
        run("rms_norm", 2 * n * eb, &mut |y| {
            rows::rms_norm(&x, cols, Some(&w), None, y).unwrap()
        });
        run("layer_norm", 2 * n * eb, &mut |y| {
            rows::layer_norm(&x, cols, Some(&w), Some(&bias), 1e-5, y).unwrap()
        });
        run("sum_rows", n * eb, &mut |y| {
            rows::sum_rows(&x, cols, &mut y[..n / cols]).unwrap()
        });
    }
}

fn parse_size(s: &str) -> usize {
    let s = s.trim().to_ascii_lowercase();
    let (num, mul) = match s.chars().last() {
        Some('k') => (&s[..s.len() - 1], 1 << 10),
        Some('m') => (&s[..s.len() - 1], 1 << 20),
        Some('g') => (&s[..s.len() - 1], 1 << 30),
        _ => (&s[..], 1),
    };
    num.parse::<usize>().expect("size") * mul
}

/// 1 vs 2 threads on mul3 f32 for small sizes, with the split forced on.
fn threshold(json: bool) {
    simd::set_par_min_bytes(1);
    for kib in [16usize, 32, 64, 128, 256, 512, 1024, 2048, 4096] {
        let n = kib * 1024 / 4 / 2; // kib of traffic (read + written)
        let x = fill::<f32>(n);
        let mut y = vec![0.0f32; n];
        let inner = (256 << 20) / (kib * 1024) + 1;
        let mut best = [Duration::MAX; 2];
        for _ in 0..9 {
            for (t, b) in best.iter_mut().enumerate() {
                simd::set_num_threads(t + 1);
                *b = (*b).min(time(inner, &mut || ops::mul3(&x, &mut y).unwrap()));
            }
        }
        let speedup = best[0].as_secs_f64() / best[1].as_secs_f64();
        if json {
            println!(
                "{{\"kind\":\"threshold\",\"traffic_bytes\":{},\"t1_ns\":{},\"t2_ns\":{},\"speedup\":{speedup:.3}}}",
                kib * 1024,
                best[0].as_nanos(),
                best[1].as_nanos()
            );
        } else {
            println!(
                "traffic {:>6} KiB: 1 thread {:>9.2?}  2 threads {:>9.2?}  speedup {speedup:.2}",
                kib, best[0], best[1]
            );
        }
    }
    simd::set_par_min_bytes(simd::PAR_MIN_BYTES_PER_THREAD);
}

/// Fixed cost of splitting onto 2 threads: rayon pool vs std::thread::scope, on a tiny op.
fn threads_overhead(json: bool) {
    simd::set_par_min_bytes(1);
    simd::set_num_threads(2);
    let x = fill::<f32>(1024);
    let mut y = vec![0.0f32; 1024];
    for (name, pool) in [
        ("rayon", simd::Pool::Rayon),
        ("scoped", simd::Pool::Scoped),
        ("rayon", simd::Pool::Rayon),
    ] {
        simd::set_pool(pool);
        let mut best = Duration::MAX;
        for _ in 0..20 {
            best = best.min(time(200, &mut || ops::mul3(&x, &mut y).unwrap()));
        }
        if json {
            println!(
                "{{\"kind\":\"threads_overhead\",\"pool\":\"{name}\",\"ns\":{}}}",
                best.as_nanos()
            );
        } else {
            println!("2-thread split of a 1024-element mul3 with {name}: {best:?}");
        }
    }
    simd::set_pool(simd::Pool::Rayon);
    simd::set_par_min_bytes(simd::PAR_MIN_BYTES_PER_THREAD);
    simd::set_num_threads(0);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    if args.iter().any(|a| a == "--threshold") {
        return threshold(json);
    }
    if args.iter().any(|a| a == "--threads-overhead") {
        return threads_overhead(json);
    }
    let quick = args.iter().any(|a| a == "--quick");
    let sizes: Vec<usize> = value("--sizes")
        .unwrap_or_else(|| {
            if quick {
                "64k,4m".into()
            } else {
                "64k,4m,256m".into()
            }
        })
        .split(',')
        .map(parse_size)
        .collect();
    let threads: Vec<usize> = value("--threads")
        .unwrap_or_else(|| "1,2".into())
        .split(',')
        .map(|s| s.parse().unwrap())
        .collect();
    let dtypes: Vec<String> = value("--dtypes")
        .unwrap_or_else(|| "f32,f16,bf16,f64".into())
        .split(',')
        .map(String::from)
        .collect();
    let only = value("--only");
    let budget = Duration::from_millis(if quick { 100 } else { 250 });
    if !json {
        println!(
            "isa {} (detected {}), bytes = read + written; limit = best copy over the same bytes",
            simd::Isa::active(),
            simd::Isa::detect()
        );
    }
    for &size in &sizes {
        for &t in &threads {
            for d in &dtypes {
                match d.as_str() {
                    "f32" => bench_dtype::<f32>(size, t, &only, json, budget),
                    "f16" => bench_dtype::<f16>(size, t, &only, json, budget),
                    "bf16" => bench_dtype::<bf16>(size, t, &only, json, budget),
                    "f64" => bench_dtype::<f64>(size, t, &only, json, budget),
                    other => panic!("unknown dtype {other}"),
                }
            }
        }
    }
    simd::set_num_threads(0);
}
