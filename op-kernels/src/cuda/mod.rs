//! CUDA kernels (the `cuda` feature): CUDA C sources compiled by NVRTC at first use for the
//! device's architecture and cached in memory and on disk ([`nvrtc`]), the launchers of the
//! built-in kernels, and [`CudaSource`] for user kernels.
//!
//! - [`elementwise`]: unary ops and activations, binary ops with broadcasting, any strides;
//!   16-byte vector loads and grid-stride loops on contiguous data.
//! - [`reduce`](mod@reduce): sum, mean, max, min over a dimension or everything.
//! - [`rows`]: softmax, log_softmax, rms_norm, layer_norm.
//! - [`matmul`](mod@matmul): cuBLAS, batched.
//! - [`ops`]: the `#[kernel(..., device = cuda)]` registrations for the built-in ops (`ops::`
//!   and the seed ops `my_ops::mul3` / `mul4`).
//!
//! Every kernel computes in f32 and takes f32, f16 and bf16 tensors. Kernels are queued on the
//! device's stream (see `op_runtime::cuda` for the ordering and synchronisation this gives).
//!
//! # A user kernel
//!
//! A `#[kernel(op, device = cuda)]` fn receives tensors on `Device::Cuda(n)`. It launches CUDA C
//! given as a [`CudaSource`] (inline text, or `include_str!` of a file), or anything else through
//! cudarc (`op_runtime::cuda::cudarc`) on [`op_runtime::cuda::stream`]:
//!
//! ```no_run
//! use op_kernels::cuda::{CudaSource, PushKernelArg, grid_1d, launch};
//! use op_runtime::{cuda, Result, Tensor};
//!
//! static AXPY: CudaSource = CudaSource::new("axpy.cu", r#"
//! extern "C" __global__ void axpy(const float* x, float* y, long long n, float a) {
//!     for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
//!          i += (long long)gridDim.x * blockDim.x)
//!         y[i] = a * x[i] + y[i];
//! }"#);
//!
//! fn axpy(x: &Tensor, y: &mut Tensor, a: f32) -> Result<()> {
//!     let device = y.device();
//!     let f = AXPY.function(device, "axpy")?;
//!     let (xp, yp, n) = (cuda::device_ptr(x)?, cuda::device_ptr(y)?, y.numel() as i64);
//!     let stream = cuda::stream(device)?;
//!     let mut args = stream.launch_builder(&f);
//!     args.arg(&xp).arg(&yp).arg(&n).arg(&a);
//!     // SAFETY: the arguments match the kernel's parameters; x and y hold n contiguous f32s.
//!     unsafe { launch(device, "axpy", args, grid_1d(device, y.numel())?) }
//! }
//! ```

pub mod elementwise;
pub mod launch;
pub mod matmul;
pub mod nvrtc;
pub mod ops;
pub mod reduce;
pub mod rows;

/// cudarc's launch-argument trait (`.arg(&x)`) and launch shape, for user kernels.
pub use cudarc::driver::{LaunchConfig, PushKernelArg};
pub use elementwise::{Binary, Unary, binary, binary_scaled, contiguous, unary};
pub use launch::{BLOCK, CudaSource, grid_1d, grid_rows, launch};
pub use matmul::matmul;
pub use reduce::{Reduction, reduce};
pub use rows::{layer_norm, rms_norm, softmax};

/// Every built-in CUDA source, for tools that precompile them (and for tests that check they
/// compile and export the entry points the launchers name).
pub fn builtin_sources() -> [&'static CudaSource; 3] {
    [&elementwise::ELEMENTWISE, &reduce::REDUCE, &rows::ROWS]
}
