//! Strided views over slices, checked once at construction so that kernels can walk them with raw
//! pointers: shape, per-dimension element strides (any sign, zero for broadcast) and an offset.

use super::SimdError;

/// A read-only N-d view: element `[i0, i1, ..]` is `data[offset + Σ ik * strides[k]]`.
///
/// Construction checks that every reachable index lies inside `data`.
///
/// ```
/// use op_kernels::simd::StridedSlice;
/// let data = [0.0f32, 1.0, 2.0, 3.0, 4.0, 5.0];
/// // The 2×3 matrix read backwards along its rows.
/// let v = StridedSlice::new(&data, 2, &[2, 3], &[3, -1]).unwrap();
/// assert_eq!(v.get(&[1, 0]), 5.0);
/// ```
#[derive(Clone, Debug)]
pub struct StridedSlice<'a, T> {
    pub(crate) data: &'a [T],
    pub(crate) offset: usize,
    pub(crate) shape: Vec<usize>,
    pub(crate) strides: Vec<isize>,
}

/// A mutable N-d view; as [`StridedSlice`], and its elements must not overlap (no zero stride on a
/// dimension longer than 1, no interleaving), so that elementwise writes are well defined.
#[derive(Debug)]
pub struct StridedSliceMut<'a, T> {
    pub(crate) data: &'a mut [T],
    pub(crate) offset: usize,
    pub(crate) shape: Vec<usize>,
    pub(crate) strides: Vec<isize>,
}

/// Row-major strides for `shape`.
pub(crate) fn contiguous_strides(shape: &[usize]) -> Vec<isize> {
    let mut strides = vec![0isize; shape.len()];
    let mut acc = 1isize;
    for (s, &n) in strides.iter_mut().zip(shape).rev() {
        *s = acc;
        acc = acc.saturating_mul(n as isize);
    }
    strides
}

fn check(len: usize, offset: usize, shape: &[usize], strides: &[isize]) -> Result<(), SimdError> {
    if shape.len() != strides.len() {
        return Err(SimdError::InvalidLayout(format!(
            "shape has {} dimensions, strides {}",
            shape.len(),
            strides.len()
        )));
    }
    if shape.contains(&0) {
        return Ok(());
    }
    let (mut lo, mut hi) = (offset as i128, offset as i128);
    for (&n, &s) in shape.iter().zip(strides) {
        let reach = (n as i128 - 1) * s as i128;
        if reach < 0 { lo += reach } else { hi += reach }
    }
    if lo < 0 || hi >= len as i128 {
        return Err(SimdError::InvalidLayout(format!(
            "shape {shape:?} with strides {strides:?} at offset {offset} reaches elements {lo}..={hi} of a buffer of {len}"
        )));
    }
    Ok(())
}

fn non_overlapping(shape: &[usize], strides: &[isize]) -> bool {
    if shape.contains(&0) {
        return true;
    }
    let mut dims: Vec<(usize, usize)> = shape
        .iter()
        .zip(strides)
        .filter(|(n, _)| **n > 1)
        .map(|(&n, &s)| (s.unsigned_abs(), n))
        .collect();
    dims.sort_unstable();
    let mut extent = 0usize; // max offset reachable by the inner dims
    for (s, n) in dims {
        if s <= extent {
            return false;
        }
        extent = extent.saturating_add(s.saturating_mul(n - 1));
    }
    true
}

/// Numpy broadcasting of `shape` and `strides` to `to`: right-aligned; size-1 or missing dims get stride 0.
pub(crate) fn broadcast_strides(
    shape: &[usize],
    strides: &[isize],
    to: &[usize],
) -> Result<Vec<isize>, SimdError> {
    if shape.len() > to.len() {
        return Err(SimdError::ShapeMismatch(format!(
            "{shape:?} has more dimensions than {to:?}"
        )));
    }
    let pad = to.len() - shape.len();
    let mut out = vec![0isize; to.len()];
    for (k, (&n, &s)) in shape.iter().zip(strides).enumerate() {
        out[pad + k] = match (n, to[pad + k]) {
            (a, b) if a == b => s,
            (1, _) => 0,
            _ => {
                return Err(SimdError::ShapeMismatch(format!(
                    "{shape:?} does not broadcast to {to:?}"
                )));
            }
        };
    }
    Ok(out)
}

/// The broadcast shape of two shapes (numpy rules).
pub(crate) fn broadcast_shapes(a: &[usize], b: &[usize]) -> Result<Vec<usize>, SimdError> {
    let rank = a.len().max(b.len());
    let dim = |s: &[usize], k: usize| {
        if k < rank - s.len() {
            1
        } else {
            s[k - (rank - s.len())]
        }
    };
    (0..rank)
        .map(|k| match (dim(a, k), dim(b, k)) {
            (x, y) if x == y || y == 1 => Ok(x),
            (1, y) => Ok(y),
            _ => Err(SimdError::ShapeMismatch(format!(
                "{a:?} and {b:?} do not broadcast"
            ))),
        })
        .collect()
}

impl<'a, T> StridedSlice<'a, T> {
    /// A view of `data`, checked to stay in bounds.
    pub fn new(
        data: &'a [T],
        offset: usize,
        shape: &[usize],
        strides: &[isize],
    ) -> Result<Self, SimdError> {
        check(data.len(), offset, shape, strides)?;
        Ok(StridedSlice {
            data,
            offset,
            shape: shape.to_vec(),
            strides: strides.to_vec(),
        })
    }

    /// A row-major view of all of `data` (its length must be the product of `shape`).
    pub fn contiguous(data: &'a [T], shape: &[usize]) -> Result<Self, SimdError> {
        let numel: usize = shape.iter().product();
        if numel != data.len() {
            return Err(SimdError::LengthMismatch {
                what: "data",
                expected: numel,
                got: data.len(),
            });
        }
        Self::new(data, 0, shape, &contiguous_strides(shape))
    }

    /// The same elements broadcast to `shape` (numpy rules; new dimensions get stride 0).
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Self, SimdError> {
        let strides = broadcast_strides(&self.shape, &self.strides, shape)?;
        Ok(StridedSlice {
            data: self.data,
            offset: self.offset,
            shape: shape.to_vec(),
            strides,
        })
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The strides, in elements.
    pub fn strides(&self) -> &[isize] {
        &self.strides
    }

    /// The number of elements.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// Element at `index` (panics when out of range: for tests and small uses).
    pub fn get(&self, index: &[usize]) -> T
    where
        T: Copy,
    {
        assert_eq!(index.len(), self.shape.len());
        let mut off = self.offset as isize;
        for ((&i, &n), &s) in index.iter().zip(&self.shape).zip(&self.strides) {
            assert!(
                i < n,
                "index {index:?} out of range for shape {:?}",
                self.shape
            );
            off += i as isize * s;
        }
        self.data[off as usize]
    }
}

impl<'a, T> StridedSliceMut<'a, T> {
    /// A mutable view of `data`, checked to stay in bounds and not to overlap itself.
    pub fn new(
        data: &'a mut [T],
        offset: usize,
        shape: &[usize],
        strides: &[isize],
    ) -> Result<Self, SimdError> {
        check(data.len(), offset, shape, strides)?;
        if !non_overlapping(shape, strides) {
            return Err(SimdError::OverlappingOutput);
        }
        Ok(StridedSliceMut {
            data,
            offset,
            shape: shape.to_vec(),
            strides: strides.to_vec(),
        })
    }

    /// A row-major view of all of `data`.
    pub fn contiguous(data: &'a mut [T], shape: &[usize]) -> Result<Self, SimdError> {
        let numel: usize = shape.iter().product();
        if numel != data.len() {
            return Err(SimdError::LengthMismatch {
                what: "data",
                expected: numel,
                got: data.len(),
            });
        }
        let strides = contiguous_strides(shape);
        Self::new(data, 0, shape, &strides)
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The strides, in elements.
    pub fn strides(&self) -> &[isize] {
        &self.strides
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_overlap_are_checked() {
        let d = [0u8; 6];
        assert!(StridedSlice::new(&d, 0, &[2, 3], &[3, 1]).is_ok());
        assert!(StridedSlice::new(&d, 1, &[2, 3], &[3, 1]).is_err());
        assert!(StridedSlice::new(&d, 0, &[2, 3], &[-3, 1]).is_err());
        assert!(StridedSlice::new(&d, 3, &[2, 3], &[-3, 1]).is_ok());
        assert!(StridedSlice::new(&d, 7, &[0, 3], &[3, 1]).is_ok());
        let mut m = [0u8; 6];
        assert_eq!(
            StridedSliceMut::new(&mut m, 0, &[2, 3], &[0, 1]).unwrap_err(),
            SimdError::OverlappingOutput
        );
        assert_eq!(
            StridedSliceMut::new(&mut m, 0, &[2, 3], &[1, 1]).unwrap_err(),
            SimdError::OverlappingOutput
        );
        assert!(StridedSliceMut::new(&mut m, 0, &[3, 2], &[1, 3]).is_ok());
        assert!(StridedSliceMut::new(&mut m, 0, &[1, 6], &[0, 1]).is_ok());
    }

    #[test]
    fn broadcasting() {
        assert_eq!(broadcast_shapes(&[3, 1], &[4]).unwrap(), vec![3, 4]);
        assert!(broadcast_shapes(&[3], &[4]).is_err());
        assert_eq!(
            broadcast_strides(&[3, 1], &[1, 1], &[2, 3, 4]).unwrap(),
            vec![0, 1, 0]
        );
    }
}
