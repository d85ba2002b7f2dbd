//! [`CudaBackend`]: device memory and copies for `Device::Cuda(n)`, queued on each device's one
//! stream (see the module docs of [`crate::cuda`] for the ordering this gives).

use cudarc::driver::{result, sys};

use super::devices::{DeviceState, state};
use super::driver::{describe, guarded};
use crate::{Device, DeviceBackend, DeviceKind, DevicePtr, Error, Result};

/// The CUDA memory backend, registered by [`install`](super::install).
pub(crate) struct CudaBackend;

/// A driver failure on `device` during `what`.
fn failed(device: Device, what: &str, e: result::DriverError) -> Error {
    Error::DeviceError {
        device,
        message: format!("{what} failed: {}", describe(e)),
    }
}

/// The device's state with its context bound to this thread: the raw driver calls below act on
/// the current context.
fn bound(device: Device, what: &str) -> Result<&'static DeviceState> {
    let s = state(device)?;
    s.ctx
        .bind_to_thread()
        .map_err(|e| failed(device, what, e))?;
    Ok(s)
}

impl DeviceBackend for CudaBackend {
    fn name(&self) -> &str {
        "cuda (cudarc)"
    }

    fn kind(&self) -> DeviceKind {
        DeviceKind::Cuda
    }

    fn allocate(&self, device: Device, nbytes: usize, zeroed: bool) -> Result<DevicePtr> {
        // The driver refuses zero-byte allocations; an empty tensor needs no memory, and a null
        // address is never dereferenced (every copy and kernel skips zero elements).
        if nbytes == 0 {
            state(device)?;
            return Ok(DevicePtr(0));
        }
        guarded(device, "cuMemAlloc", || {
            let s = bound(device, "cuMemAlloc")?;
            let stream = s.stream.cu_stream();
            // SAFETY: the context is current; the memory is only used on this device's stream
            // (the condition of stream-ordered allocation), or is synchronous.
            let ptr = unsafe {
                if s.async_alloc {
                    result::malloc_async(stream, nbytes)
                } else {
                    result::malloc_sync(nbytes)
                }
            }
            .map_err(|e| match e.0 {
                sys::CUresult::CUDA_ERROR_OUT_OF_MEMORY => {
                    Error::AllocationFailed { device, nbytes }
                }
                _ => failed(device, "cuMemAlloc", e),
            })?;
            if zeroed {
                // SAFETY: `ptr` holds `nbytes` bytes just allocated on this stream.
                unsafe { result::memset_d8_async(ptr, 0, nbytes, stream) }
                    .map_err(|e| failed(device, "cuMemsetD8Async", e))?;
            }
            Ok(DevicePtr(ptr))
        })
    }

    fn deallocate(&self, device: Device, ptr: DevicePtr, nbytes: usize) {
        if nbytes == 0 || ptr.0 == 0 {
            return;
        }
        // Freeing cannot report failure (it runs from `Drop`); a failure here means the context
        // is already broken, and the next call on the device reports that.
        let _ = guarded(device, "cuMemFree", || {
            let s = bound(device, "cuMemFree")?;
            // SAFETY: `ptr` came from `allocate` on this device and is freed once (the trait's
            // contract). Stream-ordered freeing runs after the work queued before it that may
            // still read the memory; the synchronous path waits for that work first.
            unsafe {
                if s.async_alloc {
                    result::free_async(ptr.0, s.stream.cu_stream())
                } else {
                    s.stream
                        .synchronize()
                        .and_then(|()| result::free_sync(ptr.0))
                }
            }
            .map_err(|e| failed(device, "cuMemFree", e))
        });
    }

    fn copy_host_to_device(&self, src: &[u8], device: Device, dst: DevicePtr) -> Result<()> {
        if src.is_empty() {
            return Ok(());
        }
        guarded(device, "cuMemcpyHtoDAsync", || {
            let s = bound(device, "cuMemcpyHtoDAsync")?;
            // SAFETY: `dst` has room for `src.len()` bytes (the trait's contract). From pageable
            // host memory the driver stages the bytes before returning, so `src` may be freed
            // as soon as this returns.
            unsafe { result::memcpy_htod_async(dst.0, src, s.stream.cu_stream()) }
                .map_err(|e| failed(device, "cuMemcpyHtoDAsync", e))
        })
    }

    fn copy_device_to_host(&self, device: Device, src: DevicePtr, dst: &mut [u8]) -> Result<()> {
        if dst.is_empty() {
            return Ok(());
        }
        guarded(device, "cuMemcpyDtoHAsync", || {
            let s = bound(device, "cuMemcpyDtoHAsync")?;
            // SAFETY: `src` holds `dst.len()` bytes (the trait's contract). The synchronisation
            // below keeps `dst` borrowed until the copy has landed: a host read waits for
            // everything queued on the stream before it.
            unsafe { result::memcpy_dtoh_async(dst, src.0, s.stream.cu_stream()) }
                .map_err(|e| failed(device, "cuMemcpyDtoHAsync", e))?;
            s.stream
                .synchronize()
                .map_err(|e| failed(device, "synchronising the stream after a copy", e))
        })
    }

    fn copy_device_to_device(
        &self,
        src_device: Device,
        src: DevicePtr,
        dst_device: Device,
        dst: DevicePtr,
        nbytes: usize,
    ) -> Result<()> {
        if nbytes == 0 {
            return Ok(());
        }
        if src_device == dst_device {
            return guarded(dst_device, "cuMemcpyDtoDAsync", || {
                let s = bound(dst_device, "cuMemcpyDtoDAsync")?;
                // SAFETY: both ranges lie in live allocations of this device (the trait's
                // contract), and the copy is ordered with all other work on its stream.
                unsafe { result::memcpy_dtod_async(dst.0, src.0, nbytes, s.stream.cu_stream()) }
                    .map_err(|e| failed(dst_device, "cuMemcpyDtoDAsync", e))
            });
        }
        guarded(dst_device, "cuMemcpyPeerAsync", || {
            // Two streams are involved: wait for the source's queued work, copy on the
            // destination's stream, and wait for the copy, so that neither side's later frees or
            // writes can overtake it.
            let from = bound(src_device, "cuMemcpyPeerAsync")?;
            from.stream
                .synchronize()
                .map_err(|e| failed(src_device, "synchronising before a peer copy", e))?;
            let to = bound(dst_device, "cuMemcpyPeerAsync")?;
            // SAFETY: both ranges lie in live allocations of their devices (trait contract).
            unsafe {
                result::memcpy_peer_async(
                    to.ctx.cu_ctx(),
                    dst.0,
                    from.ctx.cu_ctx(),
                    src.0,
                    nbytes,
                    to.stream.cu_stream(),
                )
            }
            .map_err(|e| failed(dst_device, "cuMemcpyPeerAsync", e))?;
            to.stream
                .synchronize()
                .map_err(|e| failed(dst_device, "synchronising after a peer copy", e))
        })
    }

    fn synchronize(&self, device: Device) -> Result<()> {
        super::synchronize(device)
    }
}
