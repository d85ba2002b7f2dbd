//! CUDA devices (the `cuda` feature): the [`DeviceBackend`] behind
//! `Device::Cuda(n)` tensors, and what CUDA kernels need to launch — the device's context and
//! stream, and a tensor's device address.
//!
//! # Loading
//!
//! The driver (`libcuda.so`) is opened with `dlopen` at first use through cudarc's dynamic
//! loading, so a build with this feature needs no CUDA toolkit and no driver. On a machine without
//! them, [`install`] and every use of a `Device::Cuda` tensor return
//! [`Error::DeviceUnavailable`] saying what is missing and what to do; they never panic (cudarc
//! panics when a library is absent, so the library is probed first and every driver call is run
//! under a guard that turns a panic into an error).
//!
//! ```
//! # use op_runtime::{cuda, Device, Error, Tensor};
//! match cuda::install() {
//!     Ok(()) => println!("{} CUDA device(s)", cuda::device_count().unwrap()),
//!     Err(Error::DeviceUnavailable { reason, .. }) => println!("no CUDA: {reason}"),
//!     Err(e) => panic!("{e}"),
//! }
//! ```
//!
//! # Devices, contexts and streams
//!
//! Each device gets, on first use, its primary context and **one stream** of its own (a
//! non-blocking stream, so it does not serialise with the legacy default stream). Everything opkit
//! does on a device — allocation, zero-filling, copies, kernels, freeing — is queued on that
//! stream, so work on one device runs in the order it was issued, with no further
//! synchronisation.
//!
//! # Synchronisation
//!
//! - **Host reads wait.** A copy to the host (`tensor.to(Device::Cpu)`, `to_vec`, printing)
//!   waits for the device's stream to finish everything queued before it, so it sees the results
//!   of every kernel launched before.
//! - **Host writes return early.** A copy from host memory returns once the bytes have been
//!   staged by the driver: the host buffer may be freed at once, and the copy is ordered before
//!   later work on the stream.
//! - **Kernels return early.** A kernel launch is queued; errors inside a kernel surface at the
//!   next synchronising call (a host read, [`synchronize`]).
//! - **Freeing is ordered.** A dropped tensor's memory is freed on the stream (stream-ordered
//!   allocation where the device supports it), after the work already queued that uses it.
//! - **Between devices, copies are synchronous**: a copy from `cuda:0` to `cuda:1` waits for the
//!   source device's stream, copies, and waits for the copy.
//! - Work that a kernel queues on **another stream** (its own cudarc stream) is outside this
//!   order: such a kernel must synchronise that stream before it returns.

mod backend;
mod devices;
mod driver;

use std::sync::{Arc, OnceLock};

pub use cudarc;
pub use cudarc::driver::{CudaContext, CudaStream};

use crate::{Device, DeviceBackend, DeviceKind, Error, Result, Tensor};

pub use driver::DriverInfo;

/// Registers the CUDA backend, once per process, and checks that a driver and at least one
/// device are present.
///
/// Fails with [`Error::DeviceUnavailable`] naming what is missing (`libcuda.so`, a device) and
/// what to do about it. (When another CUDA backend was registered first, it stays in charge.)
/// The backend is registered even when the driver is missing: it then
/// answers every use of a `Device::Cuda` tensor with the same error, rather than the runtime's
/// "no CUDA backend in this build". The first use of a `Device::Cuda` tensor installs the backend
/// by itself; call this to find out early, or to report why CUDA is unavailable.
pub fn install() -> Result<()> {
    backend()?;
    driver::probe(Device::Cuda(0)).map(|_| ())
}

/// The CUDA backend, registered on first call: what the runtime's device lookup returns for a
/// `Device::Cuda` tensor. When another CUDA backend was registered first, that one is returned.
pub(crate) fn backend() -> Result<&'static dyn DeviceBackend> {
    static REGISTERED: OnceLock<Result<()>> = OnceLock::new();
    let registered = REGISTERED.get_or_init(|| {
        match crate::register_backend(Box::new(backend::CudaBackend)) {
            // A test (or a user) installed a backend of its own first; it stays in charge.
            Err(Error::BackendAlreadyRegistered { .. }) => Ok(()),
            other => other,
        }
    });
    registered.clone()?;
    crate::registered_backend(DeviceKind::Cuda)
        .ok_or_else(|| Error::Internal("the CUDA backend slot is empty after registration".into()))
}

/// What the driver reports: its version and the number of devices, or
/// [`Error::DeviceUnavailable`] saying why there is no usable driver. Does not register anything.
pub fn driver_info() -> Result<DriverInfo> {
    driver::probe(Device::Cuda(0))
}

/// The number of CUDA devices, or [`Error::DeviceUnavailable`] when there is no usable driver.
pub fn device_count() -> Result<usize> {
    Ok(driver_info()?.devices)
}

/// The context of a CUDA device (its primary context), created on first use.
///
/// Fails with [`Error::DeviceUnavailable`] for a device that does not exist (or without a driver)
/// and [`Error::DeviceMismatch`] for a device that is not a CUDA device.
pub fn context(device: Device) -> Result<Arc<CudaContext>> {
    Ok(devices::state(device)?.ctx.clone())
}

/// The stream on which opkit queues all work for `device` (see the [module docs](self) for the
/// order it gives). Kernels launch on it.
pub fn stream(device: Device) -> Result<Arc<CudaStream>> {
    Ok(devices::state(device)?.stream.clone())
}

/// Waits until all work queued on `device`'s stream has finished, returning the first error a
/// kernel or copy reported.
pub fn synchronize(device: Device) -> Result<()> {
    let state = devices::state(device)?;
    driver::guarded(device, "synchronize", || {
        state
            .stream
            .synchronize()
            .map_err(|e| driver_error(device, "synchronize", e))
    })
}

/// The compute capability of a device as `(major, minor)` (`(9, 0)` for an H100), what kernels
/// are compiled for.
pub fn compute_capability(device: Device) -> Result<(u32, u32)> {
    let state = devices::state(device)?;
    Ok(state.capability)
}

/// The device address of a CUDA tensor's first element (its storage's address plus its offset),
/// what a kernel is launched with. The tensor's strides still apply: a kernel that assumes
/// contiguous data must check [`Tensor::is_contiguous`] or call [`Tensor::contiguous`] first.
///
/// Fails with [`Error::DeviceMismatch`] for a tensor that is not on a CUDA device.
pub fn device_ptr(tensor: &Tensor) -> Result<u64> {
    let device = tensor.device();
    if device.kind() != DeviceKind::Cuda {
        return Err(Error::DeviceMismatch {
            expected: Device::Cuda(device.index().unwrap_or(0)),
            found: device,
        });
    }
    let base = tensor
        .storage()
        .device_ptr()
        .ok_or_else(|| Error::Internal(format!("a tensor on {device} has no device address")))?;
    tensor
        .offset()
        .checked_mul(tensor.dtype().size_in_bytes())
        .and_then(|bytes| base.checked_add(bytes))
        .map(|p| p.0)
        .ok_or_else(|| Error::ShapeOverflow {
            shape: tensor.shape().to_vec(),
        })
}

/// A driver, NVRTC or cuBLAS failure as an [`Error::DeviceError`] saying which call failed.
pub fn driver_error(device: Device, what: &str, error: impl std::fmt::Debug) -> Error {
    Error::DeviceError {
        device,
        message: format!("{what} failed: {error:?}"),
    }
}

/// Runs `f`, turning a panic inside it (cudarc panics on a missing library or symbol) into
/// [`Error::DeviceError`] naming `what`. Kernels wrap their cudarc calls in it.
pub fn guarded<T>(device: Device, what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    driver::guarded(device, what, f)
}
