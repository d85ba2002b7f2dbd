//! [`Layout`]: where a tensor's elements sit in its storage — shape, strides in elements, and the
//! offset of the first element — and the pure arithmetic of views over it.
//!
//! Every view op here returns a new layout reaching only elements the old one reached (or, for
//! `reshape`, the same set), so a layout that fits its storage keeps fitting. All arithmetic is
//! checked: a layout op never panics or wraps.

use super::dims::{Dims, INLINE_DIMS};
use crate::{Error, Result};

/// Shape, strides (in elements; zero for broadcast dimensions, negative for flipped ones) and the
/// element offset of index `[0, 0, ...]`.
///
/// Shape and strides are read-only after construction, so that a [`Tensor`](crate::Tensor) can
/// cache what it derives from them (its contiguity); the offset may move.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Layout {
    shape: Dims<usize>,
    strides: Dims<isize>,
    pub(crate) offset: usize,
}

/// The message of [`Error::DimOutOfRange`], PyTorch's wording.
pub(crate) fn dim_out_of_range_message(dim: isize, ndim: usize) -> String {
    if ndim == 0 {
        format!(
            "dimension {dim} is out of range: the tensor has no dimensions (only 0 and -1 name \
             the new dimension of unsqueeze); use a dimension of a tensor with at least one"
        )
    } else {
        format!(
            "dimension out of range (expected to be in range of [-{ndim}, {}], but got {dim}); \
             negative dimensions count from the end",
            ndim - 1
        )
    }
}

/// PyTorch's `maybe_wrap_dim`: `dim` in `-ndim..ndim`, negative counting from the end.
pub(crate) fn wrap_dim(dim: isize, ndim: usize) -> Result<usize> {
    let out_of_range = || Error::DimOutOfRange { dim, ndim };
    let n = isize::try_from(ndim).map_err(|_| out_of_range())?;
    let wrapped = if dim < 0 { dim + n } else { dim };
    if (0..n).contains(&wrapped) {
        Ok(wrapped as usize)
    } else {
        Err(out_of_range())
    }
}

/// [`wrap_dim`] for the view ops PyTorch lets treat a 0-d tensor as having one dim
/// (`maybe_wrap_dim(.., wrap_scalar=true)`: `transpose`, `flip`, `squeeze(dim)`), which then
/// return it unchanged: `Some(dim)`, or `None` for a 0-d layout given dim 0 or -1.
pub(crate) fn wrap_dim_or_scalar(dim: isize, ndim: usize) -> Result<Option<usize>> {
    if ndim == 0 {
        return match dim {
            0 | -1 => Ok(None),
            _ => Err(Error::DimOutOfRange { dim, ndim: 1 }),
        };
    }
    wrap_dim(dim, ndim).map(Some)
}

/// The element count of `shape`, or [`Error::ShapeOverflow`] when it or any single size exceeds
/// `isize::MAX` (the most elements anything addressable can hold, and ndarray's limit). After this
/// check every size converts to `isize` exactly, even in a shape with a zero.
pub(crate) fn checked_numel(shape: &[usize]) -> Result<usize> {
    let fits = |n: &usize| isize::try_from(*n).is_ok();
    shape
        .iter()
        .try_fold(
            1usize,
            |acc, &d| if fits(&d) { acc.checked_mul(d) } else { None },
        )
        .filter(fits)
        .ok_or_else(|| Error::ShapeOverflow {
            shape: shape.to_vec(),
        })
}

/// Row-major strides of `shape`; sizes of 0 or 1 do not scale the strides before them (PyTorch
/// uses `max(size, 1)`). The caller has checked the element count with [`checked_numel`].
#[inline]
pub(crate) fn contiguous_strides(shape: &[usize]) -> Dims<isize> {
    let mut strides = [0isize; INLINE_DIMS];
    let mut heap = Vec::new();
    let out: &mut [isize] = match strides.get_mut(..shape.len()) {
        Some(inline) => inline,
        None => {
            heap.resize(shape.len(), 0);
            &mut heap
        }
    };
    let mut step: isize = 1;
    for (stride, &size) in out.iter_mut().zip(shape).rev() {
        *stride = step;
        // Each size fits in isize (checked by the caller); saturating keeps the unused product
        // after the outermost dimension from overflowing.
        step = step.saturating_mul(isize::try_from(size.max(1)).unwrap_or(isize::MAX));
    }
    if heap.is_empty() {
        Dims::Inline {
            len: shape.len() as u8,
            items: strides,
        }
    } else {
        Dims::Heap(heap.into_boxed_slice())
    }
}

/// PyTorch's `is_contiguous` of a shape and strides (see [`Layout::is_contiguous`]).
fn is_contiguous(shape: &[usize], strides: &[isize]) -> bool {
    // Empty first: a mismatched stride of a later dim must not hide a size-0 dim before it.
    if shape.contains(&0) {
        return true;
    }
    let mut expected: isize = 1;
    for (&size, &stride) in shape.iter().zip(strides.iter()).rev() {
        if size != 1 {
            if stride != expected {
                return false;
            }
            expected = expected.saturating_mul(size as isize);
        }
    }
    true
}

fn overflow(shape: &[usize]) -> Error {
    Error::ShapeOverflow {
        shape: shape.to_vec(),
    }
}

impl Layout {
    /// A layout from its parts; the element count must fit in `isize` (callers check it with
    /// [`checked_numel`] where the shape is new).
    #[inline]
    pub(crate) fn new(shape: Dims<usize>, strides: Dims<isize>, offset: usize) -> Layout {
        Layout {
            shape,
            strides,
            offset,
        }
    }

    /// A row-major layout of `shape` at offset 0.
    pub(crate) fn contiguous(shape: &[usize]) -> Result<Layout> {
        checked_numel(shape)?;
        Ok(Layout::contiguous_checked(shape))
    }

    /// A row-major layout of a `shape` that passed [`checked_numel`]. Built in place: on the
    /// tensor-creation hot path, assembling the arrays elsewhere and moving them in cost more than
    /// the computation (the wide loads of a move stall on the narrow stores just made).
    #[inline]
    pub(crate) fn contiguous_checked(shape: &[usize]) -> Layout {
        Layout {
            shape: Dims::from_slice(shape),
            strides: contiguous_strides(shape),
            offset: 0,
        }
    }

    #[inline]
    pub(crate) fn shape(&self) -> &[usize] {
        &self.shape
    }

    #[inline]
    pub(crate) fn strides(&self) -> &[isize] {
        &self.strides
    }

    #[inline]
    pub(crate) fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// Number of elements (fits in `isize`, checked when the layout was made).
    #[inline]
    pub(crate) fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// PyTorch's `is_contiguous`: row-major, ignoring the strides of size-1 dimensions; every empty
    /// layout counts as contiguous.
    #[inline]
    pub(crate) fn is_contiguous(&self) -> bool {
        is_contiguous(&self.shape, &self.strides)
    }

    /// The smallest and largest storage index of any element, `None` when there are no elements.
    pub(crate) fn index_range(&self) -> Option<(isize, isize)> {
        if self.shape.contains(&0) {
            return None;
        }
        let start = isize::try_from(self.offset).ok()?;
        let (mut lo, mut hi) = (start, start);
        for (&size, &stride) in self.shape.iter().zip(self.strides.iter()) {
            let span = stride.checked_mul(size as isize - 1)?;
            if span < 0 {
                lo = lo.checked_add(span)?;
            } else {
                hi = hi.checked_add(span)?;
            }
        }
        Some((lo, hi))
    }

    /// Whether every element lies inside a storage of `len` elements (an empty layout always
    /// does: it has none, and its offset is never used).
    pub(crate) fn fits(&self, len: usize) -> bool {
        if self.shape.contains(&0) {
            return true;
        }
        match self.index_range() {
            Some((lo, hi)) => lo >= 0 && (hi as usize) < len,
            None => false,
        }
    }

    /// Whether two distinct indices may name the same element: conservatively true unless the
    /// dimensions, sorted by stride, each step over everything the smaller ones span.
    pub(crate) fn may_overlap_itself(&self) -> bool {
        if self.shape.contains(&0) {
            return false;
        }
        let mut dims: Vec<(usize, usize)> = self
            .shape
            .iter()
            .zip(self.strides.iter())
            .filter(|&(&size, _)| size > 1)
            .map(|(&size, &stride)| (stride.unsigned_abs(), size))
            .collect();
        dims.sort_unstable();
        let mut span: usize = 0; // largest index offset reachable with the dims seen so far
        for (stride, size) in dims {
            if stride <= span {
                return true;
            }
            match stride
                .checked_mul(size - 1)
                .and_then(|s| s.checked_add(span))
            {
                Some(s) => span = s,
                None => return true,
            }
        }
        false
    }

    /// A layout from parts; an empty one keeps the old offset, since an empty view's offset is
    /// never used and moving it (say to one past the end of a flipped dimension) could go negative.
    fn with(&self, shape: Dims<usize>, strides: Dims<isize>, offset: isize) -> Result<Layout> {
        if shape.contains(&0) {
            return Ok(Layout::new(shape, strides, self.offset));
        }
        let offset = usize::try_from(offset).map_err(|_| overflow(&shape))?;
        Ok(Layout::new(shape, strides, offset))
    }

    fn moved_offset(&self, index: usize, stride: isize) -> Result<isize> {
        isize::try_from(index)
            .ok()
            .and_then(|i| i.checked_mul(stride))
            .and_then(|d| d.checked_add(self.offset as isize))
            .ok_or_else(|| overflow(&self.shape))
    }

    pub(crate) fn transpose(&self, dim0: isize, dim1: isize) -> Result<Layout> {
        let (a, b) = (
            wrap_dim_or_scalar(dim0, self.ndim())?,
            wrap_dim_or_scalar(dim1, self.ndim())?,
        );
        let (Some(a), Some(b)) = (a, b) else {
            return Ok(self.clone());
        };
        let (mut shape, mut strides) = (self.shape.clone(), self.strides.clone());
        shape.swap(a, b);
        strides.swap(a, b);
        Ok(Layout::new(shape, strides, self.offset))
    }

    pub(crate) fn permute(&self, dims: &[isize]) -> Result<Layout> {
        let ndim = self.ndim();
        if dims.len() != ndim {
            return Err(Error::InvalidArgument(format!(
                "permute: number of dims don't match ({} given for a tensor of {ndim} dimensions); \
                 pass each dimension exactly once",
                dims.len()
            )));
        }
        let mut seen = Dims::<usize>::filled(ndim);
        let (mut shape, mut strides) = (self.shape.clone(), self.strides.clone());
        for (i, &dim) in dims.iter().enumerate() {
            let d = wrap_dim(dim, ndim)?;
            if seen[d] != 0 {
                return Err(Error::InvalidArgument(format!(
                    "permute: dimension {d} appears more than once in {dims:?}; pass each dimension \
                     exactly once"
                )));
            }
            seen[d] = 1;
            shape[i] = self.shape[d];
            strides[i] = self.strides[d];
        }
        Ok(Layout::new(shape, strides, self.offset))
    }

    pub(crate) fn narrow(&self, dim: isize, start: isize, length: usize) -> Result<Layout> {
        let d = wrap_dim(dim, self.ndim())?;
        let size = self.shape[d];
        let start_wrapped = if start < 0 {
            start.checked_add(size as isize)
        } else {
            Some(start)
        };
        let start = match start_wrapped {
            Some(s) if s >= 0 && (s as usize) <= size => s as usize,
            _ => {
                return Err(Error::IndexOutOfRange {
                    index: start,
                    dim: d,
                    size,
                });
            }
        };
        if length > size - start {
            return Err(Error::InvalidArgument(format!(
                "narrow: start ({start}) + length ({length}) exceeds dimension {d} of size {size}; \
                 use a shorter length"
            )));
        }
        let offset = self.moved_offset(start, self.strides[d])?;
        let mut shape = self.shape.clone();
        shape[d] = length;
        self.with(shape, self.strides.clone(), offset)
    }

    pub(crate) fn select(&self, dim: isize, index: isize) -> Result<Layout> {
        let d = wrap_dim(dim, self.ndim())?;
        let size = self.shape[d];
        let wrapped = if index < 0 {
            index.checked_add(size as isize)
        } else {
            Some(index)
        };
        let i = match wrapped {
            Some(i) if i >= 0 && (i as usize) < size => i as usize,
            _ => {
                return Err(Error::IndexOutOfRange {
                    index,
                    dim: d,
                    size,
                });
            }
        };
        let offset = self.moved_offset(i, self.strides[d])?;
        let keep = |k: &usize| *k != d;
        let shape = (0..self.ndim())
            .filter(keep)
            .map(|k| self.shape[k])
            .collect();
        let strides = (0..self.ndim())
            .filter(keep)
            .map(|k| self.strides[k])
            .collect();
        self.with(shape, strides, offset)
    }

    /// PyTorch's `slice`: `start` and `end` wrap once if negative, then clamp to `0..=size`;
    /// `step` must be positive.
    pub(crate) fn slice(
        &self,
        dim: isize,
        start: isize,
        end: isize,
        step: isize,
    ) -> Result<Layout> {
        let d = wrap_dim(dim, self.ndim())?;
        if step <= 0 {
            return Err(Error::InvalidArgument(format!(
                "slice: step must be positive, got {step}; use flip for a reversed view"
            )));
        }
        let size = self.shape[d] as isize;
        let clamp = |i: isize| {
            let i = if i < 0 { i.saturating_add(size) } else { i };
            i.clamp(0, size)
        };
        let start = clamp(start);
        let end = clamp(end).max(start);
        // Both non-negative here: `end >= start` and `step > 0`.
        let length = ((end - start) as usize).div_ceil(step as usize);
        let offset = self.moved_offset(start as usize, self.strides[d])?;
        let mut shape = self.shape.clone();
        let mut strides = self.strides.clone();
        shape[d] = length;
        // With at most one element the stride is never applied; a huge step must not overflow.
        if length > 1 {
            strides[d] = self.strides[d]
                .checked_mul(step)
                .ok_or_else(|| overflow(&self.shape))?;
        }
        self.with(shape, strides, offset)
    }

    pub(crate) fn flip(&self, dim: isize) -> Result<Layout> {
        let Some(d) = wrap_dim_or_scalar(dim, self.ndim())? else {
            return Ok(self.clone());
        };
        let size = self.shape[d];
        if size == 0 {
            return Ok(self.clone());
        }
        let offset = self.moved_offset(size - 1, self.strides[d])?;
        let mut strides = self.strides.clone();
        strides[d] = self.strides[d]
            .checked_neg()
            .ok_or_else(|| overflow(&self.shape))?;
        self.with(self.shape.clone(), strides, offset)
    }

    /// PyTorch's `expand`: `sizes` has at least `ndim` entries, aligned at the end; `-1` keeps a
    /// size; a size-1 dimension can become any size (stride 0); new leading dimensions get
    /// stride 0.
    pub(crate) fn expand(&self, sizes: &[isize]) -> Result<Layout> {
        let ndim = self.ndim();
        let invalid = |reason: String| Error::InvalidShape {
            shape: sizes.to_vec(),
            reason,
        };
        if sizes.len() < ndim {
            return Err(invalid(format!(
                "expand needs at least as many sizes as the tensor has dimensions ({ndim})"
            )));
        }
        let lead = sizes.len() - ndim;
        let mut shape = Dims::<usize>::filled(sizes.len());
        let mut strides = Dims::<isize>::filled(sizes.len());
        for (i, &want) in sizes.iter().enumerate() {
            let (size, stride) = if i < lead {
                if want < 0 {
                    return Err(invalid(format!(
                        "-1 is not allowed for the new leading dimension {i}; give its size"
                    )));
                }
                (want as usize, 0)
            } else {
                let (old, old_stride) = (self.shape[i - lead], self.strides[i - lead]);
                match want {
                    -1 => (old, old_stride),
                    w if w >= 0 && w as usize == old => (old, old_stride),
                    w if w >= 0 && old == 1 => (w as usize, 0),
                    _ => {
                        return Err(invalid(format!(
                            "the expanded size ({want}) must match the existing size ({old}) at \
                             non-singleton dimension {i}; only size-1 dimensions can be expanded"
                        )));
                    }
                }
            };
            shape[i] = size;
            strides[i] = stride;
        }
        checked_numel(&shape)?;
        Ok(Layout::new(shape, strides, self.offset))
    }

    /// Removes dimension `dim` if its size is 1 (PyTorch's `squeeze(dim)`); otherwise unchanged.
    pub(crate) fn squeeze_dim(&self, dim: isize) -> Result<Layout> {
        let Some(d) = wrap_dim_or_scalar(dim, self.ndim())? else {
            return Ok(self.clone());
        };
        Ok(self.keep_dims(|k, size| k != d || size != 1))
    }

    /// Removes every size-1 dimension.
    pub(crate) fn squeeze(&self) -> Layout {
        self.keep_dims(|_, size| size != 1)
    }

    fn keep_dims(&self, keep: impl Fn(usize, usize) -> bool) -> Layout {
        let kept = || (0..self.ndim()).filter(|&k| keep(k, self.shape[k]));
        Layout::new(
            kept().map(|k| self.shape[k]).collect(),
            kept().map(|k| self.strides[k]).collect(),
            self.offset,
        )
    }

    /// Inserts a size-1 dimension at `dim` (which may be `ndim`, or negative counting from
    /// `ndim + 1`), with PyTorch's stride for it.
    pub(crate) fn unsqueeze(&self, dim: isize) -> Result<Layout> {
        let ndim = self.ndim();
        let d = wrap_dim(dim, ndim + 1)?;
        let stride = if d < ndim {
            self.strides[d].saturating_mul(self.shape[d].max(1) as isize)
        } else {
            1
        };
        let mut shape = Dims::<usize>::filled(ndim + 1);
        let mut strides = Dims::<isize>::filled(ndim + 1);
        for k in 0..=ndim {
            let (size, st) = match k.cmp(&d) {
                std::cmp::Ordering::Less => (self.shape[k], self.strides[k]),
                std::cmp::Ordering::Equal => (1, stride),
                std::cmp::Ordering::Greater => (self.shape[k - 1], self.strides[k - 1]),
            };
            shape[k] = size;
            strides[k] = st;
        }
        Ok(Layout::new(shape, strides, self.offset))
    }

    /// The layout of `shape` over the same elements without copying, if the strides allow it:
    /// PyTorch's `computeStride`. `None` when a copy is needed.
    pub(crate) fn view(&self, shape: &[usize]) -> Option<Layout> {
        let strides = compute_view_strides(&self.shape, &self.strides, shape)?;
        Some(Layout::new(Dims::from_slice(shape), strides, self.offset))
    }
}

/// PyTorch's `infer_size`: resolves one `-1` in `sizes` so the product is `numel`.
pub(crate) fn infer_shape(sizes: &[isize], numel: usize) -> Result<Dims<usize>> {
    let invalid = |reason: String| Error::InvalidShape {
        shape: sizes.to_vec(),
        reason,
    };
    let mut infer_at = None;
    let mut known: usize = 1;
    let mut shape = Dims::<usize>::filled(sizes.len());
    for (i, &size) in sizes.iter().enumerate() {
        match size {
            -1 if infer_at.is_some() => {
                return Err(invalid(
                    "only one dimension can be inferred (-1)".to_string(),
                ));
            }
            -1 => infer_at = Some(i),
            s if s >= 0 => {
                shape[i] = s as usize;
                known = known
                    .checked_mul(s as usize)
                    .ok_or_else(|| Error::ShapeOverflow {
                        shape: sizes.iter().map(|&s| s as usize).collect(),
                    })?;
            }
            s => {
                return Err(invalid(format!(
                    "invalid shape dimension {s}; sizes must be >= 0"
                )));
            }
        }
    }
    let mismatch = || invalid(format!("shape is invalid for input of size {numel}"));
    match infer_at {
        Some(i) => {
            if known == 0 || !numel.is_multiple_of(known) {
                return Err(mismatch());
            }
            shape[i] = numel / known;
        }
        None if known != numel => return Err(mismatch()),
        None => {}
    }
    Ok(shape)
}

/// PyTorch's `computeStride` (aten/src/ATen/TensorUtils.cpp): strides that view the elements of
/// (`old_shape`, `old_strides`) as `new_shape`, or `None` when some new dimension would span
/// memory that is not evenly strided. Works unchanged for negative and zero strides. The element
/// counts are equal (the caller checked).
fn compute_view_strides(
    old_shape: &[usize],
    old_strides: &[isize],
    new_shape: &[usize],
) -> Option<Dims<isize>> {
    if old_shape.is_empty() {
        return Some(Dims::from_iter(new_shape.iter().map(|_| 1)));
    }
    let numel: usize = old_shape.iter().product();
    if numel == 0 && old_shape == new_shape {
        return Some(Dims::from_slice(old_strides));
    }
    let mut new_strides = Dims::<isize>::filled(new_shape.len());
    if numel == 0 {
        let mut step: isize = 1;
        for (stride, &size) in new_strides.iter_mut().zip(new_shape).rev() {
            *stride = step;
            step = step.checked_mul(isize::try_from(size.max(1)).ok()?)?;
        }
        return Some(new_strides);
    }
    let mut view_d = new_shape.len() as isize - 1;
    let mut chunk_base_stride = *old_strides.last()?;
    let mut tensor_numel: isize = 1;
    let mut view_numel: isize = 1;
    for tensor_d in (0..old_shape.len()).rev() {
        tensor_numel = tensor_numel.checked_mul(old_shape[tensor_d] as isize)?;
        let chunk_ends = tensor_d == 0
            || (old_shape[tensor_d - 1] != 1
                && Some(old_strides[tensor_d - 1]) != tensor_numel.checked_mul(chunk_base_stride));
        if chunk_ends {
            while view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d as usize] == 1) {
                new_strides[view_d as usize] = view_numel.checked_mul(chunk_base_stride)?;
                view_numel = view_numel.checked_mul(new_shape[view_d as usize] as isize)?;
                view_d -= 1;
            }
            if view_numel != tensor_numel {
                return None;
            }
            if tensor_d > 0 {
                chunk_base_stride = old_strides[tensor_d - 1];
                tensor_numel = 1;
                view_numel = 1;
            }
        }
    }
    (view_d == -1).then_some(new_strides)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(shape: &[usize], strides: &[isize], offset: usize) -> Layout {
        Layout::new(Dims::from_slice(shape), Dims::from_slice(strides), offset)
    }

    #[test]
    fn view_strides_match_pytorch() {
        let c = Layout::contiguous(&[2, 3, 4]).unwrap();
        assert_eq!(&*c.view(&[6, 4]).unwrap().strides, &[4, 1]);
        assert_eq!(&*c.view(&[2, 12]).unwrap().strides, &[12, 1]);
        let t = c.transpose(0, 2).unwrap(); // [4, 3, 2] strides [1, 4, 12]
        assert!(t.view(&[12, 2]).is_none());
        assert_eq!(&*t.view(&[4, 3, 2, 1]).unwrap().strides, &[1, 4, 12, 12]);
        // A flipped contiguous tensor is still one evenly strided chunk.
        let f = c.flip(0).unwrap().flip(1).unwrap().flip(2).unwrap();
        assert_eq!(&*f.view(&[24]).unwrap().strides, &[-1]);
        assert_eq!(f.view(&[24]).unwrap().offset, 23);
        // Broadcast dimensions stay zero-strided.
        let e = layout(&[3, 4], &[0, 1], 0);
        assert_eq!(&*e.view(&[3, 2, 2]).unwrap().strides, &[0, 2, 1]);
        assert!(e.view(&[12]).is_none());
    }

    #[test]
    fn infer_shape_follows_pytorch() {
        assert_eq!(&*infer_shape(&[-1, 4], 12).unwrap(), &[3, 4]);
        assert!(infer_shape(&[-1, -1], 12).is_err());
        assert!(infer_shape(&[-1, 5], 12).is_err());
        assert!(infer_shape(&[-1, 0], 0).is_err());
        assert!(infer_shape(&[-2, 6], 12).is_err());
        assert_eq!(&*infer_shape(&[0, 5], 0).unwrap(), &[0, 5]);
    }

    #[test]
    fn self_overlap_is_detected() {
        assert!(!Layout::contiguous(&[3, 4]).unwrap().may_overlap_itself());
        assert!(layout(&[3, 4], &[0, 1], 0).may_overlap_itself());
        assert!(!layout(&[1, 4], &[0, 1], 0).may_overlap_itself());
        assert!(!layout(&[3, 4], &[-1, -3], 11).may_overlap_itself());
        assert!(layout(&[3, 4], &[2, 1], 0).may_overlap_itself());
        assert!(!layout(&[3, 0], &[0, 0], 0).may_overlap_itself());
    }

    #[test]
    fn fits_checks_both_ends() {
        assert!(layout(&[3], &[-1], 2).fits(3));
        assert!(!layout(&[3], &[-1], 1).fits(3));
        assert!(!layout(&[3], &[1], 1).fits(3));
        assert!(layout(&[0], &[1], 7).fits(3));
    }
}
