//! [`Storage`]: the reference-counted, device-tagged memory behind tensors, and the borrow flag that
//! keeps shared mutable tensors sound.
//!
//! # Memory
//!
//! Host memory comes from the global allocator, 64-byte aligned (a cache line, and enough for any
//! SIMD load), and is always zero-filled: reading uninitialised bytes as numbers would be undefined
//! behaviour. It shares one heap block with the storage's header (reference count, borrow flag,
//! size), so creating a tensor costs one allocation. The block is requested at alignment 16 and
//! the 64-byte boundary is found inside it: large blocks come from `alloc_zeroed`, which the system
//! allocator serves with `calloc`, mapping fresh zero pages instead of writing zeros (asking for
//! alignment 64 would make std call `posix_memalign` and then `memset` every byte, touching every
//! page of an output before the kernel does); small ones from `malloc` with their bytes zeroed by
//! hand; blocks of up to 256 bytes are recycled through a small per-thread cache
//! (`storage/block_cache.rs`), and blocks of 4 MiB or more are advised to use transparent huge
//! pages (`storage/huge_pages.rs`). Storage can also *adopt* a `Vec<T>` without copying; it is then
//! given back to `Vec`'s own deallocation with its original type, length and capacity. Device memory belongs to the
//! [`DeviceBackend`] of its kind and is returned to it.
//!
//! # The borrow rule
//!
//! Tensors share storage as in PyTorch (views, clones), so two tensors may name the same bytes.
//! Rust forbids a `&mut [T]` while any other reference to those bytes lives; the runtime checks
//! this at the granularity of **the whole storage**, with one atomic counter per storage:
//!
//! - a read borrow (a [`SliceGuard`], a [`TensorView`](crate::TensorView), the source of a copy)
//!   counts up; it fails while a write borrow is held;
//! - a write borrow (a [`SliceGuardMut`], a [`TensorViewMut`](crate::TensorViewMut), the target of
//!   a copy) needs the counter at zero; it fails while any read or write borrow is held.
//!
//! A conflict returns [`Error::StorageBorrowed`] at once: the check never blocks and never panics.
//! Writing through the only handle to a storage, borrowed mutably (a fresh output, say), skips the
//! counter: nothing else can reach the bytes then.
//! Because the granularity is the storage, two disjoint slices of one storage cannot be written and
//! read at the same time even though they do not overlap (split such work across storages, or
//! copy). Borrows are released when their guard is dropped.

use std::alloc::{self, Layout};
use std::fmt;
use std::ops::Range;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering, fence};

use crate::device::{DeviceBackend, DevicePtr, backend_for};

mod block_cache;
mod borrow;
mod huge_pages;

use crate::{Device, Element, Error, Result};
pub use borrow::{BorrowKind, SliceGuard, SliceGuardMut};
pub(crate) use borrow::{ReadBorrow, WriteBorrow};

/// The alignment of host storage, in bytes.
pub const HOST_ALIGNMENT: usize = 64;

/// Alignment requested from the allocator. 16 is the most `calloc` guarantees on 64-bit targets;
/// std uses `calloc` for zeroed blocks only up to this alignment.
const BLOCK_ALIGN: usize = 16;

/// The largest padding needed to reach a 64-byte boundary inside a 16-aligned block.
const MAX_PAD: usize = HOST_ALIGNMENT - BLOCK_ALIGN;

/// Blocks up to this size are taken with `malloc` and zeroed by hand: glibc's `calloc` skips its
/// per-thread cache, which made small allocations twice as slow.
const SMALL_BLOCK: usize = 4096;

/// Memory on some device, shared by every tensor that views it.
///
/// Cloning is cheap (a reference count). The bytes are freed when the last clone is dropped.
///
/// ```
/// use op_runtime::{Device, Storage};
/// let s = Storage::zeros(16, Device::Cpu).unwrap();
/// assert_eq!(s.nbytes(), 16);
/// assert!(s.ptr_eq(&s.clone()));
/// ```
pub struct Storage {
    /// The shared header; each `Storage` owns one count of `Inner::refs`.
    inner: NonNull<Inner>,
}

/// The header of a storage: a hand-rolled `Arc` so that host bytes can live in the same heap
/// block as the counts (one allocation per tensor instead of two; this halved the cost of
/// `Tensor::empty` for small tensors).
struct Inner {
    /// Number of `Storage` handles; the block is freed when it drops to zero.
    refs: AtomicUsize,
    /// Readers count up; a writer sets [`WRITING`]. See the module documentation.
    borrow: AtomicIsize,
    device: Device,
    nbytes: usize,
    memory: Memory,
    /// The allocation holding this header (and, for [`Memory::Host`], the bytes after it).
    block: Layout,
}

#[derive(Clone, Copy)]
enum Memory {
    /// Host bytes at `data` (64-aligned) in the header's own block; dangling (aligned, never
    /// dereferenced beyond zero bytes) for zero bytes.
    Host { data: NonNull<u8> },
    /// A `Vec<T>`'s buffer, given back to `Vec` by `free` (which knows `T`).
    Adopted {
        data: NonNull<u8>,
        len: usize,
        capacity: usize,
        free: unsafe fn(NonNull<u8>, usize, usize),
    },
    /// Device memory owned by `backend`.
    Device {
        ptr: DevicePtr,
        backend: &'static dyn DeviceBackend,
    },
}

/// Where host bytes start in a block: after the header, rounded so that the block's 16-byte
/// alignment carries over and at most `MAX_PAD` more bytes reach a 64-byte boundary.
const HEADER_SPAN: usize = size_of::<Inner>().next_multiple_of(BLOCK_ALIGN);

// SAFETY: a `Storage` owns its share of the header and the memory (nothing else frees them); the
// counts are atomic, and every access to the bytes goes through a borrow guard whose atomic flag
// makes reads and writes exclusive, so handles on several threads cannot race. Backends are
// `Send + Sync` by their trait bound.
unsafe impl Send for Storage {}
// SAFETY: see `Send` above: `&Storage` only hands out memory through the atomic borrow flag.
unsafe impl Sync for Storage {}

#[repr(align(64))]
struct Align64;

/// A non-null, 64-aligned pointer for zero-byte storage.
fn dangling_host() -> NonNull<u8> {
    NonNull::<Align64>::dangling().cast()
}

/// The error for host memory not aligned for the element type asked for.
#[cold]
#[inline(never)]
fn misaligned(dtype: crate::DType) -> Error {
    Error::InvalidArgument(format!(
        "storage is not aligned for {dtype} elements; it was created for another element type"
    ))
}

/// Returns an adopted `Vec<T>` buffer to `Vec`.
///
/// # Safety
/// `data`, `len` and `capacity` must come from one `Vec<T>` that was not freed since.
unsafe fn free_vec<T>(data: NonNull<u8>, len: usize, capacity: usize) {
    // SAFETY: guaranteed by the caller: these are the parts of a live `Vec<T>`.
    drop(unsafe { Vec::from_raw_parts(data.cast::<T>().as_ptr(), len, capacity) });
}

impl Memory {
    /// Frees memory that lives outside the header's block (adopted vectors, device memory).
    ///
    /// # Safety
    /// Called at most once per memory, when nothing can use it any more.
    unsafe fn release(self, device: Device, nbytes: usize) {
        match self {
            Memory::Host { .. } => {}
            Memory::Adopted {
                data,
                len,
                capacity,
                free,
            } => {
                // SAFETY: `free` is `free_vec::<T>` for the `T` whose `Vec` gave these parts, and
                // the caller frees them once.
                unsafe { free(data, len, capacity) }
            }
            Memory::Device { ptr, backend } => backend.deallocate(device, ptr, nbytes),
        }
    }
}

impl Clone for Storage {
    #[inline]
    fn clone(&self) -> Storage {
        let old = self.inner().refs.fetch_add(1, Ordering::Relaxed);
        // As `Arc` does: 2^63 handles cannot exist unless they are being leaked on purpose, and
        // wrapping the count would free the memory under live handles.
        if old > isize::MAX as usize {
            std::process::abort();
        }
        Storage { inner: self.inner }
    }
}

impl Drop for Storage {
    #[inline]
    fn drop(&mut self) {
        // `Release` orders this handle's uses of the memory before the free; the `Acquire` fence
        // orders the free after every other handle's release (the protocol of `Arc`). The last
        // handle skips the read-modify-write: no other handle exists to clone it or to race, and
        // the `Acquire` load orders the free after the other handles' releases.
        let refs = &self.inner().refs;
        if refs.load(Ordering::Acquire) != 1 {
            if refs.fetch_sub(1, Ordering::Release) != 1 {
                return;
            }
            fence(Ordering::Acquire);
        }
        let header = self.inner.as_ptr();
        // SAFETY: this was the last handle, so nothing else reads the header or the memory. The
        // header's fields are plain data (no destructors); the memory is released once, and the
        // block freed with the layout it was allocated with.
        unsafe {
            let Inner {
                device,
                nbytes,
                memory,
                block,
                ..
            } = std::ptr::read(header);
            let cached =
                matches!(memory, Memory::Host { .. }) && block == block_cache::CACHED_LAYOUT;
            memory.release(device, nbytes);
            if cached {
                // Small host blocks come from the cache (see `host_zeroed`).
                block_cache::give_back(self.inner.cast());
            } else {
                alloc::dealloc(header.cast(), block);
            }
        }
    }
}

impl Inner {
    fn new(device: Device, nbytes: usize, memory: Memory, block: Layout) -> Inner {
        Inner {
            refs: AtomicUsize::new(1),
            borrow: AtomicIsize::new(0),
            device,
            nbytes,
            memory,
            block,
        }
    }
}

impl Storage {
    #[inline]
    fn inner(&self) -> &Inner {
        // SAFETY: the header stays allocated while any handle (this one included) exists.
        unsafe { self.inner.as_ref() }
    }

    /// A storage whose memory lives outside its header (adopted or device memory).
    ///
    /// The header is a small fixed-size allocation; like `Arc::new`, failing to get one goes to
    /// `handle_alloc_error` (the process cannot do anything useful at that point). Large
    /// allocations, the ones that fail in practice, are errors: see [`Storage::zeros`].
    fn with_memory(device: Device, nbytes: usize, memory: Memory) -> Storage {
        let block = Layout::new::<Inner>();
        // SAFETY: `Inner` is not zero-sized.
        let raw = unsafe { alloc::alloc(block) }.cast::<Inner>();
        let Some(header) = NonNull::new(raw) else {
            alloc::handle_alloc_error(block)
        };
        // SAFETY: `header` is freshly allocated for an `Inner`, so valid and aligned for writes.
        unsafe { header.write(Inner::new(device, nbytes, memory, block)) };
        Storage { inner: header }
    }

    /// `nbytes` zero bytes on `device`.
    ///
    /// Fails with [`Error::AllocationFailed`] when memory is exhausted, and with
    /// [`Error::DeviceUnavailable`] for a device whose backend is not registered.
    pub fn zeros(nbytes: usize, device: Device) -> Result<Storage> {
        Storage::allocate(nbytes, device, true)
    }

    /// `nbytes` on `device`, zeroed when `zeroed` (host memory is always zeroed).
    #[inline]
    pub(crate) fn allocate(nbytes: usize, device: Device, zeroed: bool) -> Result<Storage> {
        match device {
            Device::Cpu => Storage::host_zeroed(nbytes),
            _ => {
                let backend = backend_for(device)?;
                let ptr = backend.allocate(device, nbytes, zeroed)?;
                Ok(Storage::with_memory(
                    device,
                    nbytes,
                    Memory::Device { ptr, backend },
                ))
            }
        }
    }

    /// `nbytes` zeroed host bytes in one block with the header.
    fn host_zeroed(nbytes: usize) -> Result<Storage> {
        let failed = || Error::AllocationFailed {
            device: Device::Cpu,
            nbytes,
        };
        let size = if nbytes == 0 {
            size_of::<Inner>()
        } else {
            nbytes
                .checked_add(HEADER_SPAN + MAX_PAD)
                .ok_or_else(failed)?
        };
        let small = size <= SMALL_BLOCK;
        let (block, header) = if size <= block_cache::CACHED_SIZE {
            let header = block_cache::take().ok_or_else(failed)?;
            (block_cache::CACHED_LAYOUT, header)
        } else {
            let block = Layout::from_size_align(size, BLOCK_ALIGN).map_err(|_| failed())?;
            // SAFETY: `block` is not zero-sized (it holds at least the header).
            let raw = unsafe {
                if small {
                    alloc::alloc(block)
                } else {
                    alloc::alloc_zeroed(block)
                }
            };
            let raw = NonNull::new(raw).ok_or_else(failed)?;
            if size >= huge_pages::MIN_BYTES {
                huge_pages::advise(raw.as_ptr(), size);
            }
            (block, raw)
        };
        let data = if nbytes == 0 {
            dangling_host()
        } else {
            // SAFETY: `HEADER_SPAN <= size`, so this stays inside the block.
            let start = unsafe { header.add(HEADER_SPAN) };
            // `start` is 16-aligned (the block is, and `HEADER_SPAN` is a multiple of 16), so at
            // most `MAX_PAD` bytes reach the next 64-byte boundary; the block has room for them.
            let pad = start.as_ptr().align_offset(HOST_ALIGNMENT).min(MAX_PAD);
            // SAFETY: `HEADER_SPAN + pad + nbytes <= size`: the data lies inside the block.
            let data = unsafe { start.add(pad) };
            if small {
                // Zero only the data: zeroing the whole block right after `malloc` would be
                // turned into a `calloc` by the optimiser, which is slower for small sizes.
                // SAFETY: `data..data + nbytes` is inside the block and writable.
                unsafe { data.as_ptr().write_bytes(0, nbytes) };
            }
            data
        };
        let inner = Inner::new(Device::Cpu, nbytes, Memory::Host { data }, block);
        let header = header.cast::<Inner>();
        // SAFETY: the block starts with room for an `Inner` and is 16-aligned (enough for it).
        unsafe { header.write(inner) };
        Ok(Storage { inner: header })
    }

    /// Host storage that takes over `values`' buffer without copying; the buffer is freed as a
    /// `Vec<T>` when the storage goes.
    pub fn from_vec<T: Element>(values: Vec<T>) -> Storage {
        let mut values = std::mem::ManuallyDrop::new(values);
        let (len, capacity) = (values.len(), values.capacity());
        // A `Vec`'s buffer never exceeds `isize::MAX` bytes, so this cannot overflow.
        let nbytes = len * size_of::<T>();
        // `Vec::as_mut_ptr` is never null (it dangles, aligned, for an empty vector).
        let data = NonNull::new(values.as_mut_ptr().cast::<u8>()).unwrap_or_else(dangling_host);
        let memory = Memory::Adopted {
            data,
            len,
            capacity,
            free: free_vec::<T>,
        };
        Storage::with_memory(Device::Cpu, nbytes, memory)
    }

    /// The device the bytes live on.
    #[inline]
    pub fn device(&self) -> Device {
        self.inner().device
    }

    /// Length in bytes.
    #[inline]
    pub fn nbytes(&self) -> usize {
        self.inner().nbytes
    }

    /// Whether `self` and `other` are the same storage (not merely equal bytes).
    #[inline]
    pub fn ptr_eq(&self, other: &Storage) -> bool {
        self.inner == other.inner
    }

    /// The address of the first byte on the host, `None` for device storage. For identifying and
    /// comparing memory; reading or writing through it bypasses the borrow rule.
    #[inline]
    pub fn host_ptr(&self) -> Option<*const u8> {
        match self.inner().memory {
            Memory::Host { data, .. } | Memory::Adopted { data, .. } => Some(data.as_ptr()),
            Memory::Device { .. } => None,
        }
    }

    /// The device address of the first byte, `None` for host storage; what a device kernel is
    /// launched with.
    #[inline]
    pub fn device_ptr(&self) -> Option<DevicePtr> {
        match self.inner().memory {
            Memory::Device { ptr, .. } => Some(ptr),
            _ => None,
        }
    }

    /// The host bytes as a pointer, or the error for device storage.
    #[inline]
    fn host_data(&self) -> Result<NonNull<u8>> {
        match self.inner().memory {
            Memory::Host { data, .. } | Memory::Adopted { data, .. } => Ok(data),
            Memory::Device { .. } => Err(Error::DeviceMismatch {
                expected: Device::Cpu,
                found: self.inner().device,
            }),
        }
    }

    /// The host memory as a whole number of `T`s (any trailing partial element is left out).
    #[inline]
    fn typed<T: Element>(&self) -> Result<(NonNull<T>, usize)> {
        let data = self.host_data()?;
        if !(data.as_ptr() as usize).is_multiple_of(align_of::<T>()) {
            return Err(misaligned(T::DTYPE));
        }
        Ok((data.cast::<T>(), self.inner().nbytes / size_of::<T>()))
    }

    /// A new storage on `device` holding a copy of this storage's bytes in `range`.
    ///
    /// Host to host copies directly; anything involving an accelerator goes through its backend
    /// (between two kinds of accelerator, through the host).
    pub(crate) fn copy_range_to(&self, range: Range<usize>, device: Device) -> Result<Storage> {
        let len = range
            .end
            .checked_sub(range.start)
            .filter(|_| range.end <= self.nbytes());
        let Some(len) = len else {
            return Err(Error::InvalidArgument(format!(
                "byte range {range:?} is outside a storage of {} bytes",
                self.nbytes()
            )));
        };
        let src_device = self.device();
        match (src_device.is_cpu(), device.is_cpu()) {
            (true, true) => {
                let src = self.read::<u8>()?;
                let bytes = src.get(range).unwrap_or_default();
                let dst = Storage::host_zeroed(len)?;
                dst.write::<u8>()?.copy_from_slice(bytes);
                Ok(dst)
            }
            (true, false) => {
                let backend = backend_for(device)?;
                let src = self.read::<u8>()?;
                let bytes = src.get(range).unwrap_or_default();
                let dst = Storage::allocate(len, device, false)?;
                let dst_ptr = dst.device_ptr().ok_or_else(|| internal("device storage"))?;
                backend.copy_host_to_device(bytes, device, dst_ptr)?;
                Ok(dst)
            }
            (false, true) => {
                let backend = backend_for(src_device)?;
                let _reading = self.borrow_read()?;
                let src_ptr = self.device_offset(range.start)?;
                let dst = Storage::host_zeroed(len)?;
                backend.copy_device_to_host(src_device, src_ptr, &mut dst.write::<u8>()?)?;
                Ok(dst)
            }
            (false, false) if src_device.kind() == device.kind() => {
                let backend = backend_for(device)?;
                let _reading = self.borrow_read()?;
                let src_ptr = self.device_offset(range.start)?;
                let dst = Storage::allocate(len, device, false)?;
                let dst_ptr = dst.device_ptr().ok_or_else(|| internal("device storage"))?;
                backend.copy_device_to_device(src_device, src_ptr, device, dst_ptr, len)?;
                Ok(dst)
            }
            (false, false) => self
                .copy_range_to(range, Device::Cpu)?
                .copy_range_to(0..len, device),
        }
    }

    /// Writes host bytes into this device storage at byte `offset`, holding the write borrow.
    pub(crate) fn upload(&self, offset: usize, bytes: &[u8]) -> Result<()> {
        if offset
            .checked_add(bytes.len())
            .is_none_or(|end| end > self.nbytes())
        {
            return Err(Error::InvalidArgument(format!(
                "cannot write {} bytes at byte {offset} of a storage of {} bytes",
                bytes.len(),
                self.nbytes()
            )));
        }
        let device = self.device();
        let backend = backend_for(device)?;
        let _writing = self.borrow_write()?;
        let dst = self.device_offset(offset)?;
        backend.copy_host_to_device(bytes, device, dst)
    }

    fn device_offset(&self, offset: usize) -> Result<DevicePtr> {
        self.device_ptr()
            .and_then(|p| p.checked_add(offset))
            .ok_or_else(|| internal("device address"))
    }
}

fn internal(what: &str) -> Error {
    Error::InvalidArgument(format!(
        "internal error: expected a {what} (this is a bug in opkit)"
    ))
}

impl fmt::Debug for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Storage")
            .field("device", &self.inner().device)
            .field("nbytes", &self.inner().nbytes)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_memory_is_aligned_and_zeroed() {
        // Up to the block cache's size, past it, and past the huge-page advice's threshold.
        for nbytes in [0, 1, 7, 64, 100, 1000, 1 << 20, huge_pages::MIN_BYTES + 3] {
            if cfg!(miri) && nbytes > 1 << 20 {
                // Under Miri the huge-page advice is skipped, and 4 MiB byte by byte takes long.
                continue;
            }
            let s = Storage::zeros(nbytes, Device::Cpu).unwrap();
            assert_eq!(s.host_ptr().unwrap().addr() % HOST_ALIGNMENT, 0);
            assert!(s.read::<u8>().unwrap().iter().all(|&b| b == 0));
            // Written, freed and allocated again (possibly the same memory): zero again.
            s.write::<u8>().unwrap().fill(0xAB);
            drop(s);
            let again = Storage::zeros(nbytes, Device::Cpu).unwrap();
            assert!(again.read::<u8>().unwrap().iter().all(|&b| b == 0));
        }
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "Miri stops at a failed allocation instead of returning null"
    )]
    fn huge_allocations_fail_cleanly() {
        for nbytes in [usize::MAX, usize::MAX - 10, isize::MAX as usize, 1 << 60] {
            let err = Storage::zeros(nbytes, Device::Cpu).unwrap_err();
            assert_eq!(
                err,
                Error::AllocationFailed {
                    device: Device::Cpu,
                    nbytes
                }
            );
        }
    }

    #[test]
    fn borrow_flag_excludes_writers() {
        let s = Storage::zeros(8, Device::Cpu).unwrap();
        let r1 = s.read::<u8>().unwrap();
        let r2 = s.read::<u8>().unwrap();
        assert!(matches!(
            s.write::<u8>(),
            Err(Error::StorageBorrowed {
                wanted: BorrowKind::Write,
                held: BorrowKind::Read
            })
        ));
        drop((r1, r2));
        let w = s.write::<u8>().unwrap();
        assert!(matches!(
            s.read::<u8>(),
            Err(Error::StorageBorrowed {
                wanted: BorrowKind::Read,
                held: BorrowKind::Write
            })
        ));
        assert!(s.is_borrowed(BorrowKind::Write));
        drop(w);
        assert!(!s.is_borrowed(BorrowKind::Write) && !s.is_borrowed(BorrowKind::Read));
        assert!(s.write::<u8>().is_ok());
    }

    #[test]
    fn adopted_vectors_are_read_back() {
        let mut v = Vec::with_capacity(10);
        v.extend([1.5f32, 2.5]);
        let s = Storage::from_vec(v);
        assert_eq!(s.nbytes(), 8);
        assert_eq!(&*s.read::<f32>().unwrap(), &[1.5, 2.5]);
        let empty = Storage::from_vec(Vec::<f64>::new());
        assert_eq!(empty.read::<f64>().unwrap().len(), 0);
    }
}
