//! Shared by the `ops_*` tests: inputs in every float dtype, the layouts an input can have, and
//! comparison against an f64 reference with per-dtype tolerances in ULPs.

#![allow(dead_code)]

use op_runtime::{DType, Tensor};

pub const FLOATS: [DType; 4] = [DType::F32, DType::F64, DType::F16, DType::BF16];

/// Mantissa bits: one ULP at `x` is at most `|x| · 2^-bits`.
pub fn bits(dtype: DType) -> i32 {
    match dtype {
        DType::F64 => 52,
        DType::F32 => 23,
        DType::F16 => 10,
        DType::BF16 => 7,
        _ => 0,
    }
}

/// The smallest positive (subnormal) value, as an absolute floor for results near zero.
pub fn tiny(dtype: DType) -> f64 {
    match dtype {
        DType::F64 => f64::from_bits(1),
        DType::F32 => f32::from_bits(1) as f64,
        DType::F16 => 2f64.powi(-24),
        DType::BF16 => 2f64.powi(-133),
        _ => 0.0,
    }
}

/// Deterministic values in `[-range, range)`.
pub fn values(n: usize, seed: u64, range: f64) -> Vec<f64> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) * range
        })
        .collect()
}

/// A contiguous tensor of `dtype` holding `v` (rounded to the dtype).
pub fn tensor(v: &[f64], shape: &[usize], dtype: DType) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape)
        .unwrap()
        .to_dtype(dtype)
        .unwrap()
}

/// `v` rounded to `dtype` (as a kernel's result is).
pub fn round_to(v: &[f64], dtype: DType) -> Vec<f64> {
    tensor(v, &[v.len()], dtype).to_vec_f64().unwrap()
}

/// The ways a 2-D input of `shape` can be laid out, each holding the values `v` in row-major order:
/// contiguous, transposed, flipped along both dims, every other column, and (for one row)
/// broadcast from a single row.
pub fn layouts(v: &[f64], shape: [usize; 2], dtype: DType) -> Vec<(&'static str, Tensor)> {
    let [r, c] = shape;
    let mut out = vec![("contiguous", tensor(v, &shape, dtype))];
    // Transposed: store the transpose, view it back.
    let mut tv = vec![0.0; r * c];
    for i in 0..r {
        for j in 0..c {
            tv[j * r + i] = v[i * c + j];
        }
    }
    out.push((
        "transposed",
        tensor(&tv, &[c, r], dtype).transpose(0, 1).unwrap(),
    ));
    // Flipped: store reversed, flip both dims back (negative strides).
    let rev: Vec<f64> = v.iter().rev().copied().collect();
    out.push((
        "flipped",
        tensor(&rev, &shape, dtype)
            .flip(0)
            .unwrap()
            .flip(1)
            .unwrap(),
    ));
    // Every other column of a buffer twice as wide.
    let mut wide = vec![0.0; r * c * 2];
    for i in 0..r {
        for j in 0..c {
            wide[i * 2 * c + 2 * j] = v[i * c + j];
        }
    }
    out.push((
        "step2",
        tensor(&wide, &[r, 2 * c], dtype)
            .slice(1, 0, (2 * c) as isize, 2)
            .unwrap(),
    ));
    if r > 1 && v.chunks(c.max(1)).all(|row| row == &v[..c]) {
        out.push((
            "broadcast",
            tensor(&v[..c], &[1, c], dtype)
                .broadcast_to(&shape)
                .unwrap(),
        ));
    }
    out
}

/// Asserts `got` matches `want` (the exact f64 result, not yet rounded) within `ulps` ULPs of
/// `dtype` after rounding `want` to `dtype`, or `abs` absolute; NaN must match NaN and infinities
/// must match exactly.
pub fn assert_close(got: &[f64], want: &[f64], dtype: DType, ulps: f64, abs: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let rounded = round_to(want, dtype);
    for (i, ((&g, &w), &r)) in got.iter().zip(want).zip(&rounded).enumerate() {
        let ok = if r.is_nan() || w.is_nan() {
            g.is_nan()
        } else if r.is_infinite() {
            g == r
        } else {
            let tol =
                ulps * r.abs() * 2f64.powi(-bits(dtype)) + abs.max(ulps.max(1.0) * tiny(dtype));
            (g - r).abs() <= tol || (g - w).abs() <= tol
        };
        assert!(
            ok,
            "{what} ({dtype}): element {i}: got {g}, expected {w} (rounded {r}), within {ulps} ULP + {abs}"
        );
    }
}
