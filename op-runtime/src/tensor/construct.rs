//! Creating tensors: allocated (`empty`, `zeros`, `ones`, `full`) or from Rust data (`from_vec`,
//! `from_slice`, `scalar`, `arange`).

use super::Tensor;
use super::layout::{Layout, checked_numel};
use crate::{DType, Device, Element, Error, Result, Scalar, Storage};

impl Tensor {
    /// A contiguous tensor of `shape` whose contents are unspecified (PyTorch's `empty`). On the
    /// CPU they are in fact zero — memory is always initialised, see [`Storage`] — but code should
    /// not rely on that; use [`Tensor::zeros`].
    ///
    /// Fails with [`Error::ShapeOverflow`] when the size in bytes does not fit the address space,
    /// [`Error::AllocationFailed`] when memory is exhausted, and [`Error::DeviceUnavailable`] for a
    /// device without a backend.
    pub fn empty(shape: &[usize], dtype: DType, device: Device) -> Result<Tensor> {
        Tensor::allocate(shape, dtype, device, false)
    }

    /// A contiguous tensor of zeros.
    ///
    /// ```
    /// use op_runtime::{DType, Device, Tensor};
    /// let z = Tensor::zeros(&[2, 3], DType::BF16, Device::Cpu).unwrap();
    /// assert_eq!(z.to_vec_f64().unwrap(), vec![0.0; 6]);
    /// ```
    pub fn zeros(shape: &[usize], dtype: DType, device: Device) -> Result<Tensor> {
        Tensor::allocate(shape, dtype, device, true)
    }

    fn allocate(shape: &[usize], dtype: DType, device: Device, zeroed: bool) -> Result<Tensor> {
        let numel = checked_numel(shape)?;
        let nbytes = numel
            .checked_mul(dtype.size_in_bytes())
            .filter(|&n| isize::try_from(n).is_ok())
            .ok_or_else(|| Error::ShapeOverflow {
                shape: shape.to_vec(),
            })?;
        let storage = Storage::allocate(nbytes, device, zeroed)?;
        Ok(Tensor::from_parts(
            storage,
            Layout::contiguous_checked(shape),
            dtype,
        ))
    }

    /// A contiguous tensor of ones.
    pub fn ones(shape: &[usize], dtype: DType, device: Device) -> Result<Tensor> {
        Tensor::full(shape, 1, dtype, device)
    }

    /// A contiguous tensor with every element `value`, converted to `dtype` by the rules of
    /// [`Scalar::cast`] (PyTorch's `full`); a value `dtype` cannot hold is an error, as in
    /// [`fill_`](Tensor::fill_).
    ///
    /// ```
    /// use op_runtime::{DType, Device, Tensor};
    /// let t = Tensor::full(&[2], 2.5, DType::F16, Device::Cpu).unwrap();
    /// assert_eq!(t.to_vec_f64().unwrap(), vec![2.5, 2.5]);
    /// ```
    pub fn full(
        shape: &[usize],
        value: impl Into<Scalar>,
        dtype: DType,
        device: Device,
    ) -> Result<Tensor> {
        let mut t = Tensor::empty(shape, dtype, device)?;
        t.fill_(value)?;
        Ok(t)
    }

    /// A tensor of `shape` that takes over `data` without copying (row-major order).
    ///
    /// Fails with [`Error::LengthMismatch`] when `data.len()` is not the element count of `shape`.
    ///
    /// ```
    /// use op_runtime::Tensor;
    /// let t = Tensor::from_vec(vec![1i32, 2, 3, 4, 5, 6], &[2, 3]).unwrap();
    /// assert_eq!(t.shape(), &[2, 3]);
    /// assert!(Tensor::from_vec(vec![1i32, 2, 3], &[2, 2]).is_err());
    /// ```
    pub fn from_vec<T: Element>(data: Vec<T>, shape: &[usize]) -> Result<Tensor> {
        let layout = Layout::contiguous(shape)?;
        let numel = layout.numel();
        if numel != data.len() {
            return Err(Error::LengthMismatch {
                len: data.len(),
                shape: shape.to_vec(),
                numel,
            });
        }
        Ok(Tensor::from_parts(
            Storage::from_vec(data),
            layout,
            T::DTYPE,
        ))
    }

    /// A tensor of `shape` holding a copy of `data` (row-major order).
    pub fn from_slice<T: Element>(data: &[T], shape: &[usize]) -> Result<Tensor> {
        let layout = Layout::contiguous(shape)?;
        let numel = layout.numel();
        if numel != data.len() {
            return Err(Error::LengthMismatch {
                len: data.len(),
                shape: shape.to_vec(),
                numel,
            });
        }
        Ok(Tensor::from_parts(
            Storage::from_vec(data.to_vec()),
            layout,
            T::DTYPE,
        ))
    }

    /// A 0-dimensional tensor holding `value`.
    ///
    /// ```
    /// use op_runtime::Tensor;
    /// let s = Tensor::scalar(2.5f64);
    /// assert_eq!((s.dim(), s.numel()), (0, 1));
    /// assert_eq!(s.item::<f64>().unwrap(), 2.5);
    /// ```
    pub fn scalar<T: Element>(value: T) -> Tensor {
        let layout = Layout::new(Default::default(), Default::default(), 0);
        Tensor::from_parts(Storage::from_vec(vec![value]), layout, T::DTYPE)
    }

    /// The 1-dimensional tensor `[0, 1, ..., n-1]` of `dtype` on the CPU (each value converted by
    /// [`Element::from_i64`]).
    ///
    /// ```
    /// use op_runtime::{DType, Tensor};
    /// let t = Tensor::arange(4, DType::F32).unwrap();
    /// assert_eq!(t.to_vec::<f32>().unwrap(), vec![0.0, 1.0, 2.0, 3.0]);
    /// ```
    pub fn arange(n: usize, dtype: DType) -> Result<Tensor> {
        checked_numel(&[n])?;
        crate::dispatch_dtype!(dtype, T => {
            let data: Vec<T> = (0..n as i64).map(T::from_i64).collect();
            Tensor::from_vec(data, &[n])
        })
    }
}
