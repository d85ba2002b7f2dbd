//! Transparent huge pages for large host blocks.
//!
//! A large block comes from `calloc` as fresh zero pages, so the first write to each page faults.
//! With 4 KiB pages that dominated functional calls on large tensors: allocating, writing and
//! freeing 64 MiB took 57–65 ms, against 18 ms with 2 MiB pages and 8.5 ms for rewriting reused
//! memory (one thread, this project's KVM machines), and `mul3::call` on a 64 MiB tensor ran at a
//! tenth of its out variant's speed. Linux's `madvise(MADV_HUGEPAGE)` asks for 2 MiB pages where
//! the system's THP mode is `madvise`; under `always` it changes nothing, under `never` the kernel
//! ignores it. PyTorch's CPU allocator offers the same (`THP_MEM_ALLOC_ENABLE`).

/// Blocks from this size on are advised: smaller ones are mostly served from the heap and hold
/// few whole huge pages.
pub(super) const MIN_BYTES: usize = 4 << 20;

/// Asks the kernel to back `[ptr, ptr + len)` with huge pages. A hint: a refusal changes nothing
/// and is ignored.
pub(super) fn advise(ptr: *mut u8, len: usize) {
    // Miri cannot call into the OS; the advice never changes memory contents anyway.
    #[cfg(all(target_os = "linux", not(miri)))]
    {
        // SAFETY: `sysconf` only reads a system constant.
        let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
        if !page.is_power_of_two() {
            return;
        }
        // `madvise` needs a page-aligned start: narrow the range inward to whole pages.
        let start = (ptr as usize).next_multiple_of(page);
        let end = (ptr as usize).saturating_add(len) & !(page - 1);
        if end > start {
            // SAFETY: the range lies inside a live allocation owned by the caller, and
            // `MADV_HUGEPAGE` changes how its pages are backed, never their contents.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(any(not(target_os = "linux"), miri))]
    let _ = (ptr, len);
}
