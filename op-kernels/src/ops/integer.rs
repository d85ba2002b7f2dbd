//! Integer elementwise kernels: scalar loops over ndarray views (any strides, broadcasting), with
//! PyTorch's integer semantics — two's-complement wrap-around on overflow, no saturation.
//!
//! Integer ops are rare on the paths that matter for speed here (activations, norms), so these
//! loops favour simplicity over SIMD; ndarray's `Zip` still vectorises contiguous runs.

use ndarray::{IxDyn, Zip};
use op_runtime::{DType, Element, Error, Result, Tensor};

/// `with_int!(dtype, "context", T => expr)`: runs `expr` with `T` the element type of an integer
/// dtype, or returns [`Error::UnsupportedDType`].
macro_rules! with_int {
    ($dtype:expr, $context:expr, $T:ident => $body:expr) => {
        match $dtype {
            ::op_runtime::DType::U8 => {
                type $T = u8;
                $body
            }
            ::op_runtime::DType::I8 => {
                type $T = i8;
                $body
            }
            ::op_runtime::DType::I16 => {
                type $T = i16;
                $body
            }
            ::op_runtime::DType::I32 => {
                type $T = i32;
                $body
            }
            ::op_runtime::DType::I64 => {
                type $T = i64;
                $body
            }
            other => Err(::op_runtime::Error::UnsupportedDType {
                dtype: other,
                context: ::std::string::String::from($context),
            }),
        }
    };
}
pub(crate) use with_int;

fn broadcast_error(op: &str, from: &[usize], to: &[usize]) -> Error {
    Error::ShapeMismatch {
        context: format!("{op}: shape {from:?} does not broadcast to {to:?}"),
    }
}

/// `out = f(a, b)` elementwise over integer tensors of `out`'s dtype, broadcast to `out`'s shape.
/// `f` works on `i64` values; the result is truncated to the element type (which is wrap-around).
pub(crate) fn binary<T: Element>(
    op: &str,
    a: &Tensor,
    b: &Tensor,
    out: &mut Tensor,
    f: impl Fn(i64, i64) -> i64,
) -> Result<()> {
    let shape = IxDyn(out.shape());
    let (va, vb) = (a.view::<T>()?, b.view::<T>()?);
    let va = va
        .broadcast(shape.clone())
        .ok_or_else(|| broadcast_error(op, a.shape(), out.shape()))?;
    let vb = vb
        .broadcast(shape)
        .ok_or_else(|| broadcast_error(op, b.shape(), out.shape()))?;
    let mut vo = out.view_mut::<T>()?;
    Zip::from(&mut *vo)
        .and(&va)
        .and(&vb)
        .for_each(|o, &x, &y| *o = T::from_i64(f(x.to_i64(), y.to_i64())));
    Ok(())
}

/// `out = f(x)` elementwise over an integer tensor of `out`'s dtype and shape.
pub(crate) fn unary<T: Element>(
    x: &Tensor,
    out: &mut Tensor,
    f: impl Fn(i64) -> i64,
) -> Result<()> {
    let vx = x.view::<T>()?;
    let mut vo = out.view_mut::<T>()?;
    Zip::from(&mut *vo)
        .and(&*vx)
        .for_each(|o, &v| *o = T::from_i64(f(v.to_i64())));
    Ok(())
}

/// The dtype PyTorch gives `tensor ∘ scalar`: the tensor's, unless the scalar is of a higher
/// category (a float scalar with an integer or bool tensor gives the default float, `float32`; an
/// integer scalar with a bool tensor gives `int64`).
pub(crate) fn scalar_result_dtype(tensor: DType, scalar: op_runtime::Scalar) -> DType {
    let float_scalar = scalar.is_floating_point();
    if tensor.is_floating_point() {
        tensor
    } else if float_scalar {
        DType::F32
    } else if tensor == DType::Bool && matches!(scalar, op_runtime::Scalar::Int(_)) {
        DType::I64
    } else {
        tensor
    }
}
