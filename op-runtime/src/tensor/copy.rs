//! Copies: `copy_from` (broadcasting, converting dtype, any strides on both sides), and what is
//! built on it — `contiguous`, `deep_clone`, `to_dtype`, `fill_` — plus moving between devices.
//!
//! Host memory is copied here element by element; accelerator memory moves through its backend as
//! bytes, and any element-wise work on it (converting, gathering strided elements) is staged on
//! the host until device kernels exist.

use super::{Tensor, walk};
use crate::{DType, Device, Element, Error, Result, Scalar};

impl Tensor {
    /// The same elements laid out row-major: a cheap clone sharing storage when already
    /// contiguous, otherwise a copy.
    pub fn contiguous(&self) -> Result<Tensor> {
        if self.is_contiguous() {
            Ok(self.clone())
        } else {
            self.deep_clone()
        }
    }

    /// A contiguous copy with storage of its own (PyTorch's `clone`, except that the copy is
    /// always row-major).
    pub fn deep_clone(&self) -> Result<Tensor> {
        let mut out = Tensor::empty(self.shape(), self.dtype(), self.device())?;
        out.copy_from(self)?;
        Ok(out)
    }

    /// The elements converted to `dtype` (by the rules of [`Element`]): a cheap clone when the dtype
    /// is already `dtype`, otherwise a contiguous copy.
    ///
    /// ```
    /// use op_runtime::{DType, Tensor};
    /// let x = Tensor::from_vec(vec![1.9f32, -1.9, 300.0], &[3]).unwrap();
    /// assert_eq!(x.to_dtype(DType::I64).unwrap().to_vec::<i64>().unwrap(), vec![1, -1, 300]);
    /// assert_eq!(x.to_dtype(DType::U8).unwrap().to_vec::<u8>().unwrap(), vec![1, 0, 255]);
    /// ```
    pub fn to_dtype(&self, dtype: DType) -> Result<Tensor> {
        if dtype == self.dtype() {
            return Ok(self.clone());
        }
        let mut out = Tensor::empty(self.shape(), dtype, self.device())?;
        out.copy_from(self)?;
        Ok(out)
    }

    /// The tensor on `device`: a cheap clone when already there, otherwise a copy through the
    /// device's backend (or [`Error::DeviceUnavailable`] when the build has none). The copy keeps
    /// the view's strides and copies only the span of storage the view reaches.
    pub fn to(&self, device: Device) -> Result<Tensor> {
        if device == self.device() {
            return Ok(self.clone());
        }
        let Some((lo, hi)) = self.layout().index_range() else {
            return Tensor::empty(self.shape(), self.dtype(), device);
        };
        let size = self.dtype().size_in_bytes();
        let range = (|| {
            let start = usize::try_from(lo).ok()?.checked_mul(size)?;
            let end = usize::try_from(hi)
                .ok()?
                .checked_add(1)?
                .checked_mul(size)?;
            Some(start..end)
        })()
        .ok_or_else(|| Error::ShapeOverflow {
            shape: self.shape().to_vec(),
        })?;
        let storage = self.storage().copy_range_to(range, device)?;
        if self.dtype() == DType::Bool && device.is_cpu() {
            // Device code may leave any non-zero byte in a bool; Rust's `bool` must be 0 or 1.
            storage
                .write::<u8>()?
                .iter_mut()
                .for_each(|b| *b = u8::from(*b != 0));
        }
        let mut layout = self.layout().clone();
        layout.offset -= lo as usize;
        Ok(Tensor::from_parts(storage, layout, self.dtype()))
    }

    /// Copies `src` into `self` element by element, broadcasting `src` to `self`'s shape and
    /// converting its dtype (by the rules of [`Element`]); either side may have any strides.
    /// PyTorch's `copy_`.
    ///
    /// Fails with [`Error::ShapeMismatch`] when `src` does not broadcast to `self`'s shape,
    /// [`Error::OverlappingWrite`] when `self` has overlapping elements, and
    /// [`Error::StorageBorrowed`] when either storage is borrowed in a conflicting way elsewhere.
    /// A `src` sharing `self`'s storage is first copied aside, so overlapping copies are exact.
    ///
    /// ```
    /// use op_runtime::{DType, Device, Tensor};
    /// let mut out = Tensor::zeros(&[2, 3], DType::F64, Device::Cpu).unwrap();
    /// let row = Tensor::from_vec(vec![1i32, 2, 3], &[3]).unwrap();
    /// out.copy_from(&row).unwrap();
    /// assert_eq!(out.to_vec::<f64>().unwrap(), vec![1.0, 2.0, 3.0, 1.0, 2.0, 3.0]);
    /// ```
    pub fn copy_from(&mut self, src: &Tensor) -> Result<()> {
        let expanded;
        let src = if src.shape() == self.shape() {
            src
        } else {
            expanded = src.broadcast_to(self.shape()).map_err(|_| Error::ShapeMismatch {
                context: format!(
                    "copy_from: the source of shape {:?} cannot be broadcast to the destination \
                     shape {:?}",
                    src.shape(),
                    self.shape()
                ),
            })?;
            &expanded
        };
        self.check_writable()?;
        if !self.device().is_cpu() || !src.device().is_cpu() {
            return self.copy_through_host(src);
        }
        if self.same_storage(src) {
            let aside = src.deep_clone()?;
            return copy_host(self, &aside);
        }
        copy_host(self, src)
    }

    /// Sets every element to `value`, converted to the dtype by [`Scalar::cast`] (PyTorch's
    /// `fill_`). A value the dtype cannot hold is [`Error::ScalarConversion`], as PyTorch refuses
    /// it (see [`Scalar::check_fits`]: `300` for uint8, NaN for an integer dtype, `70000` for
    /// float16), and nothing is written.
    pub fn fill_(&mut self, value: impl Into<Scalar>) -> Result<()> {
        let value = value.into();
        value.check_fits(self.dtype())?;
        self.check_writable()?;
        if !self.device().is_cpu() {
            let staged = Tensor::full(self.shape(), value, self.dtype(), Device::Cpu)?;
            return self.copy_from(&staged);
        }
        crate::dispatch_dtype!(self.dtype(), T => {
            let v: T = value.cast();
            let mut data = self.storage().write::<T>()?;
            let layout = self.layout();
            check_fits(self, data.len())?;
            walk(layout.shape(), [layout.strides()], [layout.offset], |[i]| data[i] = v);
            Ok(())
        })
    }

    /// Refuses writes through a tensor in which two indices name one element.
    pub(crate) fn check_writable(&self) -> Result<()> {
        if self.layout().may_overlap_itself() {
            return Err(Error::OverlappingWrite {
                shape: self.shape().to_vec(),
                strides: self.strides().to_vec(),
            });
        }
        Ok(())
    }

    /// `copy_from` with an accelerator on either side: convert and broadcast on the host, then
    /// upload into `self` when it is a device tensor (which must be contiguous until device copy
    /// kernels exist).
    fn copy_through_host(&mut self, src: &Tensor) -> Result<()> {
        let host_src = src.to(Device::Cpu)?;
        if self.device().is_cpu() {
            return copy_host(self, &host_src);
        }
        if !self.is_contiguous() {
            return Err(Error::NotContiguous {
                shape: self.shape().to_vec(),
                strides: self.strides().to_vec(),
            });
        }
        let mut staged = Tensor::empty(self.shape(), self.dtype(), Device::Cpu)?;
        copy_host(&mut staged, &host_src)?;
        let offset = self.offset() * self.dtype().size_in_bytes();
        let bytes = staged.storage().read::<u8>()?;
        self.storage().upload(offset, &bytes)
    }
}

/// Checks that a tensor's layout lies inside its storage of `storage_len` elements. Views never
/// break this; the check guards the indexing that follows it against a broken invariant.
pub(crate) fn check_fits(t: &Tensor, storage_len: usize) -> Result<()> {
    if t.layout().fits(storage_len) {
        Ok(())
    } else {
        Err(outside_storage(t, storage_len))
    }
}

/// The error for a layout that reaches outside its storage (a bug, never user input).
pub(crate) fn outside_storage(t: &Tensor, storage_len: usize) -> Error {
    Error::InvalidArgument(format!(
        "tensor of shape {:?}, strides {:?} and offset {} reaches outside its storage of {} \
         elements (this is a bug in opkit)",
        t.shape(),
        t.strides(),
        t.offset(),
        storage_len
    ))
}

/// Host-to-host element copy; `src` already has `dst`'s shape and does not share its storage.
fn copy_host(dst: &mut Tensor, src: &Tensor) -> Result<()> {
    if dst.dtype() == src.dtype() {
        crate::dispatch_dtype!(dst.dtype(), T => copy_elements::<T, T>(dst, src, |x| x))
    } else {
        crate::dispatch_dtype!(dst.dtype(), D => {
            crate::dispatch_dtype!(src.dtype(), S => copy_elements::<S, D>(dst, src, S::cast::<D>))
        })
    }
}

fn copy_elements<S: Element, D: Element>(
    dst: &Tensor,
    src: &Tensor,
    convert: impl Fn(S) -> D,
) -> Result<()> {
    let from = src.storage().read::<S>()?;
    let mut to = dst.storage().write::<D>()?;
    check_fits(src, from.len())?;
    check_fits(dst, to.len())?;
    let n = dst.numel();
    if dst.is_contiguous() && src.is_contiguous() && n > 0 {
        let (d0, s0) = (dst.offset(), src.offset());
        // In bounds: both layouts fit their storage and hold `n` contiguous elements.
        for (o, &i) in to[d0..d0 + n].iter_mut().zip(&from[s0..s0 + n]) {
            *o = convert(i);
        }
        return Ok(());
    }
    let (dl, sl) = (dst.layout(), src.layout());
    walk(
        dl.shape(),
        [dl.strides(), sl.strides()],
        [dl.offset, sl.offset],
        |[i, j]| {
            to[i] = convert(from[j]);
        },
    );
    Ok(())
}
