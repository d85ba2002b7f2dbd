//! CUDA kernels for the built-in ops, registered with `#[kernel(op, device = cuda, ...)]` exactly
//! as a user registers theirs, so each signature is checked against the op's schema at compile
//! time. All take f32, f16 and bf16; operands of mixed dtypes are refused with an error that
//! says so (convert them first).
//!
//! Registered: `my_ops::mul3`, `my_ops::mul4`; `ops::` neg, abs, relu, silu, sigmoid, tanh,
//! exp, log, gelu, add/sub/mul/div (`.Tensor` and `.Scalar`), sum, mean, softmax, log_softmax,
//! rms_norm, layer_norm, matmul, linear.

use op_macros::kernel;
use op_runtime::{DType, Error, Meta, Result, Scalar, Tensor, broadcast_shapes};

use super::elementwise::{Binary, Unary, binary, binary_scaled, unary};
use super::reduce::{Reduction, reduce};
use super::rows;
use crate::ops::arithmetic::float_alpha;
use crate::ops::dims::{reduced_dims, wrap_dim};
use crate::ops::norm::check_shapes;
use crate::ops::{
    abs, add_scalar, add_tensor, div_scalar, div_tensor, exp, gelu, layer_norm, linear, log,
    log_softmax, matmul, mean, mul_scalar, mul_tensor, neg, relu, rms_norm, sigmoid, silu, softmax,
    sub_scalar, sub_tensor, sum, tanh,
};
use crate::seed::{mul3, mul4};

/// `my_ops::mul3` on CUDA: `out = 3x`.
#[kernel(mul3, device = cuda, dtypes(f32, f16, bf16))]
pub fn mul3_cuda(x: &Tensor, out: &mut Tensor) -> Result<()> {
    unary(Unary::Scale, x, out, 3.0)
}

/// `my_ops::mul4` on CUDA: `out = 4x`.
#[kernel(mul4, device = cuda, dtypes(f32, f16, bf16))]
pub fn mul4_cuda(x: &Tensor, out: &mut Tensor) -> Result<()> {
    unary(Unary::Scale, x, out, 4.0)
}

macro_rules! unary_kernels {
    ($($op:ident => $fn_name:ident, $kind:expr;)*) => {$(
        #[doc = concat!("`ops::", stringify!($op), "` on CUDA.")]
        #[kernel($op, device = cuda, dtypes(f32, f16, bf16))]
        pub fn $fn_name(self_: &Tensor, out: &mut Tensor) -> Result<()> {
            unary($kind, self_, out, 0.0)
        }
    )*};
}

unary_kernels! {
    neg => neg_cuda, Unary::Neg;
    abs => abs_cuda, Unary::Abs;
    relu => relu_cuda, Unary::Relu;
    silu => silu_cuda, Unary::Silu;
    sigmoid => sigmoid_cuda, Unary::Sigmoid;
    tanh => tanh_cuda, Unary::Tanh;
    exp => exp_cuda, Unary::Exp;
    log => log_cuda, Unary::Log;
}

/// `ops::gelu` on CUDA: exact (`approximate="none"`) or the tanh approximation.
#[kernel(gelu, device = cuda, dtypes(f32, f16, bf16))]
pub fn gelu_cuda(self_: &Tensor, approximate: &str, out: &mut Tensor) -> Result<()> {
    let kind = match approximate {
        "none" => Unary::Gelu,
        "tanh" => Unary::GeluTanh,
        other => {
            return Err(Error::InvalidArgument(format!(
                "ops::gelu: approximate must be \"none\" or \"tanh\", not \"{other}\""
            )));
        }
    };
    unary(kind, self_, out, 0.0)
}

/// `a ± alpha · b` in one pass, rounded once, as on the CPU (`alpha` rounded to f32 first, after
/// the CPU's check that it fits the result dtype).
fn with_alpha(op: Binary, a: &Tensor, b: &Tensor, alpha: Scalar, out: &mut Tensor) -> Result<()> {
    let name = if op == Binary::Add {
        "ops::add.Tensor"
    } else {
        "ops::sub.Tensor"
    };
    let alpha = float_alpha(name, alpha, out.dtype())?;
    binary_scaled(op, a, b, alpha as f32, out)
}

/// `ops::add.Tensor` on CUDA.
#[kernel(add_tensor, device = cuda, dtypes(f32, f16, bf16))]
pub fn add_tensor_cuda(
    self_: &Tensor,
    other: &Tensor,
    alpha: Scalar,
    out: &mut Tensor,
) -> Result<()> {
    with_alpha(Binary::Add, self_, other, alpha, out)
}

/// `ops::sub.Tensor` on CUDA.
#[kernel(sub_tensor, device = cuda, dtypes(f32, f16, bf16))]
pub fn sub_tensor_cuda(
    self_: &Tensor,
    other: &Tensor,
    alpha: Scalar,
    out: &mut Tensor,
) -> Result<()> {
    with_alpha(Binary::Sub, self_, other, alpha, out)
}

/// `ops::mul.Tensor` on CUDA.
#[kernel(mul_tensor, device = cuda, dtypes(f32, f16, bf16))]
pub fn mul_tensor_cuda(self_: &Tensor, other: &Tensor, out: &mut Tensor) -> Result<()> {
    binary(Binary::Mul, self_, other, out)
}

/// `ops::div.Tensor` on CUDA.
#[kernel(div_tensor, device = cuda, dtypes(f32, f16, bf16))]
pub fn div_tensor_cuda(self_: &Tensor, other: &Tensor, out: &mut Tensor) -> Result<()> {
    binary(Binary::Div, self_, other, out)
}

/// `ops::add.Scalar` on CUDA: `x + alpha · other`.
#[kernel(add_scalar, device = cuda, dtypes(f32, f16, bf16))]
pub fn add_scalar_cuda(
    self_: &Tensor,
    other: Scalar,
    alpha: Scalar,
    out: &mut Tensor,
) -> Result<()> {
    let shift = other.to_f64() * float_alpha("ops::add.Scalar", alpha, out.dtype())?;
    unary(Unary::AddScalar, self_, out, shift as f32)
}

/// `ops::sub.Scalar` on CUDA: `x - alpha · other`.
#[kernel(sub_scalar, device = cuda, dtypes(f32, f16, bf16))]
pub fn sub_scalar_cuda(
    self_: &Tensor,
    other: Scalar,
    alpha: Scalar,
    out: &mut Tensor,
) -> Result<()> {
    let shift = -(other.to_f64() * float_alpha("ops::sub.Scalar", alpha, out.dtype())?);
    unary(Unary::AddScalar, self_, out, shift as f32)
}

/// `ops::mul.Scalar` on CUDA.
#[kernel(mul_scalar, device = cuda, dtypes(f32, f16, bf16))]
pub fn mul_scalar_cuda(self_: &Tensor, other: Scalar, out: &mut Tensor) -> Result<()> {
    unary(Unary::Scale, self_, out, other.to_f64() as f32)
}

/// `ops::div.Scalar` on CUDA: an IEEE division by the scalar rounded to f32, as on the CPU.
#[kernel(div_scalar, device = cuda, dtypes(f32, f16, bf16))]
pub fn div_scalar_cuda(self_: &Tensor, other: Scalar, out: &mut Tensor) -> Result<()> {
    unary(Unary::DivScalar, self_, out, other.to_f64() as f32)
}

/// The one dimension a reduction runs over (`None`: all of them), or an error for several. The
/// dims are read as on the CPU (`ops::dims`); the CUDA kernels reduce one dim or all.
fn reduced_dim(
    op: &str,
    x: &Tensor,
    dim: Option<&[i64]>,
    dtype: Option<DType>,
) -> Result<Option<usize>> {
    same_dtype(op, x, dtype)?;
    let reduced = reduced_dims(op, dim, x.dim())?;
    let mut chosen = reduced
        .iter()
        .enumerate()
        .filter(|&(_, &r)| r)
        .map(|(i, _)| i);
    match (chosen.next(), chosen.next()) {
        _ if reduced.iter().all(|&r| r) => Ok(None),
        (Some(d), None) => Ok(Some(d)),
        _ => Err(Error::InvalidArgument(format!(
            "{op} on CUDA reduces over one dimension or all of them, not {dim:?}; reduce one \
             dimension at a time"
        ))),
    }
}

/// The CUDA kernels compute in the input's dtype: a different `dtype=` is refused.
fn same_dtype(op: &str, x: &Tensor, dtype: Option<DType>) -> Result<()> {
    match dtype.filter(|&d| d != x.dtype()) {
        Some(d) => Err(Error::UnsupportedDType {
            dtype: d,
            context: format!("{op} on CUDA with a dtype= other than the input's; convert first"),
        }),
        None => Ok(()),
    }
}

/// `ops::sum.dim_IntList` on CUDA.
#[kernel(sum, device = cuda, dtypes(f32, f16, bf16))]
pub fn sum_cuda(
    self_: &Tensor,
    dim: Option<&[i64]>,
    keepdim: bool,
    dtype: Option<DType>,
    out: &mut Tensor,
) -> Result<()> {
    let _ = keepdim; // the output's shape already says it; the kernel writes the same elements
    let d = reduced_dim("ops::sum", self_, dim, dtype)?;
    reduce(Reduction::Sum, self_, d, out)
}

/// `ops::mean.dim` on CUDA.
#[kernel(mean, device = cuda, dtypes(f32, f16, bf16))]
pub fn mean_cuda(
    self_: &Tensor,
    dim: Option<&[i64]>,
    keepdim: bool,
    dtype: Option<DType>,
    out: &mut Tensor,
) -> Result<()> {
    let _ = keepdim;
    let d = reduced_dim("ops::mean", self_, dim, dtype)?;
    reduce(Reduction::Mean, self_, d, out)
}

fn softmax_dim(op: &str, x: &Tensor, dim: i64, dtype: Option<DType>) -> Result<usize> {
    same_dtype(op, x, dtype)?;
    wrap_dim(dim, x.dim())
}

/// `ops::softmax.int` on CUDA.
#[kernel(softmax, device = cuda, dtypes(f32, f16, bf16))]
pub fn softmax_cuda(
    self_: &Tensor,
    dim: i64,
    dtype: Option<DType>,
    out: &mut Tensor,
) -> Result<()> {
    let d = softmax_dim("ops::softmax", self_, dim, dtype)?;
    rows::softmax(self_, d, false, out)
}

/// `ops::log_softmax.int` on CUDA.
#[kernel(log_softmax, device = cuda, dtypes(f32, f16, bf16))]
pub fn log_softmax_cuda(
    self_: &Tensor,
    dim: i64,
    dtype: Option<DType>,
    out: &mut Tensor,
) -> Result<()> {
    let d = softmax_dim("ops::log_softmax", self_, dim, dtype)?;
    rows::softmax(self_, d, true, out)
}

/// The number of trailing elements `normalized_shape` covers, after the CPU op's checks of the
/// input, `weight` and `bias` against it.
fn normalized_len(
    op: &str,
    x: &Tensor,
    normalized_shape: &[i64],
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
) -> Result<usize> {
    let (w, b) = (weight.map(Meta::from), bias.map(Meta::from));
    check_shapes(
        op,
        x.shape(),
        normalized_shape,
        [("weight", w.as_ref()), ("bias", b.as_ref())],
    )
}

/// `ops::rms_norm` on CUDA (`eps` defaults to f32's machine epsilon, as on the CPU).
#[kernel(rms_norm, device = cuda, dtypes(f32, f16, bf16))]
pub fn rms_norm_cuda(
    input: &Tensor,
    normalized_shape: &[i64],
    weight: Option<&Tensor>,
    eps: Option<f64>,
    out: &mut Tensor,
) -> Result<()> {
    let cols = normalized_len("ops::rms_norm", input, normalized_shape, weight, None)?;
    let eps = eps.unwrap_or(f64::from(f32::EPSILON));
    rows::rms_norm(input, cols, weight, eps, out)
}

/// `ops::layer_norm` on CUDA (`cudnn_enable` is accepted and ignored, as on the CPU).
#[kernel(layer_norm, device = cuda, dtypes(f32, f16, bf16))]
pub fn layer_norm_cuda(
    input: &Tensor,
    normalized_shape: &[i64],
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    eps: f64,
    cudnn_enable: bool,
    out: &mut Tensor,
) -> Result<()> {
    let _ = cudnn_enable;
    let cols = normalized_len("ops::layer_norm", input, normalized_shape, weight, bias)?;
    rows::layer_norm(input, cols, weight, bias, eps, out)
}

/// `ops::matmul` on CUDA through cuBLAS: matrices and batches of matrices whose batch dims
/// broadcast, as PyTorch's. Vectors are viewed as one-row or one-column matrices.
#[kernel(matmul, device = cuda, dtypes(f32, f16, bf16))]
pub fn matmul_cuda(self_: &Tensor, other: &Tensor, out: &mut Tensor) -> Result<()> {
    if self_.dim() == 0 || other.dim() == 0 {
        return Err(Error::ShapeMismatch {
            context: format!(
                "matmul: both arguments need at least 1 dimension, got shapes {:?} and {:?}",
                self_.shape(),
                other.shape()
            ),
        });
    }
    let a = if self_.dim() == 1 {
        self_.unsqueeze(0)?
    } else {
        self_.clone()
    };
    let b = if other.dim() == 1 {
        other.unsqueeze(1)?
    } else {
        other.clone()
    };
    // The output as the matrix product's shape (a view of `out`, same storage): the broadcast
    // batch dims, then m and n. A shape error is left to the launcher, which says more.
    let (ash, bsh) = (a.shape(), b.shape());
    let mut shape = broadcast_shapes(&[
        &ash[..ash.len().saturating_sub(2)],
        &bsh[..bsh.len().saturating_sub(2)],
    ])
    .unwrap_or_default();
    shape.extend([ash[ash.len() - 2], bsh[bsh.len() - 1]]);
    let dims: Vec<isize> = shape.iter().map(|&s| s as isize).collect();
    let mut target = out.view_shape(&dims)?;
    super::matmul::matmul(&a, &b, &mut target)
}

/// `ops::linear` on CUDA: `input @ weightᵀ + bias` (cuBLAS, then a broadcast add); a 1-D weight
/// is a matrix–vector product. The transposed weight is a view, which cuBLAS reads as a
/// transposed operand (no copy).
#[kernel(linear, device = cuda, dtypes(f32, f16, bf16))]
pub fn linear_cuda(
    input: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    out: &mut Tensor,
) -> Result<()> {
    let wt = if weight.dim() == 1 {
        weight.clone()
    } else {
        weight.transpose(-2, -1)?
    };
    let Some(bias) = bias else {
        return matmul_cuda(input, &wt, out);
    };
    // The product goes to a buffer of its own: the add then reads and writes distinct memory
    // (its kernels take restrict pointers).
    let mut product = Tensor::empty(out.shape(), out.dtype(), out.device())?;
    matmul_cuda(input, &wt, &mut product)?;
    binary(Binary::Add, &product, bias, out)
}
