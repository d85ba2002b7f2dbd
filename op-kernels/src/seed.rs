//! The two seed ops of the design notes, `my_ops::mul3` and `my_ops::mul4`: `y = 3x` and `y = 4x`.
//! They show the two out-style kernel signatures — `&Tensor` in, `&mut Tensor` out, switching on the
//! dtype in the kernel; and ndarray views, generic over the element type — both on the SIMD layer.
//! Their schemas make them pointwise, so shape inference is broadcasting.
//!
//! `mul3` is the headline benchmark (`op-bench`): on contiguous f32 it runs at the memory-bandwidth
//! limit, since it is one streaming pass of the SIMD layer's `mul_scalar`.

use ndarray::{ArrayViewD, ArrayViewMutD};
use op_macros::custom_op;
use op_runtime::{DType, Element, Error, Result, Tensor};

use crate::ops::access::{binary_scalar_into, check_cpu, simd_error, with_float};
use crate::simd;

/// `y = 3x`, out style on tensors: any numeric dtype, any strides. Floats compute in f32 lanes
/// (f64 for f64) and are correctly rounded; integers wrap around on overflow, as in PyTorch.
///
/// ```
/// use op_kernels::seed::mul3;
/// use op_runtime::Tensor;
/// let x = Tensor::from_vec(vec![1.0f32, -2.0], &[2]).unwrap();
/// assert_eq!(mul3::call(&x).unwrap().to_vec::<f32>().unwrap(), vec![3.0, -6.0]);
/// ```
#[custom_op("my_ops::mul3(Tensor x) -> Tensor")]
pub fn mul3(x: &Tensor, out: &mut Tensor) -> Result<()> {
    const OP: &str = "my_ops::mul3";
    check_cpu(OP, x)?;
    match x.dtype() {
        DType::Bool => Err(Error::UnsupportedDType {
            dtype: DType::Bool,
            context: OP.into(),
        }),
        d if d.is_floating_point() => {
            with_float!(d, OP, T => binary_scalar_into::<T, _>(OP, &simd::ops::Mul, x, 3.0, out))
        }
        d => crate::ops::integer::with_int!(d, OP, T => {
            crate::ops::integer::unary::<T>(x, out, |v| v.wrapping_mul(3))
        }),
    }
}

/// `y = 4x`, out style and generic over the element type: the dispatcher hands it ndarray views of
/// the input and of the output it allocated from shape inference. Contiguous views take the SIMD
/// layer's `mul_scalar`; others are first made contiguous (a copy) — views carry no storage borrow
/// that would make a strided SIMD walk over them sound in general.
#[custom_op("my_ops::mul4(Tensor x) -> Tensor", dtypes(f32, f64, f16, bf16))]
pub fn mul4<T: Element + simd::Element>(x: ArrayViewD<T>, mut out: ArrayViewMutD<T>) -> Result<()> {
    let x = x.as_standard_layout();
    let Some(xs) = x.as_slice() else {
        return Err(Error::Internal(
            "a standard-layout array has a slice".into(),
        ));
    };
    if let Some(os) = out.as_slice_mut() {
        return simd::ops::mul_scalar(xs, 4.0, os).map_err(|e| simd_error("my_ops::mul4", e));
    }
    let mut staged = vec![T::default(); xs.len()];
    simd::ops::mul_scalar(xs, 4.0, &mut staged).map_err(|e| simd_error("my_ops::mul4", e))?;
    for (o, v) in out.iter_mut().zip(staged) {
        *o = v;
    }
    Ok(())
}
