//! The built-in elementwise ops: op types (usable with [`unary`], [`binary`], [`unary_strided`],
//! [`binary_strided`] …) and slice functions for the common calls.
//!
//! Formulas are PyTorch's; NaN propagates (`relu(NaN) = NaN`, `maximum(NaN, x) = NaN`). Error bounds are
//! the module-level ones of [`crate::simd`].
//!
//! [`unary_strided`]: super::unary_strided
//! [`binary_strided`]: super::binary_strided

use super::math::{ERFC_Q, ERFC_Q_HALF};
use super::vector::{exp_stage1_for, exp_stage2_for, sigmoid_from, sigmoid_parts};
use super::{BinaryOp, Element, Simd, SimdError, UnaryOp, binary, binary_scalar, unary};

/// `stages => |m, half| stage1, stage2`: the op in two stages (see [`UnaryOp::staged`]), `stage1`
/// giving `m` to `stage2`, `half` telling whether the results are rounded to f16 or bf16.
/// `apply_half` is then `stage2` after `stage1`, and `apply` must equal the same for `half =
/// false`, so the drivers get the same bits wherever a vector falls. Staged for halves, and for
/// f32 where [`Simd::FAST_SCALE_POW2`] (below AVX-512 the stages would always take the
/// exponential's slow path).
macro_rules! unary_ops {
    ($($(#[$doc:meta])* $name:ident, $fname:ident => |$s:ident, $x:ident| $body:expr
        $(, half => $half:expr)?
        $(, stages => |$m:ident, $h:ident| $stage1:expr, $stage2:expr)?;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $name;
        impl UnaryOp for $name {
            #[inline(always)]
            fn apply<S: Simd>(&self, $s: S, $x: S::V) -> S::V {
                $body
            }
            $(
            #[inline(always)]
            fn apply_half<S: Simd>(&self, $s: S, $x: S::V) -> S::V {
                $half
            }
            )?
            $(
            #[inline(always)]
            fn apply_half<S: Simd>(&self, s: S, x: S::V) -> S::V {
                self.stage2(s, x, self.stage1(s, x, true), true)
            }
            #[inline(always)]
            fn staged<S: Simd>(&self, half: bool) -> bool {
                half || S::FAST_SCALE_POW2
            }
            #[inline(always)]
            fn stage1<S: Simd>(&self, $s: S, $x: S::V, $h: bool) -> [S::V; 2] {
                $stage1
            }
            #[inline(always)]
            fn stage2<S: Simd>(&self, $s: S, $x: S::V, $m: [S::V; 2], $h: bool) -> S::V {
                let _ = $x; // not every op needs it again
                $stage2
            }
            )?
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
    /// `0.5 * x * (1 + tanh(u))` with `u = sqrt(2/pi) * (x + 0.044715 x^3)` (PyTorch
    /// `gelu(approximate='tanh')`), evaluated as the equal `x / (1 + e^{-2u})`: one exponential and
    /// one division, and no cancellation in `1 + tanh(u)` for negative `x`. Staged
    /// ([`UnaryOp::staged`]: the reduction of the exponential, then the rest; measured in L1 with
    /// op-bench, f32 48 → 61 GB/s).
    GeluTanh, gelu_tanh => |s, x| s.div(x, s.add(s.constant(1.0), s.exp(gelu_tanh_minus_2u(s, x)))),
        stages => |m, half| exp_stage1_for(s, gelu_tanh_minus_2u(s, x), half),
            s.div(x, s.add(s.constant(1.0), exp_stage2_for(s, m, half)));
    /// `x / (1 + e^-x)`: `x · sigmoid(x)` with [`Simd::sigmoid`]'s overflow-free parts.
    Silu, silu => |s, x| silu_with(s, x, s.exp(s.neg(s.abs(x)))),
        stages => |m, half| exp_stage1_for(s, s.neg(s.abs(x)), half), silu_with(s, x, exp_stage2_for(s, m, half));
    /// `1 / (1 + e^-x)`.
    Sigmoid, sigmoid => |s, x| s.sigmoid(x),
        stages => |m, half| exp_stage1_for(s, s.neg(s.abs(x)), half),
            sigmoid_from(s, x, exp_stage2_for(s, m, half));
    /// `tanh(x)`.
    Tanh, tanh => |s, x| s.tanh(x),
        stages => |m, half| if half { s.tanh_half_stage1(x) } else { s.tanh_stage1(x) },
            if half { s.tanh_half_stage2(x, m) } else { s.tanh_stage2(x, m) };
    /// `e^x`.
    Exp, exp => |s, x| s.exp(x), stages => |m, half| exp_stage1_for(s, x, half), exp_stage2_for(s, m, half);
    /// `ln(x)`.
    Log, log => |s, x| s.log(x);
    /// `sqrt(x)`.
    Sqrt, sqrt => |s, x| s.sqrt(x);
}

/// `x * 0.5 * (1 + erf(x / sqrt(2)))` (PyTorch `gelu(approximate='none')`). In f32 lanes evaluated
/// as `x Φ(x)` with `Φ` from one erfc formula (`gelu_erf_phi_t` in the source), in three stages
/// ([`UnaryOp::MIDDLE`]: the division, the erfc polynomial, then the exponential; against two
/// stages, op-bench at 64 KiB: bf16 15.2 → 18.3 GB/s, f16 15.7 → 17.2, f32 +8 %; three stages
/// measured no better for sigmoid, silu and gelu(tanh)); f64 lanes use the formula as written
/// with [`Simd::erf`] (f64 `erf`, about 1e-15).
#[derive(Clone, Copy, Debug, Default)]
pub struct GeluErf;

impl UnaryOp for GeluErf {
    #[inline(always)]
    fn apply<S: Simd>(&self, s: S, x: S::V) -> S::V {
        self.stage2(
            s,
            x,
            self.middle(s, x, self.stage1(s, x, false), false),
            false,
        )
    }
    #[inline(always)]
    fn apply_half<S: Simd>(&self, s: S, x: S::V) -> S::V {
        self.stage2(s, x, self.middle(s, x, self.stage1(s, x, true), true), true)
    }
    #[inline(always)]
    fn staged<S: Simd>(&self, _half: bool) -> bool {
        true
    }
    const MIDDLE: bool = true;
    #[inline(always)]
    fn stage1<S: Simd>(&self, s: S, x: S::V, _half: bool) -> [S::V; 2] {
        if size_of::<S::Elem>() == 8 {
            return [x, x];
        }
        gelu_erf_phi_t(s, x)
    }
    #[inline(always)]
    fn middle<S: Simd>(&self, s: S, _x: S::V, mid: [S::V; 2], half: bool) -> [S::V; 2] {
        if size_of::<S::Elem>() == 8 {
            return mid;
        }
        gelu_erf_phi_poly(s, mid, half)
    }
    #[inline(always)]
    fn stage2<S: Simd>(&self, s: S, x: S::V, mid: [S::V; 2], half: bool) -> S::V {
        if size_of::<S::Elem>() == 8 {
            let e = s.erf(s.mul(x, s.constant(std::f64::consts::FRAC_1_SQRT_2)));
            return s.mul(s.mul(x, s.constant(0.5)), s.add(s.constant(1.0), e));
        }
        s.mul(x, gelu_erf_phi_from(s, x, mid, half))
    }
}

/// [`GeluErf`] over contiguous slices of equal length.
pub fn gelu_erf<T: Element>(x: &[T], out: &mut [T]) -> Result<(), SimdError> {
    unary(&GeluErf, x, out)
}

/// The normal CDF `Φ(x) = erfc(-x / sqrt 2) / 2` by one formula over the whole range: with
/// `e = erfc(|x| / sqrt 2) / 2`, `Φ = e` for negative `x` and `1 - e` otherwise (`e ≤ 1/2`: no
/// cancellation either way, where `1 + erf(x / sqrt 2)` cancels for negative `x`). `erfc` is the
/// Numerical Recipes fit (`ERFC_Q`: `t e^{q(t) - z²}`, `t = 1 / (1 + z/2)`), so one exponential
/// and one division instead of [`Simd::erf`]'s two branches (measured with op-bench at 64 KiB on
/// AVX-512: f32 gelu(none) 16.5 → 24.9 GB/s; f32 ≤ 6 ULP for x ≥ 0 and ≤ 2e-6 relative for
/// -3 < x < 0, against 2 and 1.2e-5 with `1 + erf`). `half`, for results rounded to f16 or bf16:
/// the degree-5 `ERFC_Q_HALF` and the exponential of [`Simd::exp_half`] (relative error about
/// 3e-5 before that rounding).
///
/// In three stages (see [`UnaryOp::MIDDLE`]): this one gives `[z, t]` (the division);
/// [`gelu_erf_phi_poly`] the exponential's argument `q(t) - z²` and `t / 2`;
/// [`gelu_erf_phi_from`] finishes.
#[inline(always)]
fn gelu_erf_phi_t<S: Simd>(s: S, x: S::V) -> [S::V; 2] {
    // z clamped at 20: e^{-400} is 0, so Φ(-inf) = 0 and gelu(-inf) = -inf · 0 = NaN, as PyTorch's
    // formula gives; NaN passes the clamp.
    let z = s.clamp(
        s.mul(s.abs(x), s.constant(std::f64::consts::FRAC_1_SQRT_2)),
        s.constant(0.0),
        s.constant(20.0),
    );
    let one = s.constant(1.0);
    [z, s.div(one, s.mul_add(s.constant(0.5), z, one))]
}

/// The middle stage of `Φ`, from [`gelu_erf_phi_t`]'s `[z, t]`: the exponential's argument
/// `q(t) - z²` and `t / 2`.
#[inline(always)]
fn gelu_erf_phi_poly<S: Simd>(s: S, [z, t]: [S::V; 2], half: bool) -> [S::V; 2] {
    // q(t) of degree 9 by Estrin's scheme (pairs, then powers t², t⁴, t⁸): a dependency chain of
    // five steps instead of Horner's nine, which left the loop waiting on latency.
    // (The pairs through a fn, not a closure in a `let`: such a closure may stay out of line and
    // then be compiled without the level's features.)
    let t2 = s.mul(t, t);
    let t4 = s.mul(t2, t2);
    let q = if half {
        // Degree 5 (ERFC_Q_HALF): two steps after the pairs instead of three, and five operations
        // fewer.
        let (p01, p23, p45) = (
            erfc_q_pair(s, t, &ERFC_Q_HALF, 0),
            erfc_q_pair(s, t, &ERFC_Q_HALF, 2),
            erfc_q_pair(s, t, &ERFC_Q_HALF, 4),
        );
        s.mul_add(p45, t4, s.mul_add(p23, t2, p01))
    } else {
        let (p01, p23, p45) = (
            erfc_q_pair(s, t, &ERFC_Q, 0),
            erfc_q_pair(s, t, &ERFC_Q, 2),
            erfc_q_pair(s, t, &ERFC_Q, 4),
        );
        let (p67, p89) = (erfc_q_pair(s, t, &ERFC_Q, 6), erfc_q_pair(s, t, &ERFC_Q, 8));
        let p03 = s.mul_add(p23, t2, p01);
        let p47 = s.mul_add(p67, t2, p45);
        s.mul_add(p89, s.mul(t4, t4), s.mul_add(p47, t4, p03))
    };
    [s.sub(q, s.mul(z, z)), s.mul(t, s.constant(0.5))]
}

/// `Φ(x)` from [`gelu_erf_phi_poly`]'s `[q(t) - z², t / 2]`.
#[inline(always)]
fn gelu_erf_phi_from<S: Simd>(s: S, x: S::V, [arg, half_t]: [S::V; 2], half: bool) -> S::V {
    let ex = if half { s.exp_half(arg) } else { s.exp(arg) };
    let e = s.mul(half_t, ex);
    s.select(s.lt(x, s.constant(0.0)), e, s.sub(s.constant(1.0), e))
}

/// `c[k] + c[k + 1] t`.
#[inline(always)]
fn erfc_q_pair<S: Simd>(s: S, t: S::V, c: &[f64], k: usize) -> S::V {
    s.mul_add(s.constant(c[k + 1]), t, s.constant(c[k]))
}

/// `x · sigmoid(x)` from `e = e^{-|x|}`.
#[inline(always)]
fn silu_with<S: Simd>(s: S, x: S::V, e: S::V) -> S::V {
    let (num, den) = sigmoid_parts(s, x, e);
    s.div(s.mul(x, num), den)
}

/// `-2u` for gelu's tanh argument `u = sqrt(2/pi) * (x + 0.044715 x^3)`.
#[inline(always)]
fn gelu_tanh_minus_2u<S: Simd>(s: S, x: S::V) -> S::V {
    let beta = s.constant(-std::f64::consts::SQRT_2 * std::f64::consts::FRAC_2_SQRT_PI);
    let x3 = s.mul(s.mul(x, x), x);
    s.mul(beta, s.mul_add(s.constant(0.044715), x3, x))
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
