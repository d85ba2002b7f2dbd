//! Rough costs of the hot-path operations, printed in nanoseconds. Ignored by default (timings on
//! a shared machine are noisy); run with
//! `cargo test --release -p op-runtime --test tensor_timing -- --ignored --nocapture`.

use std::hint::black_box;
use std::time::Instant;

use op_runtime::{DType, Device, Tensor};

/// Best-of-5 average nanoseconds per call of `f` over `iters` calls.
fn ns_per_call(iters: u32, mut f: impl FnMut()) -> f64 {
    (0..5)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iters {
                f();
            }
            start.elapsed().as_nanos() as f64 / f64::from(iters)
        })
        .fold(f64::INFINITY, f64::min)
}

#[test]
#[ignore = "timing; run explicitly with --release"]
fn hot_path_costs() {
    const N: u32 = 1_000_000;
    let empty = ns_per_call(N, || {
        drop(black_box(
            Tensor::empty(black_box(&[8]), DType::F32, Device::Cpu).unwrap(),
        ))
    });
    let x = Tensor::zeros(&[8], DType::F32, Device::Cpu).unwrap();
    let read = ns_per_call(N, || {
        drop(black_box(black_box(&x).as_slice::<f32>().unwrap()))
    });
    let mut y = Tensor::zeros(&[8], DType::F32, Device::Cpu).unwrap();
    let write = ns_per_call(N, || {
        drop(black_box(black_box(&mut y).as_mut_slice::<f32>().unwrap()))
    });
    let clone = ns_per_call(N, || drop(black_box(black_box(&x).clone())));
    let view = ns_per_call(N, || drop(black_box(black_box(&x).view::<f32>().unwrap())));
    // A functional op on 8 elements as the dispatcher would run it: allocate the output, borrow
    // the input and the output, compute.
    let op = ns_per_call(N, || {
        let x = black_box(&x);
        let mut out = Tensor::empty(x.shape(), x.dtype(), x.device()).unwrap();
        {
            let src = x.as_slice::<f32>().unwrap();
            let mut dst = out.as_mut_slice::<f32>().unwrap();
            for (o, i) in dst.iter_mut().zip(src.iter()) {
                *o = *i * 3.0;
            }
        }
        drop(black_box(out));
    });
    println!("Tensor::empty(&[8], F32, Cpu) + drop: {empty:.1} ns");
    println!("as_slice (read borrow take + release): {read:.1} ns");
    println!("as_mut_slice (write borrow take + release): {write:.1} ns");
    println!("Tensor::clone + drop: {clone:.1} ns");
    println!("view::<f32>() (ndarray view) + drop: {view:.1} ns");
    println!("8-element functional op (alloc + 2 borrows + mul): {op:.1} ns");
    println!(
        "size_of: Tensor {} bytes, Error {} bytes, Result<Tensor> {} bytes",
        std::mem::size_of::<Tensor>(),
        std::mem::size_of::<op_runtime::Error>(),
        std::mem::size_of::<op_runtime::Result<Tensor>>()
    );
}
