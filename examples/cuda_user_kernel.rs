//! A user op with a CUDA kernel written in CUDA C, given inline as a string with its entry
//! point: NVRTC compiles it for the device's architecture at first use (cached in memory and on
//! disk), and `#[kernel(op, device = cuda)]` registers it beside the CPU kernel. The kernel's
//! signature is checked against the op's schema at compile time, like any other kernel's.
//!
//! ```text
//! cargo run --release --features cuda --example cuda_user_kernel
//! ```
//!
//! Without a GPU (or without NVRTC) it says why and exits 0.

use opkit::kernels::cuda::{CudaSource, PushKernelArg, grid_1d, launch};
use opkit::{Device, Error, Registry, Result, Tensor, Value, cuda, custom_op, kernel, opcheck};

/// `y = alpha * x + beta`, CPU kernel (any float dtype, through f64).
#[custom_op(
    "user::affine(Tensor x, float alpha=2.0, float beta=1.0) -> Tensor",
    shape = same_as_x
)]
fn affine(x: &Tensor, alpha: f64, beta: f64) -> Result<Tensor> {
    let values: Vec<f64> = x.to_vec_f64()?.iter().map(|v| alpha * v + beta).collect();
    Tensor::from_vec(values, x.shape())?.to_dtype(x.dtype())
}

fn same_as_x(x: &opkit::Meta, _alpha: f64, _beta: f64) -> Result<opkit::Meta> {
    Ok(x.clone())
}

/// The CUDA C source, inline (`include_str!("affine.cu")` works the same for a file). Entry
/// points are `extern "C"` so that their names are not mangled; a grid-stride loop covers any n.
static AFFINE_CU: CudaSource = CudaSource::new(
    "user/affine.cu",
    r#"
extern "C" __global__ void affine_f32(const float* x, float* y, long long n, float alpha,
                                      float beta) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)gridDim.x * blockDim.x)
        y[i] = alpha * x[i] + beta;
}
"#,
);

/// The CUDA kernel of `user::affine`, out style: the dispatcher hands over the input and an
/// output it allocated on the same CUDA device. A mismatch with the schema (a missing `beta`, an
/// `f32` for a `float`) is a compile error here.
#[kernel(affine, device = cuda, dtypes(f32))]
fn affine_cuda(x: &Tensor, alpha: f64, beta: f64, out: &mut Tensor) -> Result<()> {
    let device = out.device();
    // The kernel indexes flat memory: views go through a contiguous copy (made on the device).
    let x = opkit::kernels::cuda::contiguous(x)?;
    let f = AFFINE_CU.function(device, "affine_f32")?;
    let (xp, yp) = (cuda::device_ptr(&x)?, cuda::device_ptr(out)?);
    let (n, alpha, beta) = (out.numel() as i64, alpha as f32, beta as f32);
    let stream = cuda::stream(device)?;
    let mut args = stream.launch_builder(&f);
    args.arg(&xp).arg(&yp).arg(&n).arg(&alpha).arg(&beta);
    // SAFETY: the arguments match `affine_f32`'s parameters in order and type; `x` and `out`
    // hold `n` contiguous f32s on this device (the dispatcher allocates `out` contiguous).
    unsafe { launch(device, "affine_f32", args, grid_1d(device, out.numel())?) }
}

fn main() -> Result<()> {
    if let Err(e) = cuda::install() {
        let reason = match e {
            Error::DeviceUnavailable { reason, .. } => reason,
            other => other.to_string(),
        };
        println!("no GPU here, so the CUDA kernel cannot run: {reason}");
        println!("(the op and both kernels are registered; the CPU kernel still works)");
        let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3])?;
        println!(
            "cpu: affine([1, 2, 3]) = {:?}",
            affine::call(&x, 2.0, 1.0)?.to_vec::<f32>()?
        );
        return Ok(());
    }
    let device = Device::Cuda(0);
    let (major, minor) = cuda::compute_capability(device)?;
    println!("{device}: compute capability {major}.{minor}");
    let x = Tensor::from_vec((0..8).map(|i| i as f32).collect(), &[2, 4])?.to(device)?;
    let y = affine::call(&x, 2.0, 1.0)?; // dispatched to affine_cuda
    println!(
        "cuda: affine(0..8) = {:?}",
        y.to(Device::Cpu)?.to_vec::<f32>()?
    );

    // opcheck runs every kernel (CPU and CUDA) against a float64 reference.
    let op = Registry::global()?.find("user::affine")?;
    let sample = Tensor::from_vec(vec![0.5f32, -1.5, 3.25, 7.0], &[4])?;
    let report = opcheck(
        &op,
        &[vec![
            Value::from(sample),
            Value::from(3.0),
            Value::from(-2.0),
        ]],
    );
    println!("{report}");
    if !report.passed() {
        return Err(Error::InvalidArgument(format!("opcheck failed:\n{report}")));
    }
    Ok(())
}
