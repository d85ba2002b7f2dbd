//! The two seed ops of the design notes, `my_ops::mul3` and `my_ops::mul4`: `y = 3x` and `y = 4x`.
//! They show the two kernel styles; their schemas make them pointwise, so shape inference is
//! broadcasting.

use ndarray::{ArrayViewD, ArrayViewMutD, Zip};
use op_macros::custom_op;
use op_runtime::{DType, Element, Error, Result, Tensor, dispatch_dtype};

/// `y = 3x`, functional style: the kernel allocates and returns its result. Dtype-generic: it
/// takes `&Tensor` and switches on the dtype itself, for every numeric dtype.
#[custom_op("my_ops::mul3(Tensor x) -> Tensor")]
pub fn mul3(x: &Tensor) -> Result<Tensor> {
    if x.dtype() == DType::Bool {
        return Err(Error::UnsupportedDType {
            dtype: DType::Bool,
            context: "my_ops::mul3".into(),
        });
    }
    let x = x.contiguous()?;
    dispatch_dtype!(x.dtype(), T => {
        let three = T::from_f64(3.0);
        let input = x.as_slice::<T>()?;
        let values: Vec<T> = input.iter().map(|&v| mul(v, three)).collect();
        Tensor::from_vec(values, x.shape())
    })
}

/// `a * b` in the element type (through f64 for halves; wrapping for integers, as PyTorch).
#[inline]
fn mul<T: Element>(a: T, b: T) -> T {
    if T::DTYPE.is_floating_point() {
        T::from_f64(a.to_f64() * b.to_f64())
    } else {
        T::from_i64(a.to_i64().wrapping_mul(b.to_i64()))
    }
}

/// `y = 4x`, out style and generic over the element type: the dispatcher hands it ndarray views
/// of the input and of the output it allocated from shape inference.
#[custom_op("my_ops::mul4(Tensor x) -> Tensor", dtypes(f32, f64, f16, bf16))]
pub fn mul4<T: Element>(x: ArrayViewD<T>, mut out: ArrayViewMutD<T>) {
    let four = T::from_f64(4.0);
    Zip::from(&mut out)
        .and(&x)
        .for_each(|o, &v| *o = mul(v, four));
}
