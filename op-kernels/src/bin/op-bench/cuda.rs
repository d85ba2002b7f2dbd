//! `cuda` rows (the `cuda` feature): elementwise kernels' bandwidth on the GPU as a ratio of a
//! device-to-device copy of the same bytes, measured in the same run, interleaved.
//!
//! Bytes moved: a copy and a unary op read n and write n elements, a binary op reads 2n and
//! writes n. A ratio near 1 means the kernel runs at the copy's (the memory system's) speed.
//! Without a device, prints why the rows are skipped and succeeds.

use std::time::{Duration, Instant};

use op_kernels::cuda::{self as kc, Binary, Unary};
use op_runtime::{DType, Device, DeviceKind, Error, Result, Tensor, cuda, registered_backend};

/// Elements per tensor: 64 Mi (256 MiB in f32), far past every GPU's L2.
const NUMEL: usize = 64 << 20;
/// Launches per timing, and timings per row (the best is kept).
const INNER: usize = 10;
const REPS: usize = 5;

/// Prints the cuda rows, or the reason they are skipped.
pub fn run(json: bool) -> Result<()> {
    if let Err(e) = cuda::install() {
        let reason = match e {
            Error::DeviceUnavailable { reason, .. } => reason,
            other => other.to_string(),
        };
        // Not a row: in --json mode stdout holds JSON objects only.
        if json {
            eprintln!("cuda rows skipped: {reason}");
        } else {
            println!("cuda rows skipped: {reason}");
        }
        return Ok(());
    }
    let device = Device::Cuda(0);
    if !json {
        println!(
            "cuda ({device}): GB/s of elementwise kernels against a device-to-device copy of \
             the same bytes (ratio = kernel / copy)"
        );
    }
    for dtype in [DType::F32, DType::F16, DType::BF16] {
        let x = Tensor::ones(&[NUMEL], dtype, device)?;
        let y = Tensor::ones(&[NUMEL], dtype, device)?;
        let mut out = Tensor::empty(&[NUMEL], dtype, device)?;
        let bytes = NUMEL * dtype.size_in_bytes();
        let cases: [(&str, usize); 5] = [
            ("mul3 (scale)", 2),
            ("relu", 2),
            ("gelu", 2),
            ("add", 3),
            ("add broadcast", 2),
        ];
        let row = Tensor::ones(&[1024], dtype, device)?;
        for (name, passes) in cases {
            let mut best = [Duration::MAX; 2];
            for _ in 0..REPS {
                best[0] = best[0].min(timed(device, &mut || copy(device, &x, &out, bytes))?);
                best[1] = best[1].min(timed(device, &mut || match name {
                    "mul3 (scale)" => kc::unary(Unary::Scale, &x, &mut out, 3.0),
                    "relu" => kc::unary(Unary::Relu, &x, &mut out, 0.0),
                    "gelu" => kc::unary(Unary::Gelu, &x, &mut out, 0.0),
                    "add" => kc::binary(Binary::Add, &x, &y, &mut out),
                    _ => kc::binary(Binary::Add, &x, &row, &mut out),
                })?);
            }
            let gbs =
                |moved: usize, t: Duration| moved as f64 * INNER as f64 / t.as_secs_f64() / 1e9;
            let copy_gbs = gbs(2 * bytes, best[0]);
            let kernel_gbs = gbs(passes * bytes, best[1]);
            let ratio = kernel_gbs / copy_gbs;
            let dt = dtype.to_string();
            if json {
                println!(
                    "{{\"part\":\"cuda\",\"op\":\"{name}\",\"dtype\":\"{dt}\",\"numel\":{NUMEL},\
                     \"kernel_gbs\":{kernel_gbs:.2},\"copy_gbs\":{copy_gbs:.2},\"ratio\":{ratio:.3}}}"
                );
            } else {
                println!(
                    "{name:<16} {dt:<9} {kernel_gbs:>8.1} GB/s  copy {copy_gbs:>8.1} GB/s  ratio {ratio:.2}"
                );
            }
        }
    }
    Ok(())
}

/// One device-to-device copy of `bytes` from `x` to `out` through the backend.
fn copy(device: Device, x: &Tensor, out: &Tensor, bytes: usize) -> Result<()> {
    let backend = registered_backend(DeviceKind::Cuda)
        .ok_or_else(|| Error::Internal("the CUDA backend is not registered".into()))?;
    let (src, dst) = (x.storage().device_ptr(), out.storage().device_ptr());
    let (Some(src), Some(dst)) = (src, dst) else {
        return Err(Error::Internal(
            "device tensors without device memory".into(),
        ));
    };
    backend.copy_device_to_device(device, src, device, dst, bytes)
}

/// The time of `INNER` launches, from the first launch to the stream being drained (one warm-up
/// launch first).
fn timed(device: Device, f: &mut dyn FnMut() -> Result<()>) -> Result<Duration> {
    f()?;
    cuda::synchronize(device)?;
    let start = Instant::now();
    for _ in 0..INNER {
        f()?;
    }
    cuda::synchronize(device)?;
    Ok(start.elapsed())
}
