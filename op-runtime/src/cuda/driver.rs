//! Finding the driver: probing for `libcuda.so` before anything touches it, initialising it, and
//! the guard that keeps cudarc's panics from escaping.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

use cudarc::driver::{result, sys};

use crate::{Device, Error, Result};

/// What the driver reported when it was first probed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct DriverInfo {
    /// The CUDA version the driver supports, as `(major, minor)` (`(12, 8)`).
    pub version: (u32, u32),
    /// The number of devices visible to this process (`CUDA_VISIBLE_DEVICES` applies).
    pub devices: usize,
}

/// Probes once per process: is the library there, does `cuInit` succeed, is there a device. The
/// outcome is kept, so later calls cost an atomic load; the error names `device`.
pub(crate) fn probe(device: Device) -> Result<DriverInfo> {
    static PROBED: OnceLock<std::result::Result<DriverInfo, String>> = OnceLock::new();
    PROBED
        .get_or_init(|| {
            guarded(device, "probing the CUDA driver", || {
                probe_uncached().map_err(|reason| Error::DeviceUnavailable { device, reason })
            })
            .map_err(|e| match e {
                Error::DeviceUnavailable { reason, .. } => reason,
                other => other.to_string(),
            })
        })
        .clone()
        .map_err(|reason| Error::DeviceUnavailable { device, reason })
}

fn probe_uncached() -> std::result::Result<DriverInfo, String> {
    // cudarc loads the library lazily and panics when it is missing; asking first is the only
    // way to a clean error on a machine without the driver (CI, laptops).
    // SAFETY: only tries to dlopen the candidate names; nothing is called through them.
    if !unsafe { sys::is_culib_present() } {
        return Err(no_driver_reason());
    }
    result::init().map_err(|e| match e.0 {
        sys::CUresult::CUDA_ERROR_NO_DEVICE => no_device_reason("cuInit: CUDA_ERROR_NO_DEVICE"),
        _ => format!(
            "the CUDA driver failed to initialise (cuInit: {}); check `nvidia-smi`",
            describe(e)
        ),
    })?;
    let mut version = 0;
    // SAFETY: writes one int through a valid pointer.
    let status = unsafe { sys::cuDriverGetVersion(&mut version) };
    status
        .result()
        .map_err(|e| format!("cuDriverGetVersion failed: {}", describe(e)))?;
    let devices = result::device::get_count()
        .map_err(|e| format!("cuDeviceGetCount failed: {}", describe(e)))?;
    if devices <= 0 {
        return Err(no_device_reason("cuDeviceGetCount returned 0"));
    }
    let version = u32::try_from(version).unwrap_or(0);
    Ok(DriverInfo {
        version: (version / 1000, version % 1000 / 10),
        devices: usize::try_from(devices).unwrap_or(0),
    })
}

/// The reason given when the driver library cannot be loaded.
pub(crate) fn no_driver_reason() -> String {
    "no CUDA driver: the NVIDIA driver library (libcuda.so) was not found by the dynamic loader; \
     install the NVIDIA driver (or add the directory that holds libcuda.so.1 to \
     LD_LIBRARY_PATH), or use Device::Cpu"
        .to_string()
}

fn no_device_reason(detail: &str) -> String {
    format!(
        "no CUDA device: the NVIDIA driver is installed but reports no GPU ({detail}); check \
         `nvidia-smi` and CUDA_VISIBLE_DEVICES, or use Device::Cpu"
    )
}

/// A driver error's name and description (`CUDA_ERROR_OUT_OF_MEMORY: out of memory`).
pub(crate) fn describe(e: result::DriverError) -> String {
    let text = |r: std::result::Result<&std::ffi::CStr, result::DriverError>| {
        r.map(|s| s.to_string_lossy().into_owned()).ok()
    };
    match (text(e.error_name()), text(e.error_string())) {
        (Some(name), Some(what)) => format!("{name}: {what}"),
        (Some(name), None) => name,
        _ => format!("CUresult {:?}", e.0),
    }
}

/// Runs `f`, turning a panic into [`Error::DeviceError`]. cudarc panics when a library or one of
/// its symbols is missing (an old driver lacks newer entry points); the probe rules out the
/// first, this guards the rest.
pub(crate) fn guarded<T>(device: Device, what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    // Unwind safety: on a panic nothing `f` touched is used again except through the driver,
    // whose state the panic (raised before the call it guards) did not change.
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic without a message".to_string());
        Err(Error::DeviceError {
            device,
            message: format!("{what}: the CUDA library failed: {message}"),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_turns_panics_into_errors() {
        let err = guarded::<()>(Device::Cuda(0), "loading", || {
            panic!("Missing symbol cuFoo")
        })
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("loading") && text.contains("Missing symbol cuFoo"),
            "{text}"
        );
    }

    #[test]
    fn no_driver_reason_says_what_to_do() {
        let reason = no_driver_reason();
        assert!(reason.contains("libcuda.so") && reason.contains("LD_LIBRARY_PATH"));
    }
}
