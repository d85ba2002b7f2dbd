//! [`Tensor`]: a strided view of typed elements in a shared [`Storage`].
//!
//! The parts live in submodules: `construct` (creating tensors), `views` (reshaping and indexing
//! without copying), `copy` (contiguous copies, dtype and device conversion), `data` (reading and
//! writing elements). `layout` holds the pure shape and stride arithmetic, `strided` the element
//! walk, `dims` the inline shape storage.

mod construct;
mod copy;
mod data;
mod dims;
mod layout;
mod strided;
mod views;

use std::fmt;

pub(crate) use copy::check_fits;
pub(crate) use layout::{Layout, checked_numel, dim_out_of_range_message};
pub(crate) use strided::walk;

use crate::{DType, Device, Result, Storage};

/// An n-dimensional array of one [`DType`] on one [`Device`], like PyTorch's `Tensor`.
///
/// A tensor is a *view*: a shape, strides in elements (zero for broadcast dimensions, negative for
/// flipped ones), an element offset, and a shared [`Storage`]. Cloning a tensor and taking a view
/// (`transpose`, `narrow`, `reshape` when strides allow, ...) share the storage without copying;
/// `deep_clone`, `contiguous` on a strided tensor and `to_dtype` copy.
///
/// Because views share memory, mutable access is checked at run time: see the borrow rule in
/// [`Storage`]'s module documentation. Accessors that hand out memory
/// ([`as_slice`](Tensor::as_slice), [`view`](Tensor::view), ...) return guards that hold a borrow.
///
/// ```
/// use op_runtime::{DType, Device, Tensor};
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).unwrap();
/// let t = x.transpose(0, 1).unwrap();
/// assert_eq!(t.shape(), &[3, 2]);
/// assert_eq!(t.strides(), &[1, 3]);
/// assert!(t.same_storage(&x));
/// assert_eq!(t.to_vec::<f32>().unwrap(), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
/// assert_eq!(Tensor::zeros(&[2], DType::I64, Device::Cpu).unwrap().to_string(), "tensor([0, 0])");
/// ```
#[derive(Clone)]
pub struct Tensor {
    storage: Storage,
    layout: Layout,
    dtype: DType,
    /// `layout.is_contiguous()`, computed once: every kernel asks through `as_slice`, on the
    /// dispatch hot path, and walking the dimensions each time cost more than the rest of that
    /// check. Kept here rather than in `Layout` so that a `Tensor` stays under 128 bytes (larger
    /// moves become `memcpy` calls).
    contiguous: bool,
}

impl Tensor {
    /// A tensor from its parts; the layout must fit the storage (checked where memory is touched).
    #[inline]
    pub(crate) fn from_parts(storage: Storage, layout: Layout, dtype: DType) -> Tensor {
        Tensor {
            storage,
            contiguous: layout.is_contiguous(),
            layout,
            dtype,
        }
    }

    /// The same storage and dtype with another layout.
    pub(crate) fn with_layout(&self, layout: Layout) -> Tensor {
        Tensor::from_parts(self.storage.clone(), layout, self.dtype)
    }

    pub(crate) fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The element type.
    #[inline]
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Sizes, outermost first; empty for a 0-dimensional (scalar) tensor.
    #[inline]
    pub fn shape(&self) -> &[usize] {
        self.layout.shape()
    }

    /// Strides in elements, one per dimension: zero for broadcast dimensions, negative for
    /// flipped ones.
    #[inline]
    pub fn strides(&self) -> &[isize] {
        self.layout.strides()
    }

    /// The storage index, in elements, of the first element.
    #[inline]
    pub fn offset(&self) -> usize {
        self.layout.offset
    }

    /// Number of elements (the product of the shape; 1 for a scalar).
    #[inline]
    pub fn numel(&self) -> usize {
        self.layout.numel()
    }

    /// Number of dimensions.
    #[inline]
    pub fn dim(&self) -> usize {
        self.layout.ndim()
    }

    /// Size of dimension `dim`; negative `dim` counts from the end, as in PyTorch.
    ///
    /// ```
    /// # use op_runtime::{DType, Device, Tensor};
    /// let t = Tensor::zeros(&[2, 3], DType::F32, Device::Cpu).unwrap();
    /// assert_eq!(t.size(-1).unwrap(), 3);
    /// assert!(t.size(2).is_err());
    /// ```
    pub fn size(&self, dim: isize) -> Result<usize> {
        let d = layout::wrap_dim(dim, self.dim())?;
        Ok(self.layout.shape()[d])
    }

    /// Size of the elements in bytes: `numel() * dtype().size_in_bytes()`.
    #[inline]
    pub fn nbytes(&self) -> usize {
        self.numel() * self.dtype.size_in_bytes()
    }

    /// The device the data lives on.
    #[inline]
    pub fn device(&self) -> Device {
        self.storage.device()
    }

    /// The shared storage.
    #[inline]
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// Whether the elements are laid out row-major without gaps (PyTorch's `is_contiguous`:
    /// strides of size-1 dimensions do not matter; empty tensors are contiguous).
    #[inline]
    pub fn is_contiguous(&self) -> bool {
        self.contiguous
    }

    /// Whether both tensors view the same storage (whether or not their elements intersect).
    pub fn same_storage(&self, other: &Tensor) -> bool {
        self.storage.ptr_eq(&other.storage)
    }

    /// Whether the two tensors may share an element: the same storage and intersecting byte
    /// ranges, judged conservatively from each tensor's lowest and highest element address (two
    /// interleaved views such as the even and odd columns count as overlapping).
    pub fn overlaps(&self, other: &Tensor) -> bool {
        if !self.same_storage(other) {
            return false;
        }
        let bytes = |t: &Tensor| {
            let size = t.dtype.size_in_bytes() as isize;
            t.layout
                .index_range()
                .map(|(lo, hi)| (lo.saturating_mul(size), (hi + 1).saturating_mul(size)))
        };
        match (bytes(self), bytes(other)) {
            (Some((a0, a1)), Some((b0, b1))) => a0 < b1 && b0 < a1,
            _ => false,
        }
    }
}

/// `Tensor { shape: [2, 2], dtype: float32, device: cpu, strides: [2, 1], offset: 0 }`.
impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Tensor {{ shape: {:?}, dtype: {}, device: {}, strides: {:?}, offset: {} }}",
            self.shape(),
            self.dtype,
            self.device(),
            self.strides(),
            self.offset()
        )
    }
}
