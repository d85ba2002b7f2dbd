//! `ops::add`, `ops::sub`, `ops::mul`, `ops::div`, each with a `Tensor` and a `Scalar` overload, as
//! in PyTorch: broadcasting, and PyTorch's type promotion ([`DType::result_type`] between tensors,
//! where a 0-d tensor only raises the category; a scalar likewise, see `scalar_result_dtype`).
//!
//! Floats compute in f32 lanes (f64 for f64) and round once to the result dtype, so results are
//! correctly rounded — exact to ½ ULP of the result dtype — except `alpha ≠ 1`, which is one fused
//! multiply-add (also ½ ULP) where PyTorch rounds the same way. Operands of another dtype are
//! converted to the result dtype first, except a 0-d one, which is used at the precision of the
//! computation (f32 for f16/bf16 results), as PyTorch's CPU kernels use it: `f16[x] · f32[](c)`
//! is `x · c` rounded once. A float `alpha` must fit the result dtype (PyTorch's overflow check).
//! Integers wrap around on overflow. Bools add and multiply as PyTorch's do (logical or / and);
//! integer and bool division gives float32.
//! NaN and ±inf follow IEEE (`inf - inf = NaN`, `x / 0 = ±inf`, `0 / 0 = NaN`).

use op_macros::custom_op;
use op_runtime::{DType, Error, Meta, Result, Scalar, Tensor};

use super::access::{as_dtype, binary_into, binary_scalar_into, check_cpu, with_float};
use super::integer::{self, scalar_result_dtype, with_int};
use crate::simd::ops::{Add, Div, Mul, Sub};
use crate::simd::{BinaryOp, Simd};

/// `a + alpha * b` with one rounding (PyTorch's `add` with `alpha`).
#[derive(Clone, Copy, Debug)]
struct AddScaled {
    alpha: f64,
}

impl BinaryOp for AddScaled {
    #[inline(always)]
    fn apply<S: Simd>(&self, s: S, a: S::V, b: S::V) -> S::V {
        s.mul_add(s.constant(self.alpha), b, a)
    }
}

/// Which arithmetic op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Add,
    Sub,
    Mul,
    Div,
}

impl Kind {
    fn name(self, scalar: bool) -> &'static str {
        match (self, scalar) {
            (Kind::Add, false) => "ops::add.Tensor",
            (Kind::Add, true) => "ops::add.Scalar",
            (Kind::Sub, false) => "ops::sub.Tensor",
            (Kind::Sub, true) => "ops::sub.Scalar",
            (Kind::Mul, false) => "ops::mul.Tensor",
            (Kind::Mul, true) => "ops::mul.Scalar",
            (Kind::Div, false) => "ops::div.Tensor",
            (Kind::Div, true) => "ops::div.Scalar",
        }
    }
}

/// The result of a tensor–tensor op: broadcast shape, promoted dtype, as PyTorch: `div` of
/// integers or bools gives float32 (true division); `add` and `mul` of bools give bool (logical
/// or / and); `sub` refuses bools.
fn promoted(kind: Kind, a: &Meta, b: &Meta) -> Result<Meta> {
    let op = kind.name(false);
    if a.device != b.device {
        return Err(Error::DeviceMismatch {
            expected: a.device,
            found: b.device,
        });
    }
    no_bool_sub(kind, false, a.dtype, b.dtype)?;
    let mut dtype = DType::result_type(a.dtype, a.shape.len(), b.dtype, b.shape.len());
    if kind == Kind::Div && !dtype.is_floating_point() {
        dtype = DType::F32;
    }
    let shape = op_runtime::broadcast_shapes(&[&a.shape, &b.shape]).map_err(|e| match e {
        Error::ShapeMismatch { context } => Error::ShapeMismatch {
            context: format!("{op}: {context}"),
        },
        other => other,
    })?;
    Ok(Meta::new(&shape, dtype, a.device))
}

/// PyTorch refuses subtraction with a bool operand (tensor or scalar): `a - b` on masks is
/// almost always a mistake for `a ^ b` or `!a`.
fn no_bool_sub(kind: Kind, scalar: bool, a: DType, b: DType) -> Result<()> {
    if kind == Kind::Sub && (a == DType::Bool || b == DType::Bool) {
        return Err(Error::UnsupportedDType {
            dtype: DType::Bool,
            context: format!(
                "{} (a bool operand: as in PyTorch, subtraction refuses bools; convert the \
                 operand with to_dtype first)",
                kind.name(scalar)
            ),
        });
    }
    Ok(())
}

/// The result of a tensor–scalar op: the tensor's shape, [`scalar_result_dtype`].
fn with_scalar(kind: Kind, x: &Meta, other: Scalar) -> Result<Meta> {
    no_bool_sub(kind, true, x.dtype, other.dtype())?;
    let mut dtype = scalar_result_dtype(x.dtype, other);
    if kind == Kind::Div && !dtype.is_floating_point() {
        dtype = DType::F32;
    }
    Ok(x.clone().with_dtype(dtype))
}

/// An integer `alpha` for an integer result of dtype `dtype`, as PyTorch checks it: not a float,
/// and within the dtype's range (`alpha=256` for uint8 is refused, not wrapped to 0; uint8 also
/// takes -255..=-1, which wraps as two's complement, as in PyTorch).
fn int_alpha(op: &str, alpha: Scalar, dtype: DType) -> Result<i64> {
    if alpha.is_floating_point() {
        return Err(Error::InvalidArgument(format!(
            "{op}: for integral input tensors, argument alpha must not be a floating point number (got {alpha})"
        )));
    }
    let value = alpha.to_i64()?;
    let (lo, hi) = match dtype {
        DType::U8 => (-i64::from(u8::MAX), i64::from(u8::MAX)),
        DType::I8 => (i64::from(i8::MIN), i64::from(i8::MAX)),
        DType::I16 => (i64::from(i16::MIN), i64::from(i16::MAX)),
        DType::I32 => (i64::from(i32::MIN), i64::from(i32::MAX)),
        _ => (i64::MIN, i64::MAX),
    };
    if !(lo..=hi).contains(&value) {
        return Err(Error::InvalidArgument(format!(
            "{op}: alpha={value} cannot be converted to {dtype} without overflow (its range is {lo}..={hi})"
        )));
    }
    Ok(value)
}

/// A float result's `alpha`, as PyTorch checks it: a finite value beyond the dtype's range is
/// refused (float16 `alpha=1e6` would otherwise turn every sum into ±inf); ±inf and NaN pass.
pub(crate) fn float_alpha(op: &str, alpha: Scalar, dtype: DType) -> Result<f64> {
    let value = alpha.to_f64();
    let max = match dtype {
        DType::F16 => f64::from(half::f16::MAX),
        DType::BF16 => f64::from(half::bf16::MAX),
        DType::F32 => f64::from(f32::MAX),
        _ => f64::MAX,
    };
    if value.is_finite() && value.abs() > max {
        return Err(Error::InvalidArgument(format!(
            "{op}: alpha={value} cannot be converted to {dtype} without overflow (its largest finite value is {max})"
        )));
    }
    Ok(value)
}

/// The value of a 0-d operand whose dtype is not the float result's. PyTorch computes with it in
/// the computation type (f32 for float16/bfloat16 results) rather than rounding it to the result
/// dtype first: `f16[x] * f32[](70000.0)` is `x · 70000` rounded once, not `x · inf`. It becomes
/// a constant operand, rounded to the lanes where it is used.
fn zero_dim_value(t: &Tensor, dtype: DType) -> Result<Option<f64>> {
    if t.dim() == 0 && t.dtype() != dtype {
        // Converted to the lane type once (an int64 beyond 2^53 would round twice through f64),
        // then held exactly in an f64.
        let lanes = if dtype == DType::F64 {
            DType::F64
        } else {
            DType::F32
        };
        return Ok(Some(as_dtype(t, lanes)?.to_vec_f64()?[0]));
    }
    Ok(None)
}

/// `op(c, x)` for a constant first operand `c`: [`binary_scalar_into`] computes `op(x, c)`.
#[derive(Clone, Copy, Debug)]
struct Reversed<Op>(Op);

impl<Op: BinaryOp> BinaryOp for Reversed<Op> {
    #[inline(always)]
    fn apply<S: Simd>(&self, s: S, x: S::V, c: S::V) -> S::V {
        self.0.apply(s, c, x)
    }
}

/// PyTorch accepts a bool `alpha` only for bool results.
fn no_bool_alpha(op: &str, alpha: Scalar, dtype: DType) -> Result<()> {
    if matches!(alpha, Scalar::Bool(_)) && dtype != DType::Bool {
        return Err(Error::InvalidArgument(format!(
            "{op}: a boolean alpha is only supported for boolean results; pass alpha as a number"
        )));
    }
    Ok(())
}

/// A bool result's `alpha`, as PyTorch takes it: any bool or integer, used as a bool (`a + 2·b` of
/// bools is `a || b`); a float is refused as for integer results.
fn bool_alpha(op: &str, alpha: Scalar) -> Result<i64> {
    if alpha.is_floating_point() {
        return Err(Error::InvalidArgument(format!(
            "{op}: for boolean input tensors, argument alpha must not be a floating point number (got {alpha}); pass a bool or an integer"
        )));
    }
    Ok(i64::from(alpha.to_i64()? != 0))
}

/// `out = a ∘ b` for a bool result: add is a logical or (of `a` and `alpha && b`), mul a logical
/// and, computed on 0/1 and read back as `!= 0`.
fn bool_tensor_tensor(
    kind: Kind,
    a: &Tensor,
    b: &Tensor,
    alpha: Scalar,
    out: &mut Tensor,
) -> Result<()> {
    let op = kind.name(false);
    let (a, b) = (as_dtype(a, DType::Bool)?, as_dtype(b, DType::Bool)?);
    match kind {
        Kind::Add => {
            let alpha = bool_alpha(op, alpha)?;
            integer::binary::<bool>(op, &a, &b, out, |x, y| x + alpha * y)
        }
        Kind::Mul => integer::binary::<bool>(op, &a, &b, out, |x, y| x * y),
        Kind::Sub | Kind::Div => Err(Error::UnsupportedDType {
            dtype: DType::Bool,
            context: op.to_string(),
        }),
    }
}

/// `out = a ∘ b` (∘ with `alpha` for add and sub) into `out`, whose dtype is the promoted one.
fn tensor_tensor(
    kind: Kind,
    a: &Tensor,
    b: &Tensor,
    alpha: Scalar,
    out: &mut Tensor,
) -> Result<()> {
    let op = kind.name(false);
    check_cpu(op, a)?;
    check_cpu(op, b)?;
    no_bool_sub(kind, false, a.dtype(), b.dtype())?;
    let dtype = out.dtype();
    no_bool_alpha(op, alpha, dtype)?;
    if dtype == DType::Bool {
        return bool_tensor_tensor(kind, a, b, alpha, out);
    }
    if dtype.is_floating_point() {
        let alpha = match kind {
            Kind::Add => float_alpha(op, alpha, dtype)?,
            Kind::Sub => -float_alpha(op, alpha, dtype)?,
            Kind::Mul | Kind::Div => 1.0,
        };
        if let Some(c) = zero_dim_value(b, dtype)? {
            let a = as_dtype(a, dtype)?;
            return with_float!(dtype, op, T => match kind {
                Kind::Add | Kind::Sub => binary_scalar_into::<T, _>(op, &AddScaled { alpha }, &a, c, out),
                Kind::Mul => binary_scalar_into::<T, _>(op, &Mul, &a, c, out),
                Kind::Div => binary_scalar_into::<T, _>(op, &Div, &a, c, out),
            });
        }
        if let Some(c) = zero_dim_value(a, dtype)? {
            let b = as_dtype(b, dtype)?;
            return with_float!(dtype, op, T => match kind {
                Kind::Add | Kind::Sub => {
                    binary_scalar_into::<T, _>(op, &Reversed(AddScaled { alpha }), &b, c, out)
                }
                Kind::Mul => binary_scalar_into::<T, _>(op, &Reversed(Mul), &b, c, out),
                Kind::Div => binary_scalar_into::<T, _>(op, &Reversed(Div), &b, c, out),
            });
        }
        let (a, b) = (as_dtype(a, dtype)?, as_dtype(b, dtype)?);
        return with_float!(dtype, op, T => match kind {
            Kind::Add if alpha == 1.0 => binary_into::<T, _>(op, &Add, &a, &b, out),
            Kind::Sub if alpha == -1.0 => binary_into::<T, _>(op, &Sub, &a, &b, out),
            Kind::Add | Kind::Sub => binary_into::<T, _>(op, &AddScaled { alpha }, &a, &b, out),
            Kind::Mul => binary_into::<T, _>(op, &Mul, &a, &b, out),
            Kind::Div => binary_into::<T, _>(op, &Div, &a, &b, out),
        });
    }
    let (a, b) = (as_dtype(a, dtype)?, as_dtype(b, dtype)?);
    let alpha = match kind {
        Kind::Add => int_alpha(op, alpha, dtype)?,
        Kind::Sub => int_alpha(op, alpha, dtype)?.wrapping_neg(),
        _ => 1,
    };
    with_int!(dtype, op, T => match kind {
        Kind::Add | Kind::Sub => {
            integer::binary::<T>(op, &a, &b, out, |x, y| x.wrapping_add(alpha.wrapping_mul(y)))
        }
        Kind::Mul => integer::binary::<T>(op, &a, &b, out, i64::wrapping_mul),
        Kind::Div => Err(Error::UnsupportedDType { dtype, context: op.to_string() }),
    })
}

/// `out = x ∘ c` into `out`, whose dtype is [`with_scalar`]'s.
fn tensor_scalar(
    kind: Kind,
    x: &Tensor,
    other: Scalar,
    alpha: Scalar,
    out: &mut Tensor,
) -> Result<()> {
    let op = kind.name(true);
    check_cpu(op, x)?;
    no_bool_sub(kind, true, x.dtype(), other.dtype())?;
    let dtype = out.dtype();
    no_bool_alpha(op, alpha, dtype)?;
    let x = as_dtype(x, dtype)?;
    if dtype == DType::Bool {
        // Only a bool scalar keeps a bool tensor's dtype (an int gives int64).
        let c = other.to_i64()?;
        return match kind {
            Kind::Add => {
                let c = c * bool_alpha(op, alpha)?;
                integer::unary::<bool>(&x, out, |v| v + c)
            }
            Kind::Mul => integer::unary::<bool>(&x, out, |v| v * c),
            Kind::Sub | Kind::Div => Err(Error::UnsupportedDType {
                dtype,
                context: op.to_string(),
            }),
        };
    }
    if dtype.is_floating_point() {
        let c = match kind {
            Kind::Add | Kind::Sub => other.to_f64() * float_alpha(op, alpha, dtype)?,
            Kind::Mul | Kind::Div => other.to_f64(),
        };
        return with_float!(dtype, op, T => match kind {
            Kind::Add => binary_scalar_into::<T, _>(op, &Add, &x, c, out),
            Kind::Sub => binary_scalar_into::<T, _>(op, &Sub, &x, c, out),
            Kind::Mul => binary_scalar_into::<T, _>(op, &Mul, &x, c, out),
            Kind::Div => binary_scalar_into::<T, _>(op, &Div, &x, c, out),
        });
    }
    let c = match kind {
        Kind::Add => other.to_i64()?.wrapping_mul(int_alpha(op, alpha, dtype)?),
        Kind::Sub => other
            .to_i64()?
            .wrapping_mul(int_alpha(op, alpha, dtype)?)
            .wrapping_neg(),
        _ => other.to_i64()?,
    };
    with_int!(dtype, op, T => match kind {
        Kind::Add | Kind::Sub => integer::unary::<T>(&x, out, |v| v.wrapping_add(c)),
        Kind::Mul => integer::unary::<T>(&x, out, |v| v.wrapping_mul(c)),
        Kind::Div => Err(Error::UnsupportedDType { dtype, context: op.to_string() }),
    })
}

/// `self + alpha * other`, broadcasting, with type promotion.
///
/// dtypes: f32, f64, f16, bf16 (correctly rounded: ½ ULP of the result dtype), u8, i8, i16, i32,
/// i64 (wrap-around; `alpha` must be an integer), bool (logical `self || (alpha && other)`, as
/// PyTorch).
///
/// ```
/// use op_kernels::ops::add_tensor;
/// use op_runtime::{Scalar, Tensor};
/// let a = Tensor::from_vec(vec![1.0f32, 2.0], &[2, 1]).unwrap();
/// let b = Tensor::from_vec(vec![10.0f32, 20.0, 30.0], &[3]).unwrap();
/// let y = add_tensor::call(&a, &b, Scalar::Int(1)).unwrap();
/// assert_eq!(y.shape(), &[2, 3]);
/// assert_eq!(y.to_vec::<f32>().unwrap(), vec![11.0, 21.0, 31.0, 12.0, 22.0, 32.0]);
/// ```
#[custom_op(
    "ops::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor",
    dtypes(f32, f64, f16, bf16, u8, i8, i16, i32, i64, bool),
    shape = add_tensor_shape
)]
pub fn add_tensor(self_: &Tensor, other: &Tensor, alpha: Scalar, out: &mut Tensor) -> Result<()> {
    tensor_tensor(Kind::Add, self_, other, alpha, out)
}

/// Shape function of [`add_tensor`](fn@add_tensor): broadcast shape, promoted dtype.
pub fn add_tensor_shape(self_: &Meta, other: &Meta, _alpha: Scalar) -> Result<Meta> {
    promoted(Kind::Add, self_, other)
}

/// `self + alpha * other` for a scalar `other`; dtypes and bounds as [`add_tensor`](fn@add_tensor)
/// (`other * alpha` is formed in f64, then rounded to the lane type).
#[custom_op(
    "ops::add.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor",
    dtypes(f32, f64, f16, bf16, u8, i8, i16, i32, i64, bool),
    shape = add_scalar_shape
)]
pub fn add_scalar(self_: &Tensor, other: Scalar, alpha: Scalar, out: &mut Tensor) -> Result<()> {
    tensor_scalar(Kind::Add, self_, other, alpha, out)
}

/// Shape function of [`add_scalar`](fn@add_scalar).
pub fn add_scalar_shape(self_: &Meta, other: Scalar, _alpha: Scalar) -> Result<Meta> {
    with_scalar(Kind::Add, self_, other)
}

/// `self - alpha * other`, broadcasting; as [`add_tensor`](fn@add_tensor), except that a bool
/// operand is refused (as in PyTorch).
#[custom_op(
    "ops::sub.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor",
    dtypes(f32, f64, f16, bf16, u8, i8, i16, i32, i64, bool),
    shape = sub_tensor_shape
)]
pub fn sub_tensor(self_: &Tensor, other: &Tensor, alpha: Scalar, out: &mut Tensor) -> Result<()> {
    tensor_tensor(Kind::Sub, self_, other, alpha, out)
}

/// Shape function of [`sub_tensor`](fn@sub_tensor).
pub fn sub_tensor_shape(self_: &Meta, other: &Meta, _alpha: Scalar) -> Result<Meta> {
    promoted(Kind::Sub, self_, other)
}

/// `self - alpha * other` for a scalar `other`; as [`add_scalar`](fn@add_scalar), except that a
/// bool tensor or scalar is refused (as in PyTorch).
#[custom_op(
    "ops::sub.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor",
    dtypes(f32, f64, f16, bf16, u8, i8, i16, i32, i64, bool),
    shape = sub_scalar_shape
)]
pub fn sub_scalar(self_: &Tensor, other: Scalar, alpha: Scalar, out: &mut Tensor) -> Result<()> {
    tensor_scalar(Kind::Sub, self_, other, alpha, out)
}

/// Shape function of [`sub_scalar`](fn@sub_scalar).
pub fn sub_scalar_shape(self_: &Meta, other: Scalar, _alpha: Scalar) -> Result<Meta> {
    with_scalar(Kind::Sub, self_, other)
}

/// `self * other`, broadcasting, with type promotion; floats correctly rounded, integers wrap,
/// bools give their logical and.
#[custom_op(
    "ops::mul.Tensor(Tensor self, Tensor other) -> Tensor",
    dtypes(f32, f64, f16, bf16, u8, i8, i16, i32, i64, bool),
    shape = mul_tensor_shape
)]
pub fn mul_tensor(self_: &Tensor, other: &Tensor, out: &mut Tensor) -> Result<()> {
    tensor_tensor(Kind::Mul, self_, other, Scalar::Int(1), out)
}

/// Shape function of [`mul_tensor`](fn@mul_tensor).
pub fn mul_tensor_shape(self_: &Meta, other: &Meta) -> Result<Meta> {
    promoted(Kind::Mul, self_, other)
}

/// `self * other` for a scalar `other` (rounded to the lane type: f32 for f32/f16/bf16).
#[custom_op(
    "ops::mul.Scalar(Tensor self, Scalar other) -> Tensor",
    dtypes(f32, f64, f16, bf16, u8, i8, i16, i32, i64, bool),
    shape = mul_scalar_shape
)]
pub fn mul_scalar(self_: &Tensor, other: Scalar, out: &mut Tensor) -> Result<()> {
    tensor_scalar(Kind::Mul, self_, other, Scalar::Int(1), out)
}

/// Shape function of [`mul_scalar`](fn@mul_scalar).
pub fn mul_scalar_shape(self_: &Meta, other: Scalar) -> Result<Meta> {
    with_scalar(Kind::Mul, self_, other)
}

/// `self / other` (true division), broadcasting, correctly rounded: f32, f64, f16, bf16; integer
/// and bool operands give float32 (each converted to float32, then divided), as PyTorch does.
#[custom_op(
    "ops::div.Tensor(Tensor self, Tensor other) -> Tensor",
    dtypes(f32, f64, f16, bf16, u8, i8, i16, i32, i64, bool),
    shape = div_tensor_shape
)]
pub fn div_tensor(self_: &Tensor, other: &Tensor, out: &mut Tensor) -> Result<()> {
    tensor_tensor(Kind::Div, self_, other, Scalar::Int(1), out)
}

/// Shape function of [`div_tensor`](fn@div_tensor).
pub fn div_tensor_shape(self_: &Meta, other: &Meta) -> Result<Meta> {
    promoted(Kind::Div, self_, other)
}

/// `self / other` for a scalar `other`: an exact IEEE division by the scalar rounded to the lane
/// type (PyTorch multiplies by the reciprocal, which can differ by 1 ULP). Integer and bool tensors
/// give float32, as PyTorch's true division does.
#[custom_op(
    "ops::div.Scalar(Tensor self, Scalar other) -> Tensor",
    dtypes(f32, f64, f16, bf16, u8, i8, i16, i32, i64, bool),
    shape = div_scalar_shape
)]
pub fn div_scalar(self_: &Tensor, other: Scalar, out: &mut Tensor) -> Result<()> {
    tensor_scalar(Kind::Div, self_, other, Scalar::Int(1), out)
}

/// Shape function of [`div_scalar`](fn@div_scalar).
pub fn div_scalar_shape(self_: &Meta, other: Scalar) -> Result<Meta> {
    with_scalar(Kind::Div, self_, other)
}
