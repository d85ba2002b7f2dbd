//! The per-device table: a context, a stream and what the device supports, created on first use
//! of each device and kept for the rest of the process.

use std::sync::{Arc, OnceLock};

use cudarc::driver::{CudaContext, CudaStream, sys};

use super::driver::{self, describe, guarded};
use crate::{Device, DeviceKind, Error, Result};

/// One device's state.
pub(crate) struct DeviceState {
    pub ctx: Arc<CudaContext>,
    /// The stream all of opkit's work on this device is queued on.
    pub stream: Arc<CudaStream>,
    /// Whether the device has stream-ordered allocation (`cuMemAllocAsync`); without it,
    /// allocation and freeing fall back to the synchronous calls.
    pub async_alloc: bool,
    pub capability: (u32, u32),
}

/// One slot per device the driver reports; a failed start is kept too, so every later use of
/// that device gets the same error without retrying.
type Table = Vec<OnceLock<std::result::Result<DeviceState, Error>>>;

/// The state of a CUDA device, started on first use.
pub(crate) fn state(device: Device) -> Result<&'static DeviceState> {
    static TABLE: OnceLock<Table> = OnceLock::new();
    let Device::Cuda(index) = device else {
        return Err(Error::DeviceMismatch {
            expected: Device::Cuda(device.index().unwrap_or(0)),
            found: device,
        });
    };
    let info = driver::probe(device)?;
    let table = TABLE.get_or_init(|| (0..info.devices).map(|_| OnceLock::new()).collect());
    let Some(slot) = usize::try_from(index).ok().and_then(|i| table.get(i)) else {
        return Err(Error::DeviceUnavailable {
            device,
            reason: format!(
                "this machine has {} CUDA device{} (cuda:0 to cuda:{}); check the device index \
                 and CUDA_VISIBLE_DEVICES",
                info.devices,
                if info.devices == 1 { "" } else { "s" },
                info.devices.saturating_sub(1)
            ),
        });
    };
    slot.get_or_init(|| guarded(device, "starting the device", || start(device, index)))
        .as_ref()
        .map_err(Clone::clone)
}

fn start(device: Device, index: u32) -> Result<DeviceState> {
    let unavailable = |what: &str, e| Error::DeviceUnavailable {
        device,
        reason: format!("{what} failed: {}", describe(e)),
    };
    debug_assert_eq!(device.kind(), DeviceKind::Cuda);
    let ctx =
        CudaContext::new(index as usize).map_err(|e| unavailable("creating its context", e))?;
    let stream = ctx
        .new_stream()
        .map_err(|e| unavailable("creating its stream", e))?;
    let attribute = |a| {
        ctx.attribute(a)
            .map_err(|e| unavailable("reading an attribute", e))
    };
    let async_alloc =
        attribute(sys::CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED)? > 0;
    let major = attribute(sys::CUdevice_attribute::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)?;
    let minor = attribute(sys::CUdevice_attribute::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR)?;
    Ok(DeviceState {
        ctx,
        stream,
        async_alloc,
        capability: (major.max(0) as u32, minor.max(0) as u32),
    })
}
