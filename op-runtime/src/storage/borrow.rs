//! The borrow rule of a storage (see the parent module's documentation): the atomic counter,
//! the borrows that hold it, and the guards that hand out slices while they live.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicIsize, Ordering};

use super::Storage;
use crate::{Element, Error, Result};

/// The counter value while a writer holds the storage. Readers add 1 before they look, so while a
/// writer holds it the counter stays negative however many readers try (and back out) at once.
const WRITING: isize = isize::MIN;

/// What a borrow of a storage is for.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum BorrowKind {
    /// Shared, read-only access.
    Read,
    /// Exclusive, mutable access.
    Write,
}

impl BorrowKind {
    /// The past participle, for messages ("being read", "being written").
    pub const fn participle(self) -> &'static str {
        match self {
            BorrowKind::Read => "read",
            BorrowKind::Write => "written",
        }
    }
}

impl fmt::Display for BorrowKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BorrowKind::Read => "read",
            BorrowKind::Write => "write",
        })
    }
}

impl Storage {
    /// Whether a borrow of the given kind is held right now (a snapshot, for diagnostics).
    pub fn is_borrowed(&self, kind: BorrowKind) -> bool {
        let state = self.inner().borrow.load(Ordering::Relaxed);
        match kind {
            BorrowKind::Read => state > 0,
            BorrowKind::Write => state < 0,
        }
    }

    #[inline]
    pub(super) fn borrow_read(&self) -> Result<ReadBorrow<'_>> {
        let flag = &self.inner().borrow;
        // One atomic op on the fast path. A failed attempt adds 1 to a negative counter and takes
        // it back; that cannot make a writer's counter look free.
        if flag.fetch_add(1, Ordering::Acquire) < 0 {
            flag.fetch_sub(1, Ordering::Release);
            return Err(Error::StorageBorrowed {
                wanted: BorrowKind::Read,
                held: BorrowKind::Write,
            });
        }
        Ok(ReadBorrow { flag })
    }

    #[inline]
    pub(super) fn borrow_write(&self) -> Result<WriteBorrow<'_>> {
        let flag = &self.inner().borrow;
        match flag.compare_exchange(0, WRITING, Ordering::Acquire, Ordering::Relaxed) {
            Ok(_) => Ok(WriteBorrow { flag: Some(flag) }),
            Err(state) => {
                let held = if state > 0 {
                    BorrowKind::Read
                } else {
                    BorrowKind::Write
                };
                Err(Error::StorageBorrowed {
                    wanted: BorrowKind::Write,
                    held,
                })
            }
        }
    }

    /// Reads the whole host storage as `T`s, holding a read borrow while the guard lives.
    ///
    /// Crate-private because storage is untyped: only the tensor layer knows which `T` its bytes
    /// hold (a `bool` read from bytes written as `u8` would be undefined behaviour).
    #[inline]
    pub(crate) fn read<T: Element>(&self) -> Result<SliceGuard<'_, T>> {
        let (data, len) = self.typed::<T>()?;
        let borrow = self.borrow_read()?;
        // SAFETY: `data` is aligned for `T`, non-null, and `len` `T`s fit in the storage's
        // initialised bytes (host memory is zero-filled on allocation; adopted vectors are
        // initialised up to `len`). The tensor layer only reads `T` from storage holding `T`s, so
        // the bytes are valid `T`s. The read borrow excludes writers until the guard drops, and the
        // guard borrows `self`, which keeps the memory alive.
        let slice = unsafe { std::slice::from_raw_parts(data.as_ptr(), len) };
        Ok(SliceGuard {
            slice,
            _borrow: borrow,
        })
    }

    /// Mutable access to the whole host storage as `T`s, holding the write borrow.
    ///
    /// Crate-private for the reason given on [`Storage::read`]; writes must store valid `T`s of the
    /// storage's element type (writing bytes into a `bool` storage must keep them 0 or 1).
    #[inline]
    pub(crate) fn write<T: Element>(&self) -> Result<SliceGuardMut<'_, T>> {
        // SAFETY: not claimed exclusive: the borrow flag is taken.
        unsafe { self.write_as::<T>(false) }
    }

    /// [`Storage::write`] through the only handle, without touching the borrow flag.
    ///
    /// While no other handle exists (`refs == 1`) and this one is borrowed mutably for the
    /// guard's life, nothing else can reach the bytes: a borrow needs a handle, and a new handle
    /// can only be cloned from this one. The freshly allocated output of every functional call
    /// takes this path (a kernel's write access measured 8 ns this way, against 11 ns for a read
    /// access that takes the flag). A shared storage falls back to the flag.
    #[inline]
    pub(crate) fn write_unique<T: Element>(&mut self) -> Result<SliceGuardMut<'_, T>> {
        // `Acquire` pairs with the `Release` decrement of handles dropped on other threads, so
        // their uses of the bytes happen before ours.
        let only_handle = self.inner().refs.load(Ordering::Acquire) == 1;
        // SAFETY: `only_handle` with `&mut self` is the exclusivity argued above.
        unsafe { self.write_as::<T>(only_handle) }
    }

    /// The write guard, taking the borrow flag unless `exclusive`.
    ///
    /// # Safety
    /// With `exclusive`, nothing else may reach the bytes while the guard lives.
    #[inline]
    unsafe fn write_as<T: Element>(&self, exclusive: bool) -> Result<SliceGuardMut<'_, T>> {
        let (data, len) = self.typed::<T>()?;
        let borrow = if exclusive {
            WriteBorrow { flag: None }
        } else {
            self.borrow_write()?
        };
        // SAFETY: as in `read` for the pointer and length. The guard is exclusive: either the
        // counter moved from zero to `WRITING`, or the caller vouched for it, so no other
        // reference into this storage exists until the guard drops, and `&mut` is unique.
        let slice = unsafe { std::slice::from_raw_parts_mut(data.as_ptr(), len) };
        Ok(SliceGuardMut {
            slice,
            _borrow: borrow,
        })
    }
}

/// A held read borrow; releases it on drop.
pub(crate) struct ReadBorrow<'a> {
    flag: &'a AtomicIsize,
}

impl Drop for ReadBorrow<'_> {
    #[inline]
    fn drop(&mut self) {
        self.flag.fetch_sub(1, Ordering::Release);
    }
}

/// A held write borrow; releases it on drop. Without a flag it is the write access of the only
/// handle (see [`Storage::write_unique`]), which holds nothing to release.
pub(crate) struct WriteBorrow<'a> {
    flag: Option<&'a AtomicIsize>,
}

impl Drop for WriteBorrow<'_> {
    #[inline]
    fn drop(&mut self) {
        if let Some(flag) = self.flag {
            // Subtracting (rather than storing 0) keeps the +1s of readers that are backing out.
            flag.fetch_sub(WRITING, Ordering::Release);
        }
    }
}

/// Read access to contiguous elements of a tensor: derefs to `&[T]` and holds the storage's read
/// borrow until dropped. Returned by [`Tensor::as_slice`](crate::Tensor::as_slice).
pub struct SliceGuard<'a, T> {
    slice: &'a [T],
    _borrow: ReadBorrow<'a>,
}

impl<'a, T> SliceGuard<'a, T> {
    /// Narrows the guarded slice (for a tensor's own elements within its storage).
    #[inline]
    pub(crate) fn map(self, f: impl FnOnce(&'a [T]) -> &'a [T]) -> SliceGuard<'a, T> {
        SliceGuard {
            slice: f(self.slice),
            _borrow: self._borrow,
        }
    }

    /// The slice and the borrow that keeps it valid, for views built on the same memory.
    pub(crate) fn into_parts(self) -> (&'a [T], ReadBorrow<'a>) {
        (self.slice, self._borrow)
    }
}

impl<T> Deref for SliceGuard<'_, T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.slice
    }
}

impl<T: fmt::Debug> fmt::Debug for SliceGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.slice.fmt(f)
    }
}

/// Write access to contiguous elements of a tensor: derefs to `&mut [T]` and holds the storage's
/// write borrow until dropped. Returned by [`Tensor::as_mut_slice`](crate::Tensor::as_mut_slice).
pub struct SliceGuardMut<'a, T> {
    slice: &'a mut [T],
    _borrow: WriteBorrow<'a>,
}

impl<'a, T> SliceGuardMut<'a, T> {
    /// Narrows the guarded slice.
    #[inline]
    pub(crate) fn map(self, f: impl FnOnce(&'a mut [T]) -> &'a mut [T]) -> SliceGuardMut<'a, T> {
        SliceGuardMut {
            slice: f(self.slice),
            _borrow: self._borrow,
        }
    }

    /// The slice and the borrow that keeps it exclusive.
    pub(crate) fn into_parts(self) -> (&'a mut [T], WriteBorrow<'a>) {
        (self.slice, self._borrow)
    }
}

impl<T> Deref for SliceGuardMut<'_, T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.slice
    }
}

impl<T> DerefMut for SliceGuardMut<'_, T> {
    fn deref_mut(&mut self) -> &mut [T] {
        self.slice
    }
}

impl<T: fmt::Debug> fmt::Debug for SliceGuardMut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.slice.fmt(f)
    }
}
