//! Tensors as SIMD-layer operands: typed dispatch over the float dtypes, read and write access to a
//! tensor's elements as a contiguous slice (the fast path) or a [`StridedSlice`] (any strides), and
//! the elementwise drivers every op in this module goes through.
//!
//! The tensor layer hands out contiguous slices (`as_slice`) and ndarray views (`view`), but not
//! "the storage plus my offset and strides", which is what the SIMD layer's strided kernels take.
//! [`strided_of`] rebuilds that from an ndarray view made by `Tensor::view` (see its safety note);
//! a safe accessor in the runtime would replace it.

use ndarray::{ArrayViewD, ArrayViewMutD};
use op_runtime::{
    DType, Error, Result, SliceGuard, SliceGuardMut, Tensor, TensorView, TensorViewMut,
};

use crate::simd::{
    self, BinaryOp, Simd, SimdError, StridedSlice, StridedSliceMut, UnaryOp, binary_strided,
    unary_strided,
};

/// An element type both the runtime and the SIMD layer know: `f32`, `f64`, `f16`, `bf16`.
pub trait Float: simd::Element + op_runtime::Element {}
impl<T: simd::Element + op_runtime::Element> Float for T {}

/// `with_float!(dtype, "context", T => expr)`: runs `expr` with `T` the element type of a float
/// dtype, or returns [`Error::UnsupportedDType`] naming `context`.
macro_rules! with_float {
    ($dtype:expr, $context:expr, $T:ident => $body:expr) => {
        match $dtype {
            ::op_runtime::DType::F32 => {
                type $T = f32;
                $body
            }
            ::op_runtime::DType::F64 => {
                type $T = f64;
                $body
            }
            ::op_runtime::DType::F16 => {
                type $T = ::half::f16;
                $body
            }
            ::op_runtime::DType::BF16 => {
                type $T = ::half::bf16;
                $body
            }
            other => Err(::op_runtime::Error::UnsupportedDType {
                dtype: other,
                context: ::std::string::String::from($context),
            }),
        }
    };
}
pub(crate) use with_float;

/// A SIMD-layer error as a runtime error. Shapes and lengths are checked before the SIMD layer is
/// called, so anything but a shape mismatch is a bug here, reported as such.
pub(crate) fn simd_error(op: &str, e: SimdError) -> Error {
    match e {
        SimdError::ShapeMismatch(why) => Error::ShapeMismatch {
            context: format!("{op}: {why}"),
        },
        other => Error::Internal(format!("{op}: {other} (this is a bug in op-kernels)")),
    }
}

/// A strided view of the elements an ndarray view reaches.
///
/// Only for views made by `Tensor::view` / `TensorView` (and the views the dispatcher hands to
/// `ArrayViewD` kernels, which are made the same way): the slice spans from the lowest to the highest
/// element the view reaches, including elements between them that the view skips.
pub(crate) fn strided_of<'a, T>(v: &ArrayViewD<'a, T>) -> Result<StridedSlice<'a, T>> {
    let (lo, len) = span(v.shape(), v.strides());
    let data: &'a [T] = if len == 0 {
        &[]
    } else {
        // SAFETY: the view's elements all lie in one tensor storage (one allocation), so every
        // address between the lowest (`ptr + lo`) and the highest element is inside it; storage is
        // always initialised (zero-filled or an adopted `Vec`); the view holds the storage's read
        // borrow for `'a`, which excludes writers to any of its bytes (the runtime's borrow flag
        // covers the whole storage), so a shared slice over the span is sound.
        unsafe { std::slice::from_raw_parts(v.as_ptr().offset(lo), len) }
    };
    StridedSlice::new(data, (-lo) as usize, v.shape(), v.strides())
        .map_err(|e| simd_error("input", e))
}

/// As [`strided_of`], mutable; the view's elements are distinct (`Tensor::view_mut` refuses zero
/// strides).
pub(crate) fn strided_mut_of<'a, T>(
    v: &'a mut ArrayViewMutD<'_, T>,
) -> Result<StridedSliceMut<'a, T>> {
    let (lo, len) = span(v.shape(), v.strides());
    let shape = v.shape().to_vec();
    let strides = v.strides().to_vec();
    let data: &'a mut [T] = if len == 0 {
        &mut []
    } else {
        // SAFETY: as in `strided_of`, and the view holds the storage's *write* borrow, which
        // excludes every other access to the storage while it lives; `v` is borrowed mutably for
        // `'a`, so the slice is the only way to reach these elements.
        unsafe { std::slice::from_raw_parts_mut(v.as_mut_ptr().offset(lo), len) }
    };
    StridedSliceMut::new(data, (-lo) as usize, &shape, &strides)
        .map_err(|e| simd_error("output", e))
}

/// The offset of the lowest reachable element from the first one, and the number of elements from
/// the lowest to the highest (0 for an empty view).
fn span(shape: &[usize], strides: &[isize]) -> (isize, usize) {
    if shape.contains(&0) {
        return (0, 0);
    }
    let (mut lo, mut hi) = (0isize, 0isize);
    for (&n, &s) in shape.iter().zip(strides) {
        let reach = (n as isize - 1) * s;
        if reach < 0 {
            lo += reach;
        } else {
            hi += reach;
        }
    }
    (lo, (hi - lo + 1) as usize)
}

/// Read access to a tensor's elements: the contiguous slice when there is one, else a view.
pub(crate) enum Read<'a, T> {
    /// Row-major without gaps.
    Contiguous(SliceGuard<'a, T>),
    /// Anything else (broadcast, transposed, flipped, sliced).
    Strided(TensorView<'a, T>),
}

impl<'a, T: op_runtime::Element> Read<'a, T> {
    /// Borrows `t`'s elements for reading.
    pub(crate) fn new(t: &'a Tensor) -> Result<Self> {
        if t.is_contiguous() {
            Ok(Read::Contiguous(t.as_slice::<T>()?))
        } else {
            Ok(Read::Strided(t.view::<T>()?))
        }
    }

    /// The elements in row-major order, when contiguous.
    pub(crate) fn slice(&self) -> Option<&[T]> {
        match self {
            Read::Contiguous(s) => Some(s),
            Read::Strided(_) => None,
        }
    }

    /// The elements as a strided view of the tensor's shape.
    pub(crate) fn strided(&self, shape: &[usize]) -> Result<StridedSlice<'_, T>> {
        match self {
            Read::Contiguous(s) => {
                StridedSlice::contiguous(s, shape).map_err(|e| simd_error("input", e))
            }
            Read::Strided(v) => strided_of(v),
        }
    }
}

/// Write access to an output's elements.
pub(crate) enum Write<'a, T> {
    /// Row-major without gaps.
    Contiguous(SliceGuardMut<'a, T>),
    /// A strided output (an out argument that is a view).
    Strided(TensorViewMut<'a, T>),
}

impl<'a, T: op_runtime::Element> Write<'a, T> {
    /// Borrows `t`'s elements for writing.
    pub(crate) fn new(t: &'a mut Tensor) -> Result<Self> {
        if t.is_contiguous() {
            Ok(Write::Contiguous(t.as_mut_slice::<T>()?))
        } else {
            Ok(Write::Strided(t.view_mut::<T>()?))
        }
    }

    /// The elements in row-major order, when contiguous.
    pub(crate) fn slice(&mut self) -> Option<&mut [T]> {
        match self {
            Write::Contiguous(s) => Some(s),
            Write::Strided(_) => None,
        }
    }

    /// The elements as a strided view of the output's shape.
    pub(crate) fn strided(&mut self, shape: &[usize]) -> Result<StridedSliceMut<'_, T>> {
        match self {
            Write::Contiguous(s) => {
                StridedSliceMut::contiguous(s, shape).map_err(|e| simd_error("output", e))
            }
            Write::Strided(v) => strided_mut_of(v),
        }
    }
}

/// `out = op(x)` for a float tensor `x` of `out`'s dtype, broadcast to `out`'s shape.
pub(crate) fn unary_into<T: Float, Op: UnaryOp>(
    name: &str,
    op: &Op,
    x: &Tensor,
    out: &mut Tensor,
) -> Result<()> {
    let shape = out.shape().to_vec();
    let rx = Read::<T>::new(x)?;
    let mut o = Write::<T>::new(out)?;
    if let (Some(xs), Some(os)) = (rx.slice(), o.slice())
        && xs.len() == os.len()
    {
        return simd::unary(op, xs, os).map_err(|e| simd_error(name, e));
    }
    let xs = rx.strided(x.shape())?;
    unary_strided(op, &xs, &mut o.strided(&shape)?).map_err(|e| simd_error(name, e))
}

/// `out = op(a, b)` for float tensors of `out`'s dtype, broadcast together to `out`'s shape.
pub(crate) fn binary_into<T: Float, Op: BinaryOp>(
    name: &str,
    op: &Op,
    a: &Tensor,
    b: &Tensor,
    out: &mut Tensor,
) -> Result<()> {
    let shape = out.shape().to_vec();
    let (ra, rb) = (Read::<T>::new(a)?, Read::<T>::new(b)?);
    let mut o = Write::<T>::new(out)?;
    let n = o.slice().map_or(usize::MAX, |s| s.len());
    if let (Some(xa), Some(xb), Some(os)) = (ra.slice(), rb.slice(), o.slice())
        && xa.len() == n
        && xb.len() == n
    {
        return simd::binary(op, xa, xb, os).map_err(|e| simd_error(name, e));
    }
    let sa = ra.strided(a.shape())?;
    let sb = rb.strided(b.shape())?;
    binary_strided(op, &sa, &sb, &mut o.strided(&shape)?).map_err(|e| simd_error(name, e))
}

/// `op(x, c)` with a constant second operand, as a unary op (for strided inputs).
pub(crate) struct WithConstant<'a, Op> {
    /// The binary op.
    pub op: &'a Op,
    /// The constant, rounded to the lane type where it is used (as `simd::binary_scalar` does).
    pub c: f64,
}

impl<Op: BinaryOp> UnaryOp for WithConstant<'_, Op> {
    #[inline(always)]
    fn apply<S: Simd>(&self, s: S, x: S::V) -> S::V {
        self.op.apply(s, x, s.constant(self.c))
    }
}

/// `out = op(x, c)` for a float tensor `x` of `out`'s dtype and shape.
pub(crate) fn binary_scalar_into<T: Float, Op: BinaryOp>(
    name: &str,
    op: &Op,
    x: &Tensor,
    c: f64,
    out: &mut Tensor,
) -> Result<()> {
    let shape = out.shape().to_vec();
    let rx = Read::<T>::new(x)?;
    let mut o = Write::<T>::new(out)?;
    if let (Some(xs), Some(os)) = (rx.slice(), o.slice())
        && xs.len() == os.len()
    {
        return simd::binary_scalar(op, xs, c, os).map_err(|e| simd_error(name, e));
    }
    let sx = rx.strided(x.shape())?;
    let wrapped = WithConstant { op, c };
    unary_strided(&wrapped, &sx, &mut o.strided(&shape)?).map_err(|e| simd_error(name, e))
}

/// `t` converted to `dtype` (no copy when it already has it).
pub(crate) fn as_dtype(t: &Tensor, dtype: DType) -> Result<Tensor> {
    if t.dtype() == dtype {
        Ok(t.clone())
    } else {
        t.to_dtype(dtype)
    }
}

/// Refuses a tensor that is not on the CPU (these kernels are CPU kernels; the dispatcher only
/// sends CPU tensors here, so this guards direct calls of the kernel fns).
pub(crate) fn check_cpu(op: &str, t: &Tensor) -> Result<()> {
    if t.device().is_cpu() {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "{op}: the CPU kernel got a tensor on {}",
            t.device()
        )))
    }
}

/// Runs `f` on `out`'s elements as one row-major slice: directly when `out` is contiguous, else on a
/// fresh contiguous tensor that is copied into `out` afterwards (out arguments may be views).
pub(crate) fn with_contiguous_out<T: op_runtime::Element>(
    out: &mut Tensor,
    f: impl FnOnce(&mut [T]) -> Result<()>,
) -> Result<()> {
    if out.is_contiguous() {
        let mut s = out.as_mut_slice::<T>()?;
        return f(&mut s);
    }
    let mut tmp = Tensor::empty(out.shape(), out.dtype(), out.device())?;
    {
        let mut s = tmp.as_mut_slice::<T>()?;
        f(&mut s)?;
    }
    out.copy_from(&tmp)
}
