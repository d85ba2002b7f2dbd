//! `ops::rms_norm` and `ops::layer_norm`, PyTorch's schemas and semantics: normalise over the
//! trailing `normalized_shape` dims, then scale by `weight` (and shift by `bias`).
//!
//! Each row (the trailing dims, flattened) is normalised by the SIMD layer's row kernels: statistics
//! in f32 lanes (f64 for f64), the output written once. Error bounds, relative to the result's
//! magnitude: ≤ 4 ULP of the lane type plus the error of the row statistic (the sum of squares, or
//! the mean and the variance: `(n / (4·L) + 8) · ε` relative, see [`super::reduce`]), then rounded
//! once to the element type (f16/bf16: within 1 ULP of their type). NaN or inf in a row makes the
//! whole row NaN (PyTorch: the statistic is NaN or inf).
//!
//! Two places where PyTorch 2.15 loses precision and these kernels do not: layer_norm's statistics
//! are taken relative to the row's first element and its mean is subtracted as two lane values,
//! so an offset costs nothing (f32 rows at 10⁴ ± 1: within 1e-6 of the exact outputs, against
//! 1.7e-3 for PyTorch); and a row whose squares overflow the f32 lanes (f32 or half data beyond
//! about 10¹⁹) is measured again in f64, so both norms return the right values where PyTorch
//! returns NaN (layer_norm) or 0 (rms_norm). `1 / sqrt(statistic + eps)` is computed in f64.

use op_macros::custom_op;
use op_runtime::{DType, Error, Meta, Result, Tensor};

use super::access::{Float, as_dtype, check_cpu, simd_error, with_contiguous_out, with_float};
use super::dims::{contiguous, size_product};
use crate::simd::{SimdError, rows};

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

/// Which parameter dtypes an op takes besides the input's own.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ParamDTypes {
    /// PyTorch's layer_norm on the CPU: the input's dtype, or float32 for every parameter given
    /// with a float16/bfloat16 input (mixed precision).
    InputOrF32ForHalves,
    /// PyTorch's rms_norm: any floating dtype.
    AnyFloat,
}

/// The input's shape and dtype, after PyTorch's checks of the parameters' shapes, devices and
/// dtypes.
fn norm_shape(
    op: &str,
    input: &Meta,
    normalized_shape: &[i64],
    params: [(&str, Option<&Meta>); 2],
    dtypes: ParamDTypes,
) -> Result<Meta> {
    if !input.dtype.is_floating_point() {
        return Err(Error::UnsupportedDType {
            dtype: input.dtype,
            context: op.to_string(),
        });
    }
    let half_input = matches!(input.dtype, DType::F16 | DType::BF16);
    let given: Vec<(&str, &Meta)> = params
        .iter()
        .filter_map(|&(name, p)| Some((name, p?)))
        .collect();
    // Mixed precision is all or nothing: with one f32 parameter, the others must be f32 too.
    let mixed = given.iter().any(|(_, p)| p.dtype != input.dtype);
    for &(name, p) in &given {
        let accepted = match dtypes {
            ParamDTypes::AnyFloat => p.dtype.is_floating_point(),
            ParamDTypes::InputOrF32ForHalves if mixed => half_input && p.dtype == DType::F32,
            ParamDTypes::InputOrF32ForHalves => true,
        };
        if !accepted {
            let rule = match dtypes {
                ParamDTypes::AnyFloat => "a floating-point dtype".to_string(),
                ParamDTypes::InputOrF32ForHalves => format!(
                    "the input's dtype ({}), or float32 for every parameter with a float16 or \
                     bfloat16 input (mixed precision)",
                    input.dtype
                ),
            };
            return Err(Error::UnsupportedDType {
                dtype: p.dtype,
                context: format!(
                    "{op}'s {name} with a {} input: parameters need {rule}; convert with to_dtype",
                    input.dtype
                ),
            });
        }
        if p.device != input.device {
            return Err(Error::DeviceMismatch {
                expected: input.device,
                found: p.device,
            });
        }
    }
    check_shapes(op, &input.shape, normalized_shape, params)?;
    Ok(input.clone())
}

/// Runs a row kernel on the contiguous input and parameters, with the parameters read as `T`
/// when they all have the input's dtype and as its lane type (f32, or f64 for f64) otherwise,
/// converted exactly (a float16 weight of a bfloat16 input) or rounded once (only an f64
/// parameter of a narrower input).
fn run_norm(
    op: &str,
    input: &Tensor,
    params: [Option<&Tensor>; 2],
    out: &mut Tensor,
    kernel: impl NormKernel,
) -> Result<()> {
    let x = contiguous(input)?;
    let mixed = params.iter().flatten().any(|p| p.dtype() != input.dtype());
    with_float!(input.dtype(), op, T => {
        if mixed {
            run_norm_as::<T, <T as crate::simd::Element>::Lane>(op, &x, params, out, kernel)
        } else {
            run_norm_as::<T, T>(op, &x, params, out, kernel)
        }
    })
}

/// [`run_norm`] with the parameters converted to `P`.
fn run_norm_as<T: Float, P: Float + crate::simd::Element<Lane = T::Lane>>(
    op: &str,
    x: &Tensor,
    params: [Option<&Tensor>; 2],
    out: &mut Tensor,
    kernel: impl NormKernel,
) -> Result<()> {
    let as_p = |p: &Tensor| contiguous(&as_dtype(p, <P as op_runtime::Element>::DTYPE)?);
    let [w, b] = params.map(|p| p.map(as_p).transpose());
    let (w, b) = (w?, b?);
    let xs = x.as_slice::<T>()?;
    let ws = w.as_ref().map(|w| w.as_slice::<P>()).transpose()?;
    let bs = b.as_ref().map(|b| b.as_slice::<P>()).transpose()?;
    with_contiguous_out::<T>(out, |o| {
        kernel
            .run(&xs, ws.as_deref(), bs.as_deref(), o)
            .map_err(|e| simd_error(op, e))
    })
}

/// A row kernel of the SIMD layer, called with the rows, the optional weight and bias, and the
/// output (generic over both element types, so not a closure).
trait NormKernel: Copy {
    fn run<T: Float, P: Float + crate::simd::Element<Lane = T::Lane>>(
        self,
        x: &[T],
        weight: Option<&[P]>,
        bias: Option<&[P]>,
        out: &mut [T],
    ) -> std::result::Result<(), SimdError>;
}

/// [`rows::rms_norm_mixed`] over rows of `cols`.
#[derive(Clone, Copy)]
struct RmsNormRows {
    cols: usize,
    eps: Option<f64>,
}

impl NormKernel for RmsNormRows {
    fn run<T: Float, P: Float + crate::simd::Element<Lane = T::Lane>>(
        self,
        x: &[T],
        weight: Option<&[P]>,
        _bias: Option<&[P]>,
        out: &mut [T],
    ) -> std::result::Result<(), SimdError> {
        rows::rms_norm_mixed(x, self.cols, weight, self.eps, out)
    }
}

/// [`rows::layer_norm_mixed`] over rows of `cols`.
#[derive(Clone, Copy)]
struct LayerNormRows {
    cols: usize,
    eps: f64,
}

impl NormKernel for LayerNormRows {
    fn run<T: Float, P: Float + crate::simd::Element<Lane = T::Lane>>(
        self,
        x: &[T],
        weight: Option<&[P]>,
        bias: Option<&[P]>,
        out: &mut [T],
    ) -> std::result::Result<(), SimdError> {
        rows::layer_norm_mixed(x, self.cols, weight, bias, self.eps, out)
    }
}

/// `x / sqrt(mean(x²) + eps) * weight` over the trailing `normalized_shape` dims.
///
/// `eps` defaults to the machine epsilon of the compute type (f32's for f32, f16 and bf16; f64's for
/// f64), as PyTorch. dtypes: f32, f64, f16, bf16. `weight` has the shape `normalized_shape` and
/// any floating dtype, as in PyTorch; the result has the input's dtype. A weight of another dtype
/// is read in the compute type (f32, or f64 for an f64 input): exactly, except an f64 weight of a
/// narrower input, which is rounded to f32 first. Error bounds in the [module docs](self).
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
    run_norm(OP, input, [weight, None], out, RmsNormRows { cols, eps })
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
        ParamDTypes::AnyFloat,
    )
}

/// `(x - mean) / sqrt(var + eps) * weight + bias` over the trailing `normalized_shape` dims, with the
/// biased variance (PyTorch). `cudnn_enable` is accepted for schema compatibility and ignored.
///
/// dtypes: f32, f64, f16, bf16. `weight` and `bias` have the shape `normalized_shape` and the
/// input's dtype, or (PyTorch's mixed precision on the CPU) are both float32 with a float16 or
/// bfloat16 input; the result has the input's dtype. Error bounds in the [module docs](self).
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
    run_norm(OP, input, [weight, bias], out, LayerNormRows { cols, eps })
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
        ParamDTypes::InputOrF32ForHalves,
    )
}
