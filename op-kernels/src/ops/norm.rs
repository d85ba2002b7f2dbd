//! `ops::rms_norm` and `ops::layer_norm`, PyTorch's schemas and semantics: normalise over the
//! trailing `normalized_shape` dims, then scale by `weight` (and shift by `bias`).
//!
//! Each row (the trailing dims, flattened) is normalised by the SIMD layer's row kernels: statistics
//! in f32 lanes (f64 for f64), the output written once. Error bounds, relative to the result's
//! magnitude: ≤ 4 ULP of the lane type plus the error of the row statistic (the sum of squares, or
//! the mean and the variance: `(n / (4·L) + 8) · ε` relative, see [`super::reduce`]), then rounded
//! once to the element type (f16/bf16: within 1 ULP of their type). NaN or inf in a row makes the
//! whole row NaN (PyTorch: the statistic is NaN or inf).

use op_macros::custom_op;
use op_runtime::{Error, Meta, Result, Tensor};

use super::access::{check_cpu, simd_error, with_contiguous_out, with_float};
use super::dims::{contiguous, size_product};
use crate::simd::rows;

/// PyTorch's checks of `normalized_shape`, `weight` and `bias` against the input; returns the
/// normalised row length.
pub(crate) fn check_shapes(
    op: &str,
    input: &[usize],
    normalized_shape: &[i64],
    params: [(&str, Option<&Meta>); 2],
) -> Result<usize> {
    if normalized_shape.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "{op}: expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but got normalized_shape = []"
        )));
    }
    let norm: Vec<usize> = normalized_shape
        .iter()
        .map(|&n| {
            usize::try_from(n).map_err(|_| {
                Error::InvalidArgument(format!(
                    "{op}: normalized_shape has a negative size: {normalized_shape:?}"
                ))
            })
        })
        .collect::<Result<_>>()?;
    for (name, p) in params {
        if let Some(p) = p
            && p.shape != norm
        {
            return Err(Error::ShapeMismatch {
                context: format!(
                    "{op}: expected {name} to be of same shape as normalized_shape, but got {name} of shape {:?} and normalized_shape = {norm:?}",
                    p.shape
                ),
            });
        }
    }
    if input.len() < norm.len() || input[input.len() - norm.len()..] != norm[..] {
        let tail = norm
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        return Err(Error::ShapeMismatch {
            context: format!(
                "{op}: given normalized_shape={norm:?}, expected input with shape [*, {tail}], but got input of size {input:?}"
            ),
        });
    }
    Ok(size_product(&norm))
}

/// The input's shape and dtype; parameters must share the input's dtype and device.
fn norm_shape(
    op: &str,
    input: &Meta,
    normalized_shape: &[i64],
    params: [(&str, Option<&Meta>); 2],
) -> Result<Meta> {
    if !input.dtype.is_floating_point() {
        return Err(Error::UnsupportedDType {
            dtype: input.dtype,
            context: op.to_string(),
        });
    }
    for (_, p) in params {
        if let Some(p) = p {
            if p.dtype != input.dtype {
                return Err(Error::DTypeMismatch {
                    expected: input.dtype,
                    found: p.dtype,
                });
            }
            if p.device != input.device {
                return Err(Error::DeviceMismatch {
                    expected: input.device,
                    found: p.device,
                });
            }
        }
    }
    check_shapes(op, &input.shape, normalized_shape, params)?;
    Ok(input.clone())
}

/// `x / sqrt(mean(x²) + eps) * weight` over the trailing `normalized_shape` dims.
///
/// `eps` defaults to the machine epsilon of the compute type (f32's for f32, f16 and bf16; f64's for
/// f64), as PyTorch. dtypes: f32, f64, f16, bf16; `weight` must have the input's dtype and the shape
/// `normalized_shape`. Error bounds in the [module docs](self).
///
/// ```
/// use op_kernels::ops::rms_norm;
/// use op_runtime::Tensor;
/// let x = Tensor::from_vec(vec![3.0f32, 4.0], &[1, 2]).unwrap();
/// let y = rms_norm::call(&x, &[2], None, Some(0.0)).unwrap().to_vec::<f32>().unwrap();
/// let rms = (12.5f32).sqrt();
/// assert!((y[0] - 3.0 / rms).abs() < 1e-6 && (y[1] - 4.0 / rms).abs() < 1e-6);
/// ```
#[custom_op(
    "ops::rms_norm(Tensor input, SymInt[] normalized_shape, Tensor? weight=None, float? eps=None) -> Tensor",
    dtypes(f32, f64, f16, bf16),
    shape = rms_norm_shape
)]
pub fn rms_norm(
    input: &Tensor,
    normalized_shape: &[i64],
    weight: Option<&Tensor>,
    eps: Option<f64>,
    out: &mut Tensor,
) -> Result<()> {
    const OP: &str = "ops::rms_norm";
    check_cpu(OP, input)?;
    let wm = weight.map(Meta::from);
    let cols = check_shapes(
        OP,
        input.shape(),
        normalized_shape,
        [("weight", wm.as_ref()), ("bias", None)],
    )?;
    if input.numel() == 0 {
        // Nothing to write (and `cols` may have saturated: see size_product).
        return Ok(());
    }
    let x = contiguous(input)?;
    let w = weight.map(contiguous).transpose()?;
    with_float!(input.dtype(), OP, T => {
        let xs = x.as_slice::<T>()?;
        let ws = w.as_ref().map(|w| w.as_slice::<T>()).transpose()?;
        with_contiguous_out::<T>(out, |o| {
            rows::rms_norm(&xs, cols, ws.as_deref(), eps, o).map_err(|e| simd_error(OP, e))
        })
    })
}

/// Shape function of [`rms_norm`](fn@rms_norm): the input's shape and dtype, after PyTorch's checks.
pub fn rms_norm_shape(
    input: &Meta,
    normalized_shape: &[i64],
    weight: Option<&Meta>,
    eps: Option<f64>,
) -> Result<Meta> {
    let _ = eps;
    norm_shape(
        "ops::rms_norm",
        input,
        normalized_shape,
        [("weight", weight), ("bias", None)],
    )
}

/// `(x - mean) / sqrt(var + eps) * weight + bias` over the trailing `normalized_shape` dims, with the
/// biased variance (PyTorch). `cudnn_enable` is accepted for schema compatibility and ignored.
///
/// dtypes: f32, f64, f16, bf16; `weight` and `bias` must have the input's dtype and the shape
/// `normalized_shape`. Error bounds in the [module docs](self).
#[custom_op(
    "ops::layer_norm(Tensor input, SymInt[] normalized_shape, Tensor? weight=None, Tensor? bias=None, float eps=1e-05, bool cudnn_enable=True) -> Tensor",
    dtypes(f32, f64, f16, bf16),
    shape = layer_norm_shape
)]
pub fn layer_norm(
    input: &Tensor,
    normalized_shape: &[i64],
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    eps: f64,
    cudnn_enable: bool,
    out: &mut Tensor,
) -> Result<()> {
    const OP: &str = "ops::layer_norm";
    let _ = cudnn_enable; // a CUDA-era switch in PyTorch's schema; nothing to choose here
    check_cpu(OP, input)?;
    let (wm, bm) = (weight.map(Meta::from), bias.map(Meta::from));
    let cols = check_shapes(
        OP,
        input.shape(),
        normalized_shape,
        [("weight", wm.as_ref()), ("bias", bm.as_ref())],
    )?;
    if input.numel() == 0 {
        // Nothing to write (and `cols` may have saturated: see size_product).
        return Ok(());
    }
    let x = contiguous(input)?;
    let w = weight.map(contiguous).transpose()?;
    let b = bias.map(contiguous).transpose()?;
    with_float!(input.dtype(), OP, T => {
        let xs = x.as_slice::<T>()?;
        let ws = w.as_ref().map(|w| w.as_slice::<T>()).transpose()?;
        let bs = b.as_ref().map(|b| b.as_slice::<T>()).transpose()?;
        with_contiguous_out::<T>(out, |o| {
            rows::layer_norm(&xs, cols, ws.as_deref(), bs.as_deref(), eps, o)
                .map_err(|e| simd_error(OP, e))
        })
    })
}

/// Shape function of [`layer_norm`](fn@layer_norm).
pub fn layer_norm_shape(
    input: &Meta,
    normalized_shape: &[i64],
    weight: Option<&Meta>,
    bias: Option<&Meta>,
    eps: f64,
    cudnn_enable: bool,
) -> Result<Meta> {
    let _ = (eps, cudnn_enable);
    norm_shape(
        "ops::layer_norm",
        input,
        normalized_shape,
        [("weight", weight), ("bias", bias)],
    )
}
