//! Dispatch rows: the cost of calling an 8-element op through each path, against calling its
//! kernel directly. Every path runs the same kernel and allocates its output the same way, so the
//! differences are the dispatcher's.
//!
//! - `direct`: allocate the output, call the kernel fn;
//! - `typed`: the generated wrapper `bench_mul3::call(&x)` (dispatch by device and dtype);
//! - `handle`: `OpHandle::call(&[Value])` (boxed: bind, type-check, dispatch);
//! - `name`: `Registry::call("bench::mul3", &[Value])` (name lookup, then as `handle`).

use std::hint::black_box;
use std::time::Instant;

use op_macros::custom_op;
use op_runtime::{DType, Device, Registry, Result, Tensor, Value};

/// The kernel: `out = 3x` over contiguous f32.
fn mul3_kernel(x: &Tensor, out: &mut Tensor) -> Result<()> {
    let x = x.as_slice::<f32>()?;
    let mut out = out.as_mut_slice::<f32>()?;
    for (o, v) in out.iter_mut().zip(x.iter()) {
        *o = 3.0 * v;
    }
    Ok(())
}

#[custom_op("bench::mul3(Tensor x) -> Tensor", dtypes(f32))]
fn bench_mul3(x: &Tensor, out: &mut Tensor) -> Result<()> {
    mul3_kernel(x, out)
}

/// Median over `rounds` of the mean ns per call over `iters` calls.
fn time_ns(rounds: usize, iters: usize, f: &mut dyn FnMut()) -> f64 {
    let mut samples: Vec<f64> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iters {
                f();
            }
            start.elapsed().as_nanos() as f64 / iters as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

pub fn run(json: bool, quick: bool) -> Result<()> {
    let registry = Registry::global()?;
    let handle = registry.find("bench::mul3")?;
    let x = Tensor::from_vec(vec![1.0f32; 8], &[8])?;
    let args = [Value::from(&x)];

    // Check each path once before timing it.
    let expected = vec![3.0f32; 8];
    assert_eq!(bench_mul3::call(&x)?.to_vec::<f32>()?, expected);
    assert_eq!(
        handle.call(&args)?[0]
            .as_tensor()
            .map(|t| t.to_vec::<f32>()),
        Some(Ok(expected.clone()))
    );

    let mut direct = || {
        let mut out = Tensor::empty(&[8], DType::F32, Device::Cpu).unwrap();
        mul3_kernel(black_box(&x), &mut out).unwrap();
        black_box(out);
    };
    let mut typed = || {
        black_box(bench_mul3::call(black_box(&x)).unwrap());
    };
    let mut by_handle = || {
        black_box(handle.call(black_box(&args)).unwrap());
    };
    let mut by_name = || {
        black_box(
            registry
                .call(black_box("bench::mul3"), black_box(&args))
                .unwrap(),
        );
    };
    // Interleaved rounds, so a burst of noise hits every path alike.
    let (rounds, iters) = if quick { (5, 2_000) } else { (31, 20_000) };
    let mut results = [Vec::new(), Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..rounds {
        results[0].push(time_ns(1, iters, &mut direct));
        results[1].push(time_ns(1, iters, &mut typed));
        results[2].push(time_ns(1, iters, &mut by_handle));
        results[3].push(time_ns(1, iters, &mut by_name));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let direct_ns = median(&mut results[0]);
    for (path, samples) in ["direct", "typed", "handle", "name"]
        .iter()
        .zip(results.iter_mut())
    {
        let ns = median(samples);
        if json {
            println!(
                "{{\"kind\":\"dispatch\",\"path\":\"{path}\",\"ns\":{ns:.1},\"overhead_ns\":{:.1},\"numel\":8}}",
                ns - direct_ns
            );
        } else {
            println!(
                "dispatch {path:<7} {ns:>7.1} ns/call   (+{:>6.1} ns over direct)",
                ns - direct_ns
            );
        }
    }
    Ok(())
}
