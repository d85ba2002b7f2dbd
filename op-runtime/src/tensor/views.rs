//! Views: new shapes and strides over the same storage, without copying (PyTorch's view ops).
//! `reshape` is the one exception: it copies when no view can express the new shape.

use super::Tensor;
use super::layout::infer_shape;
use crate::{Error, Result};

impl Tensor {
    /// The elements in a new shape; one size may be `-1` (inferred). A view sharing storage when
    /// the strides allow it, otherwise a contiguous copy — PyTorch's `reshape`.
    ///
    /// ```
    /// use op_runtime::Tensor;
    /// let x = Tensor::arange(6, op_runtime::DType::I64).unwrap();
    /// let y = x.reshape(&[-1, 3]).unwrap();
    /// assert_eq!(y.shape(), &[2, 3]);
    /// assert!(y.same_storage(&x));
    /// let z = y.transpose(0, 1).unwrap().reshape(&[6]).unwrap(); // needs a copy
    /// assert!(!z.same_storage(&x));
    /// assert_eq!(z.to_vec::<i64>().unwrap(), vec![0, 3, 1, 4, 2, 5]);
    /// ```
    pub fn reshape(&self, shape: &[isize]) -> Result<Tensor> {
        let shape = infer_shape(shape, self.numel())?;
        if let Some(layout) = self.layout.view(&shape) {
            return Ok(self.with_layout(layout));
        }
        let copy = self.contiguous()?;
        // A contiguous layout can always be viewed in any shape of the same element count.
        match copy.layout.view(&shape) {
            Some(layout) => Ok(copy.with_layout(layout)),
            None => Err(self.view_error(&shape)),
        }
    }

    /// The elements in a new shape (one size may be `-1`), as a view only — PyTorch's `view`.
    /// Fails with [`Error::ViewNotPossible`] where [`reshape`](Tensor::reshape) would copy.
    pub fn view_shape(&self, shape: &[isize]) -> Result<Tensor> {
        let shape = infer_shape(shape, self.numel())?;
        match self.layout.view(&shape) {
            Some(layout) => Ok(self.with_layout(layout)),
            None => Err(self.view_error(&shape)),
        }
    }

    fn view_error(&self, requested: &[usize]) -> Error {
        Error::ViewNotPossible {
            shape: self.shape().to_vec(),
            strides: self.strides().to_vec(),
            requested: requested.to_vec(),
        }
    }

    /// Swaps two dimensions (negative dims count from the end).
    pub fn transpose(&self, dim0: isize, dim1: isize) -> Result<Tensor> {
        Ok(self.with_layout(self.layout.transpose(dim0, dim1)?))
    }

    /// Reorders the dimensions: dimension `i` of the result is dimension `dims[i]` of `self`.
    ///
    /// ```
    /// # use op_runtime::{DType, Device, Tensor};
    /// let x = Tensor::zeros(&[2, 3, 4], DType::F32, Device::Cpu).unwrap();
    /// assert_eq!(x.permute(&[2, 0, 1]).unwrap().shape(), &[4, 2, 3]);
    /// ```
    pub fn permute(&self, dims: &[isize]) -> Result<Tensor> {
        Ok(self.with_layout(self.layout.permute(dims)?))
    }

    /// The `length` elements of dimension `dim` starting at `start` (negative counts from the end).
    pub fn narrow(&self, dim: isize, start: isize, length: usize) -> Result<Tensor> {
        Ok(self.with_layout(self.layout.narrow(dim, start, length)?))
    }

    /// Index `index` of dimension `dim`, removing that dimension (`x[i]` for `dim = 0`); negative
    /// indices count from the end.
    pub fn select(&self, dim: isize, index: isize) -> Result<Tensor> {
        Ok(self.with_layout(self.layout.select(dim, index)?))
    }

    /// Python's `x[start:end:step]` along `dim`, PyTorch's semantics: negative `start` and `end`
    /// count from the end, both are clamped to the dimension (pass `isize::MAX` for "to the end"),
    /// and `step` must be positive.
    ///
    /// ```
    /// use op_runtime::{DType, Tensor};
    /// let x = Tensor::arange(10, DType::I32).unwrap();
    /// let y = x.slice(0, -7, isize::MAX, 3).unwrap();
    /// assert_eq!(y.to_vec::<i32>().unwrap(), vec![3, 6, 9]);
    /// ```
    pub fn slice(&self, dim: isize, start: isize, end: isize, step: isize) -> Result<Tensor> {
        Ok(self.with_layout(self.layout.slice(dim, start, end, step)?))
    }

    /// Reverses dimension `dim` as a view with a negative stride. (PyTorch's `flip` copies; the
    /// layout here supports negative strides, so no copy is needed.)
    pub fn flip(&self, dim: isize) -> Result<Tensor> {
        Ok(self.with_layout(self.layout.flip(dim)?))
    }

    /// Broadcasts size-1 dimensions to larger sizes with zero strides; `-1` keeps a size, and new
    /// leading dimensions may be added (PyTorch's `expand`). The result must not be written to
    /// (writes are refused with [`Error::OverlappingWrite`]).
    ///
    /// ```
    /// use op_runtime::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2, 1]).unwrap();
    /// let y = x.expand(&[3, -1, 4]).unwrap();
    /// assert_eq!((y.shape(), y.strides()), (&[3, 2, 4][..], &[0, 1, 0][..]));
    /// ```
    pub fn expand(&self, sizes: &[isize]) -> Result<Tensor> {
        Ok(self.with_layout(self.layout.expand(sizes)?))
    }

    /// Broadcasts to `shape` (PyTorch's `broadcast_to`): like [`expand`](Tensor::expand) without
    /// `-1`.
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Tensor> {
        let sizes: Vec<isize> = shape
            .iter()
            .map(|&s| isize::try_from(s))
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| Error::ShapeOverflow {
                shape: shape.to_vec(),
            })?;
        self.expand(&sizes).map_err(|err| match err {
            Error::InvalidShape { reason, .. } => Error::ShapeMismatch {
                context: format!(
                    "cannot broadcast shape {:?} to {shape:?}: {reason}",
                    self.shape()
                ),
            },
            other => other,
        })
    }

    /// Removes every dimension of size 1.
    pub fn squeeze(&self) -> Tensor {
        self.with_layout(self.layout.squeeze())
    }

    /// Removes dimension `dim` if its size is 1; otherwise returns the same view (PyTorch's
    /// `squeeze(dim)`).
    pub fn squeeze_dim(&self, dim: isize) -> Result<Tensor> {
        Ok(self.with_layout(self.layout.squeeze_dim(dim)?))
    }

    /// Inserts a dimension of size 1 at `dim`, which ranges over `-(ndim+1)..=ndim`.
    pub fn unsqueeze(&self, dim: isize) -> Result<Tensor> {
        Ok(self.with_layout(self.layout.unsqueeze(dim)?))
    }
}
