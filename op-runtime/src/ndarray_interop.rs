//! Zero-copy interop with `ndarray`: an owned `Array` becomes a [`Tensor`] without copying its
//! buffer (keeping its strides, negative ones included), and a CPU tensor can be viewed as an
//! `ArrayViewD` / `ArrayViewMutD` that holds the storage's borrow.

use std::fmt;
use std::ops::{Deref, DerefMut};

use ndarray::{Array, ArrayD, ArrayViewD, ArrayViewMutD, Axis, Dimension, IxDyn, ShapeBuilder};

use crate::storage::{ReadBorrow, WriteBorrow};
use crate::tensor::Layout;
use crate::{Device, Element, Error, Result, Storage, Tensor};

/// A read-only `ndarray` view of a tensor: derefs to [`ArrayViewD`] and holds the storage's read
/// borrow until dropped. Returned by [`Tensor::view`].
pub struct TensorView<'a, T> {
    view: ArrayViewD<'a, T>,
    _borrow: ReadBorrow<'a>,
}

/// A mutable `ndarray` view of a tensor: derefs to [`ArrayViewMutD`] and holds the storage's write
/// borrow until dropped. Returned by [`Tensor::view_mut`].
pub struct TensorViewMut<'a, T> {
    view: ArrayViewMutD<'a, T>,
    _borrow: WriteBorrow<'a>,
}

impl<'a, T> Deref for TensorView<'a, T> {
    type Target = ArrayViewD<'a, T>;
    fn deref(&self) -> &ArrayViewD<'a, T> {
        &self.view
    }
}

impl<'a, T> Deref for TensorViewMut<'a, T> {
    type Target = ArrayViewMutD<'a, T>;
    fn deref(&self) -> &ArrayViewMutD<'a, T> {
        &self.view
    }
}

impl<T> DerefMut for TensorViewMut<'_, T> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.view
    }
}

impl<T: fmt::Debug> fmt::Debug for TensorView<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.view.fmt(f)
    }
}

impl<T: fmt::Debug> fmt::Debug for TensorViewMut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.view.fmt(f)
    }
}

/// Takes the array's buffer without copying; see [`Tensor::from_array`].
impl<T: Element, D: Dimension> From<Array<T, D>> for Tensor {
    fn from(array: Array<T, D>) -> Tensor {
        Tensor::from_array(array)
    }
}

/// What `view` and `view_mut` check before touching memory.
fn check_cpu_dtype<T: Element>(t: &Tensor) -> Result<()> {
    if t.dtype() != T::DTYPE {
        return Err(Error::DTypeMismatch {
            expected: T::DTYPE,
            found: t.dtype(),
        });
    }
    if !t.device().is_cpu() {
        return Err(Error::DeviceMismatch {
            expected: Device::Cpu,
            found: t.device(),
        });
    }
    Ok(())
}

/// The view's geometry for ndarray, whose raw constructors take only non-negative strides: the
/// index of the lowest element, the absolute strides, and which axes to invert afterwards.
struct Geometry {
    lowest: usize,
    shape: IxDyn,
    abs_strides: IxDyn,
    flipped: Vec<usize>,
}

fn geometry(t: &Tensor, storage_len: usize) -> Result<Geometry> {
    let layout = t.layout();
    let outside = || {
        Error::InvalidArgument(format!(
            "tensor of shape {:?}, strides {:?} and offset {} reaches outside its storage of {} \
             elements (this is a bug in opkit)",
            t.shape(),
            t.strides(),
            t.offset(),
            storage_len
        ))
    };
    if !layout.fits(storage_len) {
        return Err(outside());
    }
    let (lowest, _) = layout.index_range().ok_or_else(outside)?;
    let abs: Vec<usize> = t.strides().iter().map(|s| s.unsigned_abs()).collect();
    let flipped = (0..t.dim())
        .filter(|&d| t.strides()[d] < 0 && t.shape()[d] > 1)
        .collect();
    Ok(Geometry {
        lowest: usize::try_from(lowest).map_err(|_| outside())?,
        shape: IxDyn(t.shape()),
        abs_strides: IxDyn(&abs),
        flipped,
    })
}

impl Tensor {
    /// A tensor that takes over an `ndarray` array's buffer without copying, keeping its shape,
    /// strides (negative ones included) and offset. Also available as `Tensor::from(array)`.
    ///
    /// ```
    /// use ndarray::{array, s};
    /// use op_runtime::Tensor;
    /// let a = array![[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]];
    /// let flipped = a.slice_move(s![.., ..;-1]);
    /// let t = Tensor::from(flipped);
    /// assert_eq!(t.strides(), &[3, -1]);
    /// assert_eq!(t.to_vec::<f32>().unwrap(), vec![3.0, 2.0, 1.0, 6.0, 5.0, 4.0]);
    /// ```
    pub fn from_array<T: Element, D: Dimension>(array: Array<T, D>) -> Tensor {
        let shape = array.shape().iter().copied().collect();
        let strides = array.strides().iter().copied().collect();
        let (data, offset) = array.into_raw_vec_and_offset();
        // ndarray's owned arrays keep every element inside their vector, so this layout fits the
        // storage; `view` and the copies check again before touching memory.
        let layout = Layout::new(shape, strides, offset.unwrap_or(0));
        Tensor::from_parts(Storage::from_vec(data), layout, T::DTYPE)
    }

    /// A read-only `ndarray` view of a CPU tensor, for any strides (zero and negative included).
    /// Holds the storage's read borrow until dropped.
    ///
    /// Fails with [`Error::DTypeMismatch`] for a wrong `T`, [`Error::DeviceMismatch`] off the
    /// CPU, and [`Error::StorageBorrowed`] while the storage is being written.
    ///
    /// ```
    /// use op_runtime::Tensor;
    /// let x = Tensor::from_vec(vec![1i16, 2, 3, 4], &[2, 2]).unwrap().transpose(0, 1).unwrap();
    /// let v = x.view::<i16>().unwrap();
    /// assert_eq!(v[[0, 1]], 3);
    /// ```
    pub fn view<T: Element>(&self) -> Result<TensorView<'_, T>> {
        check_cpu_dtype::<T>(self)?;
        let (data, borrow) = self.storage().read::<T>()?.into_parts();
        if self.numel() == 0 {
            let view = ArrayViewD::from_shape(IxDyn(self.shape()), &data[..0]).map_err(|e| {
                Error::InvalidArgument(format!("ndarray refused an empty view: {e}"))
            })?;
            return Ok(TensorView {
                view,
                _borrow: borrow,
            });
        }
        let g = geometry(self, data.len())?;
        // In bounds: `geometry` checked that the layout fits, so `lowest < data.len()`.
        let base = data[g.lowest..].as_ptr();
        // SAFETY: every element the view reaches is `base` plus a non-negative combination of the
        // absolute strides, which is a storage index between the lowest and highest element of
        // the layout, all inside `data` (checked by `geometry`); element offsets fit in `isize`
        // because the storage's size does. `data` lives for `'a` and the read borrow held by the
        // returned guard excludes writers for as long as the view exists.
        let mut view = unsafe { ArrayViewD::from_shape_ptr(g.shape.strides(g.abs_strides), base) };
        for axis in g.flipped {
            view.invert_axis(Axis(axis));
        }
        Ok(TensorView {
            view,
            _borrow: borrow,
        })
    }

    /// A mutable `ndarray` view of a CPU tensor, for any strides without overlap (negative ones
    /// included). Holds the storage's write borrow until dropped.
    ///
    /// Fails like [`view`](Tensor::view), with [`Error::StorageBorrowed`] while any other borrow is
    /// alive, and with [`Error::OverlappingWrite`] for a tensor with zero strides (`expand`,
    /// `broadcast_to`), where two indices would write one element.
    ///
    /// ```
    /// use op_runtime::{DType, Device, Tensor};
    /// let mut x = Tensor::zeros(&[2, 2], DType::F64, Device::Cpu).unwrap();
    /// x.view_mut::<f64>().unwrap()[[1, 0]] = 5.0;
    /// assert_eq!(x.to_vec::<f64>().unwrap(), vec![0.0, 0.0, 5.0, 0.0]);
    /// ```
    pub fn view_mut<T: Element>(&mut self) -> Result<TensorViewMut<'_, T>> {
        check_cpu_dtype::<T>(self)?;
        self.check_writable()?;
        let (data, borrow) = self.storage().write::<T>()?.into_parts();
        if self.numel() == 0 {
            let view =
                ArrayViewMutD::from_shape(IxDyn(self.shape()), &mut data[..0]).map_err(|e| {
                    Error::InvalidArgument(format!("ndarray refused an empty view: {e}"))
                })?;
            return Ok(TensorViewMut {
                view,
                _borrow: borrow,
            });
        }
        let g = geometry(self, data.len())?;
        let base = data[g.lowest..].as_mut_ptr();
        // SAFETY: as in `view`, every reachable element is inside `data[lowest..]`, from which
        // `base` is derived; `check_writable` proved no two indices reach the same element, so the
        // mutable view has no internal aliasing; the write borrow held by the returned guard makes
        // this the only access to the storage until the view is dropped.
        let mut view =
            unsafe { ArrayViewMutD::from_shape_ptr(g.shape.strides(g.abs_strides), base) };
        for axis in g.flipped {
            view.invert_axis(Axis(axis));
        }
        Ok(TensorViewMut {
            view,
            _borrow: borrow,
        })
    }

    /// A copy of the elements as an owned, row-major `ndarray` array (from any device, any
    /// strides). `T` must be the dtype's element type.
    ///
    /// ```
    /// use op_runtime::Tensor;
    /// let x = Tensor::from_vec(vec![1u8, 2, 3, 4], &[2, 2]).unwrap().flip(1).unwrap();
    /// assert_eq!(x.to_array::<u8>().unwrap(), ndarray::array![[2u8, 1], [4, 3]].into_dyn());
    /// ```
    pub fn to_array<T: Element>(&self) -> Result<ArrayD<T>> {
        let data = self.to_vec::<T>()?;
        ArrayD::from_shape_vec(IxDyn(self.shape()), data).map_err(|e| {
            Error::InvalidArgument(format!("ndarray refused shape {:?}: {e}", self.shape()))
        })
    }

    /// [`to_array`](Tensor::to_array), consuming the tensor (the elements are still copied: the
    /// storage may be shared, and its layout need not be row-major).
    pub fn into_array<T: Element>(self) -> Result<ArrayD<T>> {
        self.to_array()
    }
}
