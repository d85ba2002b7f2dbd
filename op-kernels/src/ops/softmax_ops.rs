//! `ops::softmax.int` and `ops::log_softmax.int` over any dim, PyTorch's schemas.
//!
//! Along the last dim of a contiguous input the SIMD layer's row kernels run in place on the data;
//! another dim is first moved last (one transposed copy in, one strided copy out).
//!
//! Error bounds: softmax ≤ 4 ULP of the lane type plus the row sum's error (relative
//! `(n / (4·L) + 8) · ε` with all terms positive), then rounded to the element type (½ ULP: f16 and
//! bf16 results are within 1 ULP of their type); log_softmax ≤ 4 ULP of `max + ln Σ` absolute, so
//! results near 0 carry that absolute error. A row holding NaN or +inf gives NaN (PyTorch); a row
//! of only -inf gives NaN too (`-inf - -inf`).

use op_macros::custom_op;
use op_runtime::{DType, Error, Meta, Result, Tensor};

use super::access::{as_dtype, check_cpu, simd_error, with_contiguous_out, with_float};
use super::dims::{contiguous, dim_last, wrap_dim};
use crate::simd::rows;

/// The result dtype: `dtype` if given (the input is converted first, as PyTorch), else the
/// input's; it must be a float.
fn result_dtype(op: &str, input: DType, dtype: Option<DType>) -> Result<DType> {
    let d = dtype.unwrap_or(input);
    if d.is_floating_point() {
        Ok(d)
    } else {
        Err(Error::UnsupportedDType {
            dtype: d,
            context: format!("{op} (pass a float `dtype` to convert the input, as in PyTorch)"),
        })
    }
}

fn shape(op: &str, x: &Meta, dim: i64, dtype: Option<DType>) -> Result<Meta> {
    wrap_dim(dim, x.shape.len())?;
    Ok(x.clone().with_dtype(result_dtype(op, x.dtype, dtype)?))
}

fn run(op: &str, log: bool, x: &Tensor, dim: i64, out: &mut Tensor) -> Result<()> {
    check_cpu(op, x)?;
    let dtype = out.dtype();
    let d = wrap_dim(dim, x.dim())?;
    let (moved, transposed) = dim_last(&as_dtype(x, dtype)?, d)?;
    let x = contiguous(&moved)?;
    let cols = x.shape().last().copied().unwrap_or(1);
    with_float!(dtype, op, T => {
        let xs = x.as_slice::<T>()?;
        let kernel = |o: &mut [T]| {
            let r = if log {
                rows::log_softmax(&xs, cols, o)
            } else {
                rows::softmax(&xs, cols, o)
            };
            r.map_err(|e| simd_error(op, e))
        };
        if !transposed {
            return with_contiguous_out::<T>(out, kernel);
        }
        let mut tmp = Tensor::empty(x.shape(), dtype, x.device())?;
        kernel(&mut tmp.as_mut_slice::<T>()?)?;
        out.copy_from(&tmp.transpose(d as isize, -1)?)
    })
}

/// `exp(x - max) / Σ exp(x - max)` along `dim`.
///
/// dtypes: f32, f64, f16, bf16 (halves compute in f32), or any input with a float `dtype`. Error
/// bounds in the [module docs](self).
///
/// ```
/// use op_kernels::ops::softmax;
/// use op_runtime::Tensor;
/// let x = Tensor::from_vec(vec![0.0f32, 0.0, 1.0, 1.0], &[2, 2]).unwrap();
/// let y = softmax::call(&x, 0, None).unwrap().to_vec::<f32>().unwrap();
/// assert!((y[0] - 0.268_941_43).abs() < 1e-7 && (y[0] + y[2] - 1.0).abs() < 1e-7);
/// ```
#[custom_op(
    "ops::softmax.int(Tensor self, int dim, ScalarType? dtype=None) -> Tensor",
    shape = softmax_shape
)]
pub fn softmax(self_: &Tensor, dim: i64, dtype: Option<DType>, out: &mut Tensor) -> Result<()> {
    let _ = dtype; // already `out`'s dtype
    run("ops::softmax.int", false, self_, dim, out)
}

/// Shape function of [`softmax`](fn@softmax).
pub fn softmax_shape(self_: &Meta, dim: i64, dtype: Option<DType>) -> Result<Meta> {
    shape("ops::softmax.int", self_, dim, dtype)
}

/// `x - max - ln Σ exp(x - max)` along `dim`; as [`softmax`](fn@softmax).
#[custom_op(
    "ops::log_softmax.int(Tensor self, int dim, ScalarType? dtype=None) -> Tensor",
    shape = log_softmax_shape
)]
pub fn log_softmax(self_: &Tensor, dim: i64, dtype: Option<DType>, out: &mut Tensor) -> Result<()> {
    let _ = dtype; // already `out`'s dtype
    run("ops::log_softmax.int", true, self_, dim, out)
}

/// Shape function of [`log_softmax`](fn@log_softmax).
pub fn log_softmax_shape(self_: &Meta, dim: i64, dtype: Option<DType>) -> Result<Meta> {
    shape("ops::log_softmax.int", self_, dim, dtype)
}
