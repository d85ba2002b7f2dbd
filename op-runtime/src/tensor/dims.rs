//! [`Dims`]: a shape or stride list stored inline up to [`INLINE_DIMS`] entries.
//!
//! Creating a tensor is on the dispatch hot path (every functional call allocates its output), and
//! two `Vec`s for shape and strides would be two heap allocations on top of the storage's. Tensors
//! of more than five dimensions are rare enough to pay for a `Box`; five is also what PyTorch's
//! `SizesAndStrides` keeps inline, and it keeps a `Tensor` under 128 bytes, below the size at which
//! moves become `memcpy` calls.

use std::fmt;
use std::ops::{Deref, DerefMut};

/// How many entries fit without a heap allocation.
pub(crate) const INLINE_DIMS: usize = 5;

/// A short list of `usize` or `isize` that derefs to a slice.
#[derive(Clone)]
pub(crate) enum Dims<T: Copy + Default> {
    Inline { len: u8, items: [T; INLINE_DIMS] },
    Heap(Box<[T]>),
}

impl<T: Copy + Default> Dims<T> {
    /// A list of `len` default values.
    #[inline]
    pub(crate) fn filled(len: usize) -> Self {
        if len <= INLINE_DIMS {
            // `len <= INLINE_DIMS` fits in a `u8`.
            Dims::Inline {
                len: len as u8,
                items: [T::default(); INLINE_DIMS],
            }
        } else {
            Dims::Heap(vec![T::default(); len].into_boxed_slice())
        }
    }

    /// A copy of `items`.
    #[inline]
    pub(crate) fn from_slice(items: &[T]) -> Self {
        if items.len() <= INLINE_DIMS {
            // Element by element over the fixed capacity: a `copy_from_slice` of a variable
            // length is a `memcpy` call, slower than these few moves on the tensor-creation path.
            let mut inline = [T::default(); INLINE_DIMS];
            for (slot, &item) in inline.iter_mut().zip(items) {
                *slot = item;
            }
            return Dims::Inline {
                len: items.len() as u8,
                items: inline,
            };
        }
        let mut dims = Self::filled(items.len());
        dims.copy_from_slice(items);
        dims
    }
}

impl<T: Copy + Default> Default for Dims<T> {
    /// The empty list (the shape of a scalar).
    fn default() -> Self {
        Self::filled(0)
    }
}

impl<T: Copy + Default> Deref for Dims<T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        match self {
            // `len <= INLINE_DIMS` by construction, so the range never fails.
            Dims::Inline { len, items } => items.get(..usize::from(*len)).unwrap_or_default(),
            Dims::Heap(items) => items,
        }
    }
}

impl<T: Copy + Default> DerefMut for Dims<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [T] {
        match self {
            Dims::Inline { len, items } => items.get_mut(..usize::from(*len)).unwrap_or_default(),
            Dims::Heap(items) => items,
        }
    }
}

impl<T: Copy + Default> FromIterator<T> for Dims<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut items = [T::default(); INLINE_DIMS];
        let mut iter = iter.into_iter();
        for (n, slot) in items.iter_mut().enumerate() {
            match iter.next() {
                Some(item) => *slot = item,
                None => {
                    return Dims::Inline {
                        len: n as u8,
                        items,
                    };
                }
            }
        }
        match iter.next() {
            None => Dims::Inline {
                len: INLINE_DIMS as u8,
                items,
            },
            Some(next) => {
                let mut all = items.to_vec();
                all.push(next);
                all.extend(iter);
                Dims::Heap(all.into_boxed_slice())
            }
        }
    }
}

impl<T: Copy + Default + PartialEq> PartialEq for Dims<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: Copy + Default + fmt::Debug> fmt::Debug for Dims<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_and_heap_agree() {
        for n in 0..10usize {
            let v: Vec<usize> = (0..n).collect();
            let collected: Dims<usize> = v.iter().copied().collect();
            assert_eq!(&*collected, &v[..]);
            assert_eq!(&*Dims::from_slice(&v), &v[..]);
            assert_eq!(matches!(collected, Dims::Inline { .. }), n <= INLINE_DIMS);
        }
    }
}
