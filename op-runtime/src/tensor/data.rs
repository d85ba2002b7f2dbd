//! Reading and writing elements: typed slices for kernels (`as_slice`, `as_mut_slice`), copies out
//! (`to_vec`, `to_vec_f64`, `item`), and `resize_` for out arguments.

use super::copy::{check_fits, outside_storage};
use super::{Tensor, walk};
use crate::storage::{SliceGuard, SliceGuardMut};
use crate::{Device, Element, Error, Result};

impl Tensor {
    fn check_dtype<T: Element>(&self) -> Result<()> {
        if T::DTYPE == self.dtype() {
            Ok(())
        } else {
            Err(Error::DTypeMismatch {
                expected: T::DTYPE,
                found: self.dtype(),
            })
        }
    }

    /// What `as_slice` and `as_mut_slice` require besides the CPU (which the storage checks): the
    /// dtype and contiguity. Returns the element range within the storage. Inlined into every
    /// kernel's slice access, so the error paths live out of line.
    #[inline]
    fn contiguous_range<T: Element>(&self) -> Result<std::ops::Range<usize>> {
        if T::DTYPE != self.dtype() || !self.is_contiguous() {
            return Err(self.slice_error(T::DTYPE));
        }
        // An empty tensor's offset is never used (it may point anywhere).
        let n = self.numel();
        let start = if n == 0 { 0 } else { self.offset() };
        Ok(start..start + n)
    }

    /// Why `as_slice::<T>` refused this tensor (a wrong dtype, else a strided layout).
    #[cold]
    #[inline(never)]
    fn slice_error(&self, wanted: crate::DType) -> Error {
        if wanted != self.dtype() {
            return Error::DTypeMismatch {
                expected: wanted,
                found: self.dtype(),
            };
        }
        Error::NotContiguous {
            shape: self.shape().to_vec(),
            strides: self.strides().to_vec(),
        }
    }

    /// The elements of a contiguous CPU tensor as a slice, in row-major order: what kernels work
    /// on. The guard holds a read borrow of the storage until dropped.
    ///
    /// Fails with [`Error::DTypeMismatch`] for a wrong `T`, [`Error::DeviceMismatch`] off the
    /// CPU, [`Error::NotContiguous`] for a strided tensor (call
    /// [`contiguous`](Tensor::contiguous) first), and [`Error::StorageBorrowed`] while the storage
    /// is being written.
    ///
    /// ```
    /// use op_runtime::Tensor;
    /// let x = Tensor::from_vec(vec![1u8, 2, 3, 4], &[2, 2]).unwrap();
    /// assert_eq!(&*x.as_slice::<u8>().unwrap(), &[1, 2, 3, 4]);
    /// assert!(x.as_slice::<i8>().is_err());
    /// ```
    #[inline]
    pub fn as_slice<T: Element>(&self) -> Result<SliceGuard<'_, T>> {
        let range = self.contiguous_range::<T>()?;
        let data = self.storage().read::<T>()?;
        if range.end > data.len() {
            return Err(outside_storage(self, data.len()));
        }
        // In bounds: checked just above.
        Ok(data.map(|all| &all[range]))
    }

    /// The elements of a contiguous CPU tensor as a mutable slice, holding the storage's write
    /// borrow until dropped. Fails as [`as_slice`](Tensor::as_slice) does, and with
    /// [`Error::StorageBorrowed`] while any other borrow of the storage is alive (a view of an
    /// input that shares this output's storage, say).
    ///
    /// ```
    /// use op_runtime::{DType, Device, Tensor};
    /// let mut y = Tensor::zeros(&[3], DType::F32, Device::Cpu).unwrap();
    /// y.as_mut_slice::<f32>().unwrap().copy_from_slice(&[1.0, 2.0, 3.0]);
    /// assert_eq!(y.to_vec::<f32>().unwrap(), vec![1.0, 2.0, 3.0]);
    /// ```
    #[inline]
    pub fn as_mut_slice<T: Element>(&mut self) -> Result<SliceGuardMut<'_, T>> {
        let range = self.contiguous_range::<T>()?;
        // The storage's length in `T`s, as the guard will have it; checked before the guard is
        // taken, since the error needs `self` again.
        let len = self.storage.nbytes() / size_of::<T>();
        if range.end > len {
            return Err(outside_storage(self, len));
        }
        let data = self.storage.write_unique::<T>()?;
        Ok(data.map(|all| &mut all[range]))
    }

    /// Gathers the elements in row-major order, converting each with `convert`.
    fn gather<T: Element, U>(&self, convert: impl Fn(T) -> U) -> Result<Vec<U>> {
        if !self.device().is_cpu() {
            return self.to(Device::Cpu)?.gather(convert);
        }
        let data = self.storage().read::<T>()?;
        check_fits(self, data.len())?;
        let mut out = Vec::with_capacity(self.numel());
        let layout = self.layout();
        walk(
            layout.shape(),
            [layout.strides()],
            [layout.offset],
            |[i]| out.push(convert(data[i])),
        );
        Ok(out)
    }

    /// The elements in row-major order, whatever the strides or device. `T` must be the dtype's
    /// element type ([`Error::DTypeMismatch`] otherwise; see [`to_vec_f64`](Tensor::to_vec_f64)).
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        self.check_dtype::<T>()?;
        self.gather(|x: T| x)
    }

    /// The elements in row-major order converted to `f64`, for any dtype (what `opcheck` compares).
    pub fn to_vec_f64(&self) -> Result<Vec<f64>> {
        crate::dispatch_dtype!(self.dtype(), T => self.gather(T::to_f64))
    }

    /// The one element of a tensor with exactly one element (any number of dimensions).
    ///
    /// ```
    /// use op_runtime::Tensor;
    /// let x = Tensor::from_vec(vec![7i64], &[1, 1]).unwrap();
    /// assert_eq!(x.item::<i64>().unwrap(), 7);
    /// ```
    pub fn item<T: Element>(&self) -> Result<T> {
        self.check_dtype::<T>()?;
        if self.numel() != 1 {
            return Err(Error::NotOneElement {
                numel: self.numel(),
            });
        }
        let values = self.gather(|x: T| x)?;
        values
            .first()
            .copied()
            .ok_or(Error::NotOneElement { numel: 0 })
    }

    /// Prepares an out argument: a tensor with no elements gets fresh contiguous storage of
    /// `shape` (zeroed, same dtype and device); one of `shape` already is left alone; any other is
    /// refused with [`Error::ShapeMismatch`] (PyTorch resizes it with a warning; resizing a
    /// non-empty output usually hides a bug).
    ///
    /// ```
    /// use op_runtime::{DType, Device, Tensor};
    /// let mut out = Tensor::empty(&[0], DType::F32, Device::Cpu).unwrap();
    /// out.resize_(&[2, 3]).unwrap();
    /// assert_eq!(out.shape(), &[2, 3]);
    /// assert!(out.resize_(&[6]).is_err());
    /// ```
    pub fn resize_(&mut self, shape: &[usize]) -> Result<()> {
        if self.shape() == shape {
            return Ok(());
        }
        if self.numel() != 0 {
            return Err(Error::ShapeMismatch {
                context: format!(
                    "resize_: cannot resize a non-empty tensor of shape {:?} to {shape:?}; pass \
                     an output of shape {shape:?} or an empty one",
                    self.shape()
                ),
            });
        }
        *self = Tensor::zeros(shape, self.dtype(), self.device())?;
        Ok(())
    }
}
