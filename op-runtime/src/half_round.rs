//! f64 → f16 / bf16 conversion rounded once, to nearest even.
//!
//! `half` 2.7's own `f16::from_f64` and `bf16::from_f64` are not correctly rounded: the first goes
//! through f32 on x86 (two roundings: `1 + 2⁻¹¹ + 2⁻⁴⁰` gives 1.0 instead of the next f16), the
//! second drops the low 32 bits of the f64 before deciding ties (the f32 value `0x3f6a8007` gives
//! bf16 `0x3f6a` instead of `0x3f6b`). These go through f32 rounded to odd instead, which keeps
//! enough bits (f32's 24 ≥ 11 + 2) that the final rounding to nearest even is the only one that
//! counts.

use half::{bf16, f16};

/// `v` as f32 rounded toward zero, with the last bit set when that was inexact ("round to odd").
/// Beyond f32's range this gives ±`f32::MAX` (odd), which still rounds to ±inf in both half types.
fn f32_round_to_odd(v: f64) -> f32 {
    let mut y = v as f32;
    if v.is_nan() || f64::from(y) == v {
        return y;
    }
    if f64::from(y).abs() > v.abs() {
        // Rounded away from zero: step back toward zero (on the bit pattern, which is monotonic
        // in magnitude; inf steps to MAX).
        y = f32::from_bits(y.to_bits() - 1);
    }
    f32::from_bits(y.to_bits() | 1)
}

/// `v` as f64 rounded to odd (toward zero, the last bit set when inexact): exact below 2⁵³ in
/// magnitude; beyond, 53 bits ≥ 11 + 2 (or 8 + 2) keep the final rounding to a half type the
/// only one that counts (bf16 covers i64's whole range, so this matters there).
pub(crate) fn i64_to_f64_odd(v: i64) -> f64 {
    let magnitude = v.unsigned_abs();
    let shift = (64 - magnitude.leading_zeros()).saturating_sub(53);
    let kept = magnitude >> shift;
    let sticky = magnitude & ((1u64 << shift) - 1) != 0;
    // Below 2^53 and scaled by a power of two: both steps exact.
    let f = (kept | u64::from(sticky)) as f64 * f64::from(1u32 << shift);
    if v < 0 { -f } else { f }
}

/// The f16 nearest `v` (ties to even); NaN stays NaN, beyond the range ±inf.
pub fn f16_from_f64(v: f64) -> f16 {
    f16::from_f32(f32_round_to_odd(v))
}

/// The bf16 nearest `v` (ties to even); NaN stays NaN, beyond the range ±inf.
pub fn bf16_from_f64(v: f64) -> bf16 {
    bf16::from_f32(f32_round_to_odd(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Round-to-nearest-even of `v` to a float with `p` significant bits, by brute force over f64.
    fn reference(v: f64, candidates: impl Iterator<Item = f64>) -> f64 {
        let mut best = f64::NAN;
        for c in candidates {
            if best.is_nan() || (c - v).abs() < (best - v).abs() {
                best = c;
            }
        }
        best
    }

    #[test]
    fn integers_round_to_odd_then_once_to_halves() {
        assert_eq!(i64_to_f64_odd(0), 0.0);
        assert_eq!(i64_to_f64_odd(-7), -7.0);
        assert_eq!(i64_to_f64_odd(1 << 53), 2f64.powi(53));
        assert_eq!(i64_to_f64_odd(i64::MIN), -(2f64.powi(63)));
        // 2^62 + 1: inexact in f64, so the last kept bit is set (odd), not rounded away.
        assert_eq!(i64_to_f64_odd((1 << 62) + 1), 2f64.powi(62) + 2f64.powi(10));
        assert_eq!(i64_to_f64_odd(i64::MAX), 2f64.powi(63) - 2f64.powi(10));
        // Just above a bf16 tie (2^62 · (1 + 2^-8) + 1): rounds up; through f64 rounded to
        // nearest the sticky 1 is lost and the tie goes to even (down).
        let v = (1i64 << 62) + (1 << 54) + 1;
        assert_eq!(bf16_from_f64(i64_to_f64_odd(v)).to_bits(), 0x5e81);
        assert_eq!(bf16_from_f64(v as f64).to_bits(), 0x5e80);
    }

    #[test]
    fn ties_and_sticky_bits_round_once() {
        // Just above a tie (the sticky bit only in the low f64 bits): rounds up.
        assert_eq!(
            f16_from_f64(1.0 + 2f64.powi(-11) + 2f64.powi(-40)).to_bits(),
            0x3c01
        );
        assert_eq!(
            bf16_from_f64(f64::from(f32::from_bits(0x3f6a_8007))).to_bits(),
            0x3f6b
        );
        assert_eq!(
            bf16_from_f64(1.0 + 2f64.powi(-8) + 2f64.powi(-45)).to_bits(),
            0x3f81
        );
        // Exact ties go to even.
        assert_eq!(f16_from_f64(1.0 + 2f64.powi(-11)).to_bits(), 0x3c00);
        assert_eq!(f16_from_f64(1.0 + 3.0 * 2f64.powi(-11)).to_bits(), 0x3c02);
        assert_eq!(bf16_from_f64(1.0 + 2f64.powi(-8)).to_bits(), 0x3f80);
        // Range ends, subnormals, specials.
        assert_eq!(f16_from_f64(65520.0).to_bits(), 0x7c00);
        assert_eq!(f16_from_f64(65519.99).to_bits(), 0x7bff);
        assert_eq!(bf16_from_f64(1e39).to_bits(), 0x7f80);
        assert_eq!(bf16_from_f64(-1e300).to_bits(), 0xff80);
        assert_eq!(
            f16_from_f64(2f64.powi(-25) * (1.0 + 2f64.powi(-40))).to_bits(),
            0x0001
        );
        assert_eq!(f16_from_f64(2f64.powi(-25)).to_bits(), 0x0000);
        assert_eq!(f16_from_f64(-0.0).to_bits(), 0x8000);
        assert!(f16_from_f64(f64::NAN).is_nan() && bf16_from_f64(f64::NAN).is_nan());
        assert_eq!(f16_from_f64(f64::INFINITY).to_bits(), 0x7c00);
    }

    /// Values between `bits` and the next half up, at `step`s of the positive finite range: the
    /// exact tie (to even), just off it both ways, and a random offset, against the nearer of the two.
    fn between_neighbours(last: u16, step: usize, to_f64: fn(u16) -> f64, convert: fn(f64) -> u16) {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for bits in (0..last).step_by(step) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let (a, b) = (to_f64(bits), to_f64(bits + 1));
            let random = (state >> 11) as f64 / (1u64 << 53) as f64;
            for frac in [0.5, 0.5 + 1e-9, 0.5 - 1e-9, random] {
                let v = a + (b - a) * frac;
                let want = if frac == 0.5 {
                    if bits % 2 == 0 { a } else { b }
                } else {
                    reference(v, [a, b].into_iter())
                };
                assert_eq!(to_f64(convert(v)), want, "{bits:#06x} + {frac}: {v:e}");
            }
        }
    }

    #[test]
    fn nearest_of_the_neighbours() {
        between_neighbours(
            0x7bff,
            7,
            |b| f16::from_bits(b).to_f64(),
            |v| f16_from_f64(v).to_bits(),
        );
        between_neighbours(
            0x7f7f,
            13,
            |b| bf16::from_bits(b).to_f64(),
            |v| bf16_from_f64(v).to_bits(),
        );
    }
}
