//! [`Device`], where a tensor's data lives, and [`DeviceBackend`], the process-wide hook through
//! which accelerator support (the `cuda` feature, Ascend later) plugs memory management in.
//!
//! The CPU needs no backend. Every other device kind has one slot, filled at most once by
//! [`register_backend`]; until then anything that touches such a device returns
//! [`Error::DeviceUnavailable`] with a reason that says how to get support.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use crate::{Error, Result};

/// A device: the host CPU, or an accelerator with its index.
///
/// `Display` prints PyTorch's spelling (`cpu`, `cuda:0`) and torch_npu's for Ascend (`npu:0`);
/// `FromStr` also accepts `cuda` and `npu` (index 0), `cpu:0` and `ascend:N`.
///
/// ```
/// use op_runtime::Device;
/// assert_eq!("cuda:1".parse::<Device>().unwrap(), Device::Cuda(1));
/// assert_eq!(Device::Ascend(0).to_string(), "npu:0");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default)]
pub enum Device {
    /// Host memory.
    #[default]
    Cpu,
    /// An NVIDIA GPU by CUDA device index.
    Cuda(u32),
    /// A Huawei Ascend NPU by device index.
    Ascend(u32),
}

/// A device without its index: what a [`DeviceBackend`] serves.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum DeviceKind {
    /// Host memory.
    Cpu,
    /// NVIDIA GPUs.
    Cuda,
    /// Huawei Ascend NPUs.
    Ascend,
}

impl Device {
    /// The kind of device, without its index.
    pub const fn kind(self) -> DeviceKind {
        match self {
            Device::Cpu => DeviceKind::Cpu,
            Device::Cuda(_) => DeviceKind::Cuda,
            Device::Ascend(_) => DeviceKind::Ascend,
        }
    }

    /// The device index, `None` for the CPU.
    pub const fn index(self) -> Option<u32> {
        match self {
            Device::Cpu => None,
            Device::Cuda(i) | Device::Ascend(i) => Some(i),
        }
    }

    /// Whether this is the host CPU.
    pub const fn is_cpu(self) -> bool {
        matches!(self, Device::Cpu)
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
            Device::Cuda(i) => write!(f, "cuda:{i}"),
            Device::Ascend(i) => write!(f, "npu:{i}"),
        }
    }
}

impl FromStr for Device {
    type Err = Error;

    fn from_str(s: &str) -> Result<Device> {
        let unknown = || Error::UnknownDevice {
            name: s.to_string(),
        };
        let (kind, index) = match s.split_once(':') {
            Some((kind, index)) => {
                // `u32::from_str` accepts a leading `+`; PyTorch does not, so neither do we.
                if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(unknown());
                }
                (kind, Some(index.parse::<u32>().map_err(|_| unknown())?))
            }
            None => (s, None),
        };
        match (kind, index) {
            ("cpu", None | Some(0)) => Ok(Device::Cpu),
            ("cuda", i) => Ok(Device::Cuda(i.unwrap_or(0))),
            ("npu", i) => Ok(Device::Ascend(i.unwrap_or(0))),
            ("ascend", Some(i)) => Ok(Device::Ascend(i)),
            _ => Err(unknown()),
        }
    }
}

impl fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeviceKind::Cpu => "cpu",
            DeviceKind::Cuda => "cuda",
            DeviceKind::Ascend => "npu",
        })
    }
}

/// An address in a device's memory, as the backend's driver API hands it out (a `CUdeviceptr`, an
/// Ascend `void*`). Opaque to the runtime: it is only added to and passed back to the backend.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct DevicePtr(pub u64);

impl DevicePtr {
    /// The address `bytes` further on, or `None` on overflow.
    pub fn checked_add(self, bytes: usize) -> Option<DevicePtr> {
        u64::try_from(bytes)
            .ok()
            .and_then(|b| self.0.checked_add(b))
            .map(DevicePtr)
    }
}

/// Memory management for one kind of accelerator. The `cuda` feature provides one for CUDA; an
/// Ascend one would wrap `aclrtMalloc` and friends.
///
/// The runtime calls a backend only with devices of its [`kind`](DeviceBackend::kind), with
/// pointers it returned from [`allocate`](DeviceBackend::allocate) (possibly offset into the
/// allocation), and with ranges inside those allocations. Errors are values: a failing driver call
/// returns [`Error::DeviceError`] or [`Error::AllocationFailed`], never panics.
pub trait DeviceBackend: Send + Sync {
    /// A short name for messages (`"cuda (cudarc)"`).
    fn name(&self) -> &str;

    /// The device kind this backend serves; never [`DeviceKind::Cpu`].
    fn kind(&self) -> DeviceKind;

    /// Allocates `nbytes` on `device`, filled with zero bytes when `zeroed`. `nbytes` may be 0.
    fn allocate(&self, device: Device, nbytes: usize, zeroed: bool) -> Result<DevicePtr>;

    /// Frees an allocation returned by [`allocate`](DeviceBackend::allocate) with the same
    /// `nbytes`. Called once, when the last tensor using it is dropped; it cannot fail visibly.
    fn deallocate(&self, device: Device, ptr: DevicePtr, nbytes: usize);

    /// Copies host bytes to device memory at `dst`.
    fn copy_host_to_device(&self, src: &[u8], device: Device, dst: DevicePtr) -> Result<()>;

    /// Copies device memory at `src` into host bytes.
    fn copy_device_to_host(&self, device: Device, src: DevicePtr, dst: &mut [u8]) -> Result<()>;

    /// Copies `nbytes` between two devices of this backend's kind (or within one).
    fn copy_device_to_device(
        &self,
        src_device: Device,
        src: DevicePtr,
        dst_device: Device,
        dst: DevicePtr,
        nbytes: usize,
    ) -> Result<()>;

    /// Waits until all work queued on `device` has finished.
    fn synchronize(&self, device: Device) -> Result<()>;
}

/// One slot per accelerator kind. A backend lives for the rest of the process once registered
/// (it is leaked), so storages can hold `&'static dyn DeviceBackend` without reference counting.
static CUDA_BACKEND: OnceLock<&'static dyn DeviceBackend> = OnceLock::new();
static ASCEND_BACKEND: OnceLock<&'static dyn DeviceBackend> = OnceLock::new();

fn slot(kind: DeviceKind) -> Option<&'static OnceLock<&'static dyn DeviceBackend>> {
    match kind {
        DeviceKind::Cpu => None,
        DeviceKind::Cuda => Some(&CUDA_BACKEND),
        DeviceKind::Ascend => Some(&ASCEND_BACKEND),
    }
}

/// Installs the backend for its device kind, for the rest of the process.
///
/// Fails with [`Error::BackendAlreadyRegistered`] when the kind already has one, and with
/// [`Error::InvalidArgument`] for a backend that claims to serve the CPU.
pub fn register_backend(backend: Box<dyn DeviceBackend>) -> Result<()> {
    let kind = backend.kind();
    let Some(slot) = slot(kind) else {
        return Err(Error::InvalidArgument(format!(
            "backend `{}` claims the CPU, which needs no backend; a backend must serve cuda or npu",
            backend.name()
        )));
    };
    if let Some(existing) = slot.get() {
        return Err(Error::BackendAlreadyRegistered {
            kind,
            existing: existing.name().to_string(),
        });
    }
    let leaked: &'static dyn DeviceBackend = Box::leak(backend);
    slot.set(leaked)
        .map_err(|_| Error::BackendAlreadyRegistered {
            kind,
            existing: slot
                .get()
                .map_or_else(String::new, |b| b.name().to_string()),
        })
}

/// The backend registered for a device kind, if any.
pub fn registered_backend(kind: DeviceKind) -> Option<&'static dyn DeviceBackend> {
    slot(kind).and_then(|s| s.get().copied())
}

/// The backend for `device`, or [`Error::DeviceUnavailable`] saying how to get one.
pub(crate) fn backend_for(device: Device) -> Result<&'static dyn DeviceBackend> {
    if let Some(backend) = registered_backend(device.kind()) {
        return Ok(backend);
    }
    // With the `cuda` feature the first use of a CUDA device installs the built-in backend.
    #[cfg(feature = "cuda")]
    if device.kind() == DeviceKind::Cuda {
        return crate::cuda::backend();
    }
    let reason = match device.kind() {
        DeviceKind::Cpu => "the CPU has no backend to look up (this is a bug in opkit)",
        DeviceKind::Cuda => {
            "this build has no CUDA backend; build opkit with the `cuda` feature (and install \
             the NVIDIA driver) to use CUDA devices"
        }
        DeviceKind::Ascend => {
            "Ascend support is not compiled into this build of opkit; no npu backend is \
             registered"
        }
    };
    Err(Error::DeviceUnavailable {
        device,
        reason: reason.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_spelling() {
        for (text, device) in [
            ("cpu", Device::Cpu),
            ("cuda", Device::Cuda(0)),
            ("cuda:3", Device::Cuda(3)),
            ("npu", Device::Ascend(0)),
            ("npu:1", Device::Ascend(1)),
            ("ascend:2", Device::Ascend(2)),
        ] {
            assert_eq!(text.parse::<Device>().unwrap(), device, "{text}");
        }
        for bad in [
            "", "gpu", "cuda:", "cuda:+1", "cuda:-1", "cuda:x", "cpu:1", "CUDA:0", "ascend",
        ] {
            assert!(bad.parse::<Device>().is_err(), "{bad}");
        }
    }
}
