//! A per-thread cache of small host blocks.
//!
//! Every functional call allocates its output, and for the small tensors where call overhead
//! matters, `malloc` and `free` were a third of the instructions of `Tensor::empty` plus drop
//! (glibc's own per-thread cache still runs ~140 instructions per pair). Blocks up to
//! [`CACHED_SIZE`] bytes are therefore all allocated at exactly that size, so any one of them
//! serves any small request, and a freed one is kept (up to [`SLOTS`] per thread) for the next
//! allocation on the same thread. A block freed on another thread goes to that thread's cache; a
//! thread's cached blocks go back to the allocator when the thread exits.

use std::alloc::{self, Layout};
use std::cell::Cell;
use std::ptr::NonNull;

/// The size of every small block: header, alignment padding and up to ~100 bytes of data.
pub(super) const CACHED_SIZE: usize = 256;

/// How many freed blocks a thread keeps.
const SLOTS: usize = 8;

/// The layout of every small block (the alignment is the storage module's block alignment).
pub(super) const CACHED_LAYOUT: Layout = match Layout::from_size_align(CACHED_SIZE, 16) {
    Ok(layout) => layout,
    Err(_) => panic!("256 bytes at alignment 16 is a valid layout"),
};

struct Cache {
    blocks: [Cell<Option<NonNull<u8>>>; SLOTS],
    len: Cell<usize>,
}

impl Cache {
    const fn new() -> Cache {
        Cache {
            blocks: [const { Cell::new(None) }; SLOTS],
            len: Cell::new(0),
        }
    }

    fn pop(&self) -> Option<NonNull<u8>> {
        let len = self.len.get().checked_sub(1)?;
        self.len.set(len);
        self.blocks.get(len)?.take()
    }

    fn push(&self, block: NonNull<u8>) -> bool {
        let len = self.len.get();
        let Some(slot) = self.blocks.get(len) else {
            return false;
        };
        slot.set(Some(block));
        self.len.set(len + 1);
        true
    }
}

impl Drop for Cache {
    fn drop(&mut self) {
        for slot in &self.blocks {
            if let Some(block) = slot.take() {
                // SAFETY: every cached block came from `alloc` with `CACHED_LAYOUT` and is owned
                // by the cache alone.
                unsafe { alloc::dealloc(block.as_ptr(), CACHED_LAYOUT) };
            }
        }
    }
}

thread_local! {
    static CACHE: Cache = const { Cache::new() };
}

/// A block of [`CACHED_LAYOUT`]: a cached one, else a fresh one from the global allocator;
/// `None` when the allocator fails. Its bytes are not initialised.
#[inline]
pub(super) fn take() -> Option<NonNull<u8>> {
    // `try_with` fails only while the thread is being torn down; the allocator serves then.
    match CACHE.try_with(Cache::pop) {
        Ok(Some(block)) => Some(block),
        // SAFETY: `CACHED_LAYOUT` is not zero-sized.
        _ => NonNull::new(unsafe { alloc::alloc(CACHED_LAYOUT) }),
    }
}

/// Gives back a block of [`CACHED_LAYOUT`]: kept for this thread's next [`take`], or freed when
/// the cache is full.
///
/// # Safety
/// `block` came from [`take`] and nothing uses it any more.
#[inline]
pub(super) unsafe fn give_back(block: NonNull<u8>) {
    if !CACHE.try_with(|c| c.push(block)).unwrap_or(false) {
        // SAFETY: by the caller, `block` was allocated with `CACHED_LAYOUT` and is unused.
        unsafe { alloc::dealloc(block.as_ptr(), CACHED_LAYOUT) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_reused_on_one_thread_and_freed_beyond_the_slots() {
        let first = take().unwrap();
        // SAFETY: `first` came from `take` and is not used again.
        unsafe { give_back(first) };
        assert_eq!(
            take(),
            Some(first),
            "the freed block serves the next request"
        );
        let blocks: Vec<_> = (0..SLOTS + 3).map(|_| take().unwrap()).collect();
        for b in blocks {
            // SAFETY: each came from `take` and is not used again.
            unsafe { give_back(b) };
        }
        CACHE.with(|c| assert_eq!(c.len.get(), SLOTS));
        // SAFETY: `first` is the caller's again (taken above), unused.
        unsafe { give_back(first) };
    }
}
