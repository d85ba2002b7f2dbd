//! Elementwise functions of one tensor: `ops::neg`, `abs`, `relu` (floats and integers), `silu`,
//! `gelu` (floats), `sigmoid`, `tanh`, `exp`, `log` (floats; integer and bool inputs give float32,
//! as PyTorch promotes them).
//!
//! Floats compute in f32 lanes (f64 lanes for f64) with the SIMD layer's functions and round once
//! to the element type; f16 and bf16 use the cheaper forms meant for results rounded to a half
//! (`UnaryOp::apply_half`, `Simd::exp_half`), still within 1 ULP (checked for every f16 and bf16
//! input). Error bounds, against the exact result of the input as given:
//!
//! | op | f32 | f64 | f16, bf16 |
//! |---|---|---|---|
//! | neg, abs, relu | exact | exact | exact |
//! | exp, log | ≤ 2 ULP | ≤ 1 ULP (libm) | ≤ 1 ULP |
//! | tanh | ≤ 3 ULP | ≤ 2 ULP (libm) | ≤ 1 ULP |
//! | sigmoid, silu | ≤ 5 ULP; silu below x = -87.3, where `e^x` is subnormal, plus \|x\|·2⁻¹⁵⁰ | ≤ 4 ULP; silu below x = -708 plus \|x\|·2⁻¹⁰⁷⁵ | ≤ 1 ULP |
//! | gelu (`none`: erf) | ≤ 6 ULP for x ≥ 0, ≤ 2e-6 relative for -3 < x < 0, 1e-6 of \|x\| below | ≤ 1e-14 relative, or 1e-15 of \|x\| (`1 + erf` cancels for x < 0) | ≤ 1 ULP, or 1e-6 of \|x\| |
//! | gelu (`tanh`) | ≤ 5 ULP, or 1e-6 of \|x\| | ≤ 4 ULP, or 1e-15 of \|x\| | ≤ 1 ULP, or 1e-6 of \|x\| |
//!
//! NaN propagates everywhere (`relu(NaN) = NaN`, as PyTorch). At infinities the formulas above
//! are evaluated as written in IEEE arithmetic: `exp(-inf) = 0`, `log(0) = -inf`, `log(x < 0) = NaN`,
//! `tanh(±inf) = ±1`, `sigmoid(±inf) = 1 / 0`, `silu(+inf) = +inf` and `silu(-inf) = NaN`
//! (`-inf · 0`), `gelu(+inf) = +inf` and `gelu(-inf) = NaN` (`-inf · 0`).

use op_macros::custom_op;
use op_runtime::{DType, Error, Meta, Result, Tensor};

use super::access::{check_cpu, unary_into, with_float};
use super::integer::{self, with_int};
use crate::simd::UnaryOp;
use crate::simd::ops::{Abs, Exp, GeluErf, GeluTanh, Log, Neg, Relu, Sigmoid, Silu, Tanh};

/// `out = op(x)` for floats, `out = int_op(x)` for integers (when the op has one).
fn run<Op: UnaryOp>(
    name: &str,
    op: &Op,
    int_op: Option<fn(i64) -> i64>,
    x: &Tensor,
    out: &mut Tensor,
) -> Result<()> {
    check_cpu(name, x)?;
    let dtype = x.dtype();
    if dtype.is_floating_point() {
        return with_float!(dtype, name, T => unary_into::<T, _>(name, op, x, out));
    }
    match int_op {
        Some(f) => with_int!(dtype, name, T => integer::unary::<T>(x, out, f)),
        None => Err(Error::UnsupportedDType {
            dtype,
            context: name.to_string(),
        }),
    }
}

/// `out = op(x)` for the functions PyTorch computes in floating point whatever the input
/// (`exp`, `log`, `tanh`, `sigmoid`): integer and bool inputs are converted to float32 (PyTorch's
/// default dtype, which their shape function [`float_result`] gives), exactly where they fit in
/// 24 bits and rounded once otherwise, as PyTorch converts them.
fn run_promoting<Op: UnaryOp>(name: &str, op: &Op, x: &Tensor, out: &mut Tensor) -> Result<()> {
    if x.dtype().is_floating_point() {
        return run(name, op, None, x, out);
    }
    check_cpu(name, x)?;
    let x = x.to_dtype(DType::F32)?;
    unary_into::<f32, _>(name, op, &x, out)
}

/// Shape function of the ops whose integer and bool inputs give float32 (`exp`, `log`, `tanh`,
/// `sigmoid`: PyTorch's "integer to float" promotion); floats keep their dtype.
pub fn float_result(self_: &Meta) -> Result<Meta> {
    if self_.dtype.is_floating_point() {
        Ok(self_.clone())
    } else {
        Ok(self_.clone().with_dtype(DType::F32))
    }
}

/// `-x`. Floats, and integers (wrap-around: `-i32::MIN = i32::MIN`, `-u8` wraps as in PyTorch).
#[custom_op(
    "ops::neg(Tensor self) -> Tensor",
    dtypes(f32, f64, f16, bf16, u8, i8, i16, i32, i64)
)]
pub fn neg(self_: &Tensor, out: &mut Tensor) -> Result<()> {
    run("ops::neg", &Neg, Some(i64::wrapping_neg), self_, out)
}

/// `|x|`. Floats, and integers (`abs(i32::MIN) = i32::MIN`, as PyTorch).
#[custom_op(
    "ops::abs(Tensor self) -> Tensor",
    dtypes(f32, f64, f16, bf16, u8, i8, i16, i32, i64)
)]
pub fn abs(self_: &Tensor, out: &mut Tensor) -> Result<()> {
    run("ops::abs", &Abs, Some(i64::wrapping_abs), self_, out)
}

/// `max(x, 0)`; NaN stays NaN. Floats and integers.
#[custom_op(
    "ops::relu(Tensor self) -> Tensor",
    dtypes(f32, f64, f16, bf16, u8, i8, i16, i32, i64)
)]
pub fn relu(self_: &Tensor, out: &mut Tensor) -> Result<()> {
    run("ops::relu", &Relu, Some(|v: i64| v.max(0)), self_, out)
}

/// `x * sigmoid(x)` (SiLU, swish). Floats; bounds in the [module docs](self).
#[custom_op("ops::silu(Tensor self) -> Tensor", dtypes(f32, f64, f16, bf16))]
pub fn silu(self_: &Tensor, out: &mut Tensor) -> Result<()> {
    run("ops::silu", &Silu, None, self_, out)
}

/// `1 / (1 + e^-x)`. Floats; integers and bools give float32, as in PyTorch.
///
/// Results that are subnormal (x below about -87.3 in f32 lanes, -708 in f64) come out as
/// subnormals, rounded once, where PyTorch's vectorised CPU kernel returns 0. `silu` likewise.
#[custom_op(
    "ops::sigmoid(Tensor self) -> Tensor",
    dtypes(f32, f64, f16, bf16, u8, i8, i16, i32, i64, bool),
    shape = float_result
)]
pub fn sigmoid(self_: &Tensor, out: &mut Tensor) -> Result<()> {
    run_promoting("ops::sigmoid", &Sigmoid, self_, out)
}

/// `tanh(x)`. Floats; integers and bools give float32, as in PyTorch.
#[custom_op(
    "ops::tanh(Tensor self) -> Tensor",
    dtypes(f32, f64, f16, bf16, u8, i8, i16, i32, i64, bool),
    shape = float_result
)]
pub fn tanh(self_: &Tensor, out: &mut Tensor) -> Result<()> {
    run_promoting("ops::tanh", &Tanh, self_, out)
}

/// `e^x`. Floats; integers and bools give float32, as in PyTorch.
#[custom_op(
    "ops::exp(Tensor self) -> Tensor",
    dtypes(f32, f64, f16, bf16, u8, i8, i16, i32, i64, bool),
    shape = float_result
)]
pub fn exp(self_: &Tensor, out: &mut Tensor) -> Result<()> {
    run_promoting("ops::exp", &Exp, self_, out)
}

/// `ln(x)`. Floats; integers and bools give float32, as in PyTorch.
#[custom_op(
    "ops::log(Tensor self) -> Tensor",
    dtypes(f32, f64, f16, bf16, u8, i8, i16, i32, i64, bool),
    shape = float_result
)]
pub fn log(self_: &Tensor, out: &mut Tensor) -> Result<()> {
    run_promoting("ops::log", &Log, self_, out)
}

/// GELU: `approximate="none"` is `x/2 · (1 + erf(x/√2))`, `approximate="tanh"` is
/// `x/2 · (1 + tanh(√(2/π) (x + 0.044715 x³)))`; anything else is an
/// [`Error::InvalidArgument`]. Floats; bounds in the [module docs](self).
///
/// ```
/// use op_kernels::ops::gelu;
/// use op_runtime::Tensor;
/// let x = Tensor::from_vec(vec![0.0f32, 1.0], &[2]).unwrap();
/// let y = gelu::call(&x, "tanh").unwrap().to_vec::<f32>().unwrap();
/// assert!((y[1] - 0.841_192).abs() < 1e-6);
/// assert!(gelu::call(&x, "fast").is_err());
/// ```
#[custom_op(
    "ops::gelu(Tensor self, *, str approximate=\"none\") -> Tensor",
    dtypes(f32, f64, f16, bf16),
    shape = gelu_shape
)]
pub fn gelu(self_: &Tensor, approximate: &str, out: &mut Tensor) -> Result<()> {
    match approximate {
        "none" => run("ops::gelu", &GeluErf, None, self_, out),
        "tanh" => run("ops::gelu", &GeluTanh, None, self_, out),
        other => Err(bad_approximate(other)),
    }
}

fn bad_approximate(other: &str) -> Error {
    Error::InvalidArgument(format!(
        "ops::gelu: approximate must be \"none\" or \"tanh\", got {other:?}"
    ))
}

/// Shape function of [`gelu`](fn@gelu): the input's shape and dtype (and the `approximate` check,
/// so that a bad value fails before anything is allocated).
pub fn gelu_shape(self_: &op_runtime::Meta, approximate: &str) -> Result<op_runtime::Meta> {
    match approximate {
        "none" | "tanh" => Ok(self_.clone()),
        other => Err(bad_approximate(other)),
    }
}
