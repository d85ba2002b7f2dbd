//! The portable one-lane backend. `mul_add` is `f32::mul_add` (one rounding, in software where the CPU
//! lacks FMA), so results match the vector backends bit for bit.

use crate::simd::{Isa, Simd};

macro_rules! scalar_backend {
    ($name:ident, $t:ty, $bits:ty, $mant:expr, $ebits:expr, $bias:expr) => {
        /// The [`Isa::Scalar`] backend.
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $name;

        impl Simd for $name {
            type Elem = $t;
            type V = $t;
            type M = bool;
            const LANES: usize = 1;
            const ISA: Isa = Isa::Scalar;

            #[inline(always)]
            fn splat(self, x: $t) -> $t {
                x
            }
            #[inline(always)]
            fn add(self, a: $t, b: $t) -> $t {
                a + b
            }
            #[inline(always)]
            fn sub(self, a: $t, b: $t) -> $t {
                a - b
            }
            #[inline(always)]
            fn mul(self, a: $t, b: $t) -> $t {
                a * b
            }
            #[inline(always)]
            fn div(self, a: $t, b: $t) -> $t {
                a / b
            }
            #[inline(always)]
            fn mul_add(self, a: $t, b: $t, c: $t) -> $t {
                a.mul_add(b, c)
            }
            #[inline(always)]
            fn max(self, a: $t, b: $t) -> $t {
                if a.is_nan() || b.is_nan() {
                    <$t>::NAN
                } else if a > b {
                    a
                } else {
                    b
                }
            }
            #[inline(always)]
            fn min(self, a: $t, b: $t) -> $t {
                if a.is_nan() || b.is_nan() {
                    <$t>::NAN
                } else if a < b {
                    a
                } else {
                    b
                }
            }
            #[inline(always)]
            fn abs(self, a: $t) -> $t {
                a.abs()
            }
            #[inline(always)]
            fn neg(self, a: $t) -> $t {
                -a
            }
            #[inline(always)]
            fn sqrt(self, a: $t) -> $t {
                a.sqrt()
            }
            #[inline(always)]
            fn round(self, a: $t) -> $t {
                a.round_ties_even()
            }
            #[inline(always)]
            fn copysign(self, mag: $t, sign: $t) -> $t {
                mag.copysign(sign)
            }
            #[inline(always)]
            fn lt(self, a: $t, b: $t) -> bool {
                a < b
            }
            #[inline(always)]
            fn le(self, a: $t, b: $t) -> bool {
                a <= b
            }
            #[inline(always)]
            fn eq(self, a: $t, b: $t) -> bool {
                a == b
            }
            #[inline(always)]
            fn is_nan(self, a: $t) -> bool {
                a.is_nan()
            }
            #[inline(always)]
            fn select(self, m: bool, a: $t, b: $t) -> $t {
                if m { a } else { b }
            }
            #[inline(always)]
            fn any(self, m: bool) -> bool {
                m
            }
            #[inline(always)]
            fn reduce_sum(self, v: $t) -> $t {
                v
            }
            #[inline(always)]
            fn reduce_max(self, v: $t) -> $t {
                v
            }
            #[inline(always)]
            fn reduce_min(self, v: $t) -> $t {
                v
            }
            #[inline(always)]
            unsafe fn load(self, p: *const $t) -> $t {
                // SAFETY: caller guarantees p is readable.
                unsafe { p.read_unaligned() }
            }
            #[inline(always)]
            unsafe fn store(self, p: *mut $t, v: $t) {
                // SAFETY: caller guarantees p is writable.
                unsafe { p.write_unaligned(v) }
            }
            #[inline(always)]
            fn pow2i(self, n: $t) -> $t {
                <$t>::from_bits((((n as i64) + $bias) as $bits) << $mant)
            }
            #[inline(always)]
            fn frexp(self, x: $t) -> ($t, $t) {
                let b = x.to_bits();
                let e = ((b >> $mant) & ((1 << $ebits) - 1)) as i64 - ($bias - 1);
                let m = <$t>::from_bits(
                    (b & !(((1 << $ebits) - 1) << $mant)) | ((($bias - 1) as $bits) << $mant),
                );
                (m, e as $t)
            }
        }
    };
}

scalar_backend!(ScalarF32, f32, u32, 23, 8, 127);
scalar_backend!(ScalarF64, f64, u64, 52, 11, 1023);
