//! The built-in elementwise ops: op types (usable with [`unary`], [`binary`], [`unary_strided`],
//! [`binary_strided`] …) and slice functions for the common calls.
//!
//! Formulas are PyTorch's; NaN propagates (`relu(NaN) = NaN`, `maximum(NaN, x) = NaN`). Error bounds are
//! the module-level ones of [`crate::simd`].
//!
//! [`unary_strided`]: super::unary_strided
//! [`binary_strided`]: super::binary_strided

use super::{BinaryOp, Element, Simd, SimdError, UnaryOp, binary, binary_scalar, unary};

macro_rules! unary_ops {
    ($($(#[$doc:meta])* $name:ident, $fname:ident => |$s:ident, $x:ident| $body:expr;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $name;
        impl UnaryOp for $name {
            #[inline(always)]
            fn apply<S: Simd>(&self, $s: S, $x: S::V) -> S::V {
                $body
            }
        }
        $(#[$doc])*
        ///
        /// Over contiguous slices of equal length.
        pub fn $fname<T: Element>(x: &[T], out: &mut [T]) -> Result<(), SimdError> {
            unary(&$name, x, out)
        }
    )*};
}

unary_ops! {
    /// `-x`.
    Neg, neg => |s, x| s.neg(x);
    /// `|x|`.
    Abs, abs => |s, x| s.abs(x);
    /// `max(x, 0)`, NaN-propagating.
    Relu, relu => |s, x| s.max(x, s.constant(0.0));
    /// `x * 0.5 * (1 + erf(x / sqrt(2)))` (PyTorch `gelu(approximate='none')`).
    GeluErf, gelu_erf => |s, x| {
        let e = s.erf(s.mul(x, s.constant(std::f64::consts::FRAC_1_SQRT_2)));
        s.mul(s.mul(x, s.constant(0.5)), s.add(s.constant(1.0), e))
    };
    /// `0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))` (PyTorch `gelu(approximate='tanh')`).
    GeluTanh, gelu_tanh => |s, x| {
        let beta = s.constant(std::f64::consts::SQRT_2 * std::f64::consts::FRAC_2_SQRT_PI * 0.5);
        let x3 = s.mul(s.mul(x, x), x);
        let inner = s.mul(beta, s.mul_add(s.constant(0.044715), x3, x));
        s.mul(s.mul(s.constant(0.5), x), s.add(s.constant(1.0), s.tanh(inner)))
    };
    /// `x / (1 + e^-x)`.
    Silu, silu => |s, x| s.div(x, s.add(s.constant(1.0), s.exp(s.neg(x))));
    /// `1 / (1 + e^-x)`.
    Sigmoid, sigmoid => |s, x| s.sigmoid(x);
    /// `tanh(x)`.
    Tanh, tanh => |s, x| s.tanh(x);
    /// `e^x`.
    Exp, exp => |s, x| s.exp(x);
    /// `ln(x)`.
    Log, log => |s, x| s.log(x);
    /// `sqrt(x)`.
    Sqrt, sqrt => |s, x| s.sqrt(x);
}

macro_rules! binary_ops {
    ($($(#[$doc:meta])* $name:ident, $fname:ident, $sname:ident => |$s:ident, $a:ident, $b:ident| $body:expr;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $name;
        impl BinaryOp for $name {
            #[inline(always)]
            fn apply<S: Simd>(&self, $s: S, $a: S::V, $b: S::V) -> S::V {
                $body
            }
        }
        $(#[$doc])*
        ///
        /// Over contiguous slices of equal length.
        pub fn $fname<T: Element>(a: &[T], b: &[T], out: &mut [T]) -> Result<(), SimdError> {
            binary(&$name, a, b, out)
        }
        $(#[$doc])*
        ///
        /// With `b` a scalar (rounded to the lane type).
        pub fn $sname<T: Element>(a: &[T], b: f64, out: &mut [T]) -> Result<(), SimdError> {
            binary_scalar(&$name, a, b, out)
        }
    )*};
}

binary_ops! {
    /// `a + b`.
    Add, add, add_scalar => |s, a, b| s.add(a, b);
    /// `a - b`.
    Sub, sub, sub_scalar => |s, a, b| s.sub(a, b);
    /// `a * b`.
    Mul, mul, mul_scalar => |s, a, b| s.mul(a, b);
    /// `a / b`.
    Div, div, div_scalar => |s, a, b| s.div(a, b);
    /// `max(a, b)`, NaN if either is NaN (`torch.maximum`).
    Maximum, maximum, maximum_scalar => |s, a, b| s.max(a, b);
    /// `min(a, b)`, NaN if either is NaN (`torch.minimum`).
    Minimum, minimum, minimum_scalar => |s, a, b| s.min(a, b);
}

/// `x * 3`: the `mul3` of the quick start.
pub fn mul3<T: Element>(x: &[T], out: &mut [T]) -> Result<(), SimdError> {
    mul_scalar(x, 3.0, out)
}
