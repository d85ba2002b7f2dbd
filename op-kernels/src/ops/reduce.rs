//! `ops::sum.dim_IntList` and `ops::mean.dim`: reductions over any set of dims, PyTorch's schemas
//! and dtype rules.
//!
//! The input is viewed with the kept dims first and the reduced dims last (a copy only when that
//! view is not contiguous), then each row is reduced by the SIMD layer's row kernels: one thread per
//! row, four vector accumulators, a fixed order — deterministic whatever the thread count.
//!
//! Error bound (floats): `|computed - exact| ≤ (min(n, 256·L) / (4·L) + log₂⌈n / (256·L)⌉ + 8) · ε
//! · Σ|x|` for a row of `n` elements (rows longer than 256 vectors are summed in blocks combined
//! pairwise, as PyTorch's cascade sum), `L` lanes per vector (8 f32 / 4 f64 on AVX2) and ε the
//! lane type's (2⁻²⁴ for f32, f16 and bf16, which accumulate in f32; 2⁻⁵³ for f64), plus the
//! final rounding to the result dtype (½ ULP). `mean` divides the sum by `n` in f64 and rounds
//! once, so its bound is the sum's divided by `n`, plus ½ ULP (f16 and bf16 too: not through f32).
//! Integers sum exactly in i64 (wrapping on overflow). NaN and ±inf propagate as in IEEE sums (`inf + -inf = NaN`).

use op_macros::custom_op;
use op_runtime::{DType, Error, Meta, Result, Tensor};

use super::access::{as_dtype, check_cpu, with_contiguous_out, with_float};
use super::dims::{contiguous, reduced_dims, size_product};
use super::integer::with_int;
use crate::simd::rows;

/// The result shape of a reduction.
fn reduced_shape(shape: &[usize], reduced: &[bool], keepdim: bool) -> Vec<usize> {
    shape
        .iter()
        .zip(reduced)
        .filter_map(|(&n, &r)| match (r, keepdim) {
            (false, _) => Some(n),
            (true, true) => Some(1),
            (true, false) => None,
        })
        .collect()
}

/// `x` as a contiguous `[rows, cols]` buffer: kept dims first, reduced dims last.
fn rows_of(x: &Tensor, reduced: &[bool]) -> Result<(Tensor, usize, usize)> {
    let kept = (0..x.dim()).filter(|&d| !reduced[d]);
    let gone = (0..x.dim()).filter(|&d| reduced[d]);
    let perm: Vec<isize> = kept.chain(gone).map(|d| d as isize).collect();
    let sizes = |keep: bool| {
        size_product(
            (0..x.dim())
                .filter(|&d| reduced[d] != keep)
                .map(|d| &x.shape()[d]),
        )
    };
    let (rows, cols) = (sizes(true), sizes(false));
    Ok((contiguous(&x.permute(&perm)?)?, rows, cols))
}

/// The dtype `sum` returns: `dtype` if given, else the input's, with integers and bool widened to
/// int64 (PyTorch).
fn sum_dtype(input: DType, dtype: Option<DType>) -> DType {
    match dtype {
        Some(d) => d,
        None if input.is_floating_point() => input,
        None => DType::I64,
    }
}

/// Sum over `dim` (all dims when `None` or empty), keeping reduced dims as size 1 when `keepdim`.
///
/// dtypes: every input dtype; the result is `dtype` when given (the input is converted first),
/// else the input's for floats and int64 for integers and bool. A bool result is whether any
/// element is nonzero (bools add as a logical or, as in PyTorch). Error bounds in the
/// [module docs](self).
///
/// ```
/// use op_kernels::ops::sum;
/// use op_runtime::Tensor;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).unwrap();
/// assert_eq!(sum::call(&x, Some(&[0]), false, None).unwrap().to_vec::<f32>().unwrap(), vec![5.0, 7.0, 9.0]);
/// assert_eq!(sum::call(&x, None, true, None).unwrap().shape(), &[1, 1]);
/// ```
#[custom_op(
    "ops::sum.dim_IntList(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
    shape = sum_shape
)]
pub fn sum(
    self_: &Tensor,
    dim: Option<&[i64]>,
    keepdim: bool,
    dtype: Option<DType>,
    out: &mut Tensor,
) -> Result<()> {
    let _ = (keepdim, dtype); // already in `out`'s shape and dtype
    reduce("ops::sum.dim_IntList", false, self_, dim, out)
}

/// Shape function of [`sum`](fn@sum).
pub fn sum_shape(
    self_: &Meta,
    dim: Option<&[i64]>,
    keepdim: bool,
    dtype: Option<DType>,
) -> Result<Meta> {
    let out = sum_dtype(self_.dtype, dtype);
    let reduced = reduced_dims("ops::sum.dim_IntList", dim, self_.shape.len())?;
    Ok(Meta::new(
        &reduced_shape(&self_.shape, &reduced, keepdim),
        out,
        self_.device,
    ))
}

/// Mean over `dim` (all dims when `None` or empty); NaN for an empty reduction, as PyTorch.
///
/// dtypes: float inputs, or any input with a float `dtype` (PyTorch refuses integer means without
/// one). With `dtype` float16 or bfloat16 and an input of another dtype, the mean is computed from
/// the input as it is, in f32 (f64 for an f64 input), then rounded to `dtype`, as PyTorch does
/// (converting the input first would round every element, and overflow for large ones). Error
/// bounds in the [module docs](self).
#[custom_op(
    "ops::mean.dim(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
    shape = mean_shape
)]
pub fn mean(
    self_: &Tensor,
    dim: Option<&[i64]>,
    keepdim: bool,
    dtype: Option<DType>,
    out: &mut Tensor,
) -> Result<()> {
    let _ = (keepdim, dtype); // already in `out`'s shape and dtype
    reduce("ops::mean.dim", true, self_, dim, out)
}

/// Shape function of [`mean`](fn@mean).
pub fn mean_shape(
    self_: &Meta,
    dim: Option<&[i64]>,
    keepdim: bool,
    dtype: Option<DType>,
) -> Result<Meta> {
    let out = dtype.unwrap_or(self_.dtype);
    if !out.is_floating_point() {
        return Err(Error::InvalidArgument(format!(
            "ops::mean.dim: could not infer output dtype. Input dtype must be a floating point dtype, or pass one as `dtype` (got {out})"
        )));
    }
    let reduced = reduced_dims("ops::mean.dim", dim, self_.shape.len())?;
    Ok(Meta::new(
        &reduced_shape(&self_.shape, &reduced, keepdim),
        out,
        self_.device,
    ))
}

fn reduce(op: &str, mean: bool, x: &Tensor, dim: Option<&[i64]>, out: &mut Tensor) -> Result<()> {
    check_cpu(op, x)?;
    let dtype = out.dtype();
    let reduced = reduced_dims(op, dim, x.dim())?;
    if out.numel() == 0 {
        // Nothing to write (and the sizes of an empty input may not multiply: see size_product).
        return Ok(());
    }
    if mean && matches!(dtype, DType::F16 | DType::BF16) && x.dtype() != dtype {
        let wide = if x.dtype() == DType::F64 {
            DType::F64
        } else {
            DType::F32
        };
        let mut means = Tensor::empty(out.shape(), wide, out.device())?;
        reduce(op, mean, x, dim, &mut means)?;
        return out.copy_from(&means);
    }
    let (x, _rows, cols) = rows_of(&as_dtype(x, dtype)?, &reduced)?;
    if dtype == DType::Bool {
        let xs = x.as_slice::<bool>()?;
        return with_contiguous_out::<bool>(out, |o| {
            for (r, slot) in o.iter_mut().enumerate() {
                *slot = xs[r * cols..(r + 1) * cols].iter().any(|&v| v);
            }
            Ok(())
        });
    }
    if dtype.is_floating_point() {
        return with_float!(dtype, op, T => {
            let xs = x.as_slice::<T>()?;
            with_contiguous_out::<T>(out, |o| {
                let r = if mean {
                    rows::mean_rows(&xs, cols, o)
                } else {
                    rows::sum_rows(&xs, cols, o)
                };
                r.map_err(|e| super::access::simd_error(op, e))
            })
        });
    }
    with_int!(dtype, op, T => {
        let xs = x.as_slice::<T>()?;
        with_contiguous_out::<T>(out, |o| {
            for (r, slot) in o.iter_mut().enumerate() {
                let row = &xs[r * cols..(r + 1) * cols];
                let total = row.iter().fold(0i64, |acc, v| {
                    acc.wrapping_add(op_runtime::Element::to_i64(*v))
                });
                *slot = op_runtime::Element::from_i64(total);
            }
            Ok(())
        })
    })
}
