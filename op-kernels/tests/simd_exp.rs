//! `exp` in f32 lanes against f64 `exp`, at every ISA level this CPU supports: a dense sweep of the
//! whole input range (subnormal results, the overflow edge, the fast path's bound), special values,
//! and results that must not depend on the other lanes of the vector (fast and wide paths agree);
//! `tanh`, built on the same reduction, over its range.
//!
//! The exhaustive check of every f32 input is `#[ignore]`d (minutes in release):
//! `cargo test -p op-kernels --release --test simd_exp -- --ignored`.

mod reference;

use op_kernels::simd::{self, Isa, SimdError, ops};
use reference::supported_isas;

/// Distance in representable f32 values (ULP), across zero and into subnormals.
fn ulps(a: f32, b: f32) -> u64 {
    let ord = |v: f32| {
        let b = v.to_bits();
        if b >> 31 == 1 {
            -((b & 0x7fff_ffff) as i64)
        } else {
            b as i64
        }
    };
    ord(a).abs_diff(ord(b))
}

/// The largest ULP error of `exp` over `xs` at the active level; panics on a NaN mismatch.
fn max_error(xs: &[f32]) -> (u64, f32) {
    let mut y = vec![0.0f32; xs.len()];
    ops::exp(xs, &mut y).unwrap();
    worst_ulps("exp", f64::exp, xs, &y)
}

/// The largest ULP error of `got` against `reference` (in f64, rounded to f32) over `xs`, and
/// where; panics where the reference is NaN and `got` is not.
fn worst_ulps(name: &str, reference: fn(f64) -> f64, xs: &[f32], got: &[f32]) -> (u64, f32) {
    let mut worst = (0, 0.0);
    for (&x, &g) in xs.iter().zip(got) {
        let want = reference(x as f64) as f32;
        if want.is_nan() {
            assert!(g.is_nan(), "{name}({x:e}) = {g:e}, want NaN");
            continue;
        }
        let e = ulps(g, want);
        if e > worst.0 {
            worst = (e, x);
        }
    }
    worst
}

/// Every `step`-th f32 bit pattern in `[lo, hi]` (both signs handled by the caller).
fn strided(lo: u32, hi: u32, step: u32) -> impl Iterator<Item = f32> {
    (lo..=hi).step_by(step as usize).map(f32::from_bits)
}

/// Every f32 in a window of `n` bit patterns on each side of `x`.
fn around(x: f32, n: u32) -> impl Iterator<Item = f32> {
    let b = x.to_bits();
    (b - n..=b + n).map(f32::from_bits)
}

/// Inputs: the whole range where exp is neither 1 nor saturated, strided with a prime step so that
/// every mantissa bit varies, and every input near the edges where the algorithm changes: the fast
/// path's bound (±86), the first subnormal result (-87.34), the last nonzero result (-103.97), the
/// overflow edge (88.72), and tiny |x|.
fn sweep() -> Vec<f32> {
    let top = 89.0f32.to_bits();
    let bottom = 104.0f32.to_bits();
    let mut xs: Vec<f32> = strided(0, top, 1009).collect();
    xs.extend(strided(0, bottom, 1009).map(|v| -v));
    for edge in [
        86.0f32,
        -86.0,
        -87.336_54,
        -103.972_08,
        88.722_84,
        1e-7,
        -1e-7,
    ] {
        xs.extend(around(edge, 20_000));
    }
    xs
}

#[test]
fn exp_within_two_ulp_over_the_whole_range() {
    let xs = sweep();
    for isa in supported_isas() {
        let (worst, at) = simd::with_isa(isa, || max_error(&xs)).unwrap();
        assert!(worst <= 2, "exp at {isa}: {worst} ULP at x = {at:e}");
    }
}

#[test]
fn exp_special_values() {
    let xs = [
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        0.0,
        -0.0,
        88.8,
        1000.0,
        -104.0,
        -1000.0,
        f32::MAX,
        f32::MIN,
        f32::MIN_POSITIVE,
        -f32::MIN_POSITIVE,
    ];
    let want = [
        f32::NAN,
        f32::INFINITY,
        0.0,
        1.0,
        1.0,
        f32::INFINITY,
        f32::INFINITY,
        0.0,
        0.0,
        f32::INFINITY,
        0.0,
        1.0,
        1.0,
    ];
    for isa in supported_isas() {
        simd::with_isa(isa, || {
            // Each value alone and in a vector of ordinary values: the same result either way.
            for (i, (&x, &w)) in xs.iter().zip(&want).enumerate() {
                for filler in [0.5f32, f32::NAN, -200.0] {
                    let mut v = vec![filler; 33];
                    v[i % 33] = x;
                    let mut y = vec![0.0f32; 33];
                    ops::exp(&v, &mut y).unwrap();
                    let got = y[i % 33];
                    assert!(
                        got.to_bits() == w.to_bits() || (got.is_nan() && w.is_nan()),
                        "exp({x:e}) at {isa} = {got:e}, want {w:e}"
                    );
                }
            }
        })
        .unwrap();
    }
}

/// A vector holding one lane outside the fast path's range takes the wide path for all its lanes;
/// the other lanes' results must be the same bits as on the fast path.
#[test]
fn exp_lanes_independent_of_their_neighbours() {
    let xs: Vec<f32> = strided(0, 86.0f32.to_bits(), 100_003)
        .flat_map(|v| [v, -v])
        .collect();
    for isa in supported_isas() {
        simd::with_isa(isa, || {
            let mut alone = vec![0.0f32; xs.len()];
            ops::exp(&xs, &mut alone).unwrap();
            // Every fourth lane replaced by an input that forces the wide path.
            let mixed: Vec<f32> = xs
                .iter()
                .enumerate()
                .map(|(i, &v)| if i % 4 == 3 { -100.0 } else { v })
                .collect();
            let mut y = vec![0.0f32; xs.len()];
            ops::exp(&mixed, &mut y).unwrap();
            for (i, (&a, &b)) in alone.iter().zip(&y).enumerate() {
                if i % 4 != 3 {
                    assert_eq!(a.to_bits(), b.to_bits(), "exp({:e}) at {isa}", xs[i]);
                }
            }
        })
        .unwrap();
    }
}

/// Every f32 input, at the detected level: prints the largest error.
#[test]
#[ignore = "exhaustive: about 4·10⁹ inputs; run in release"]
fn exp_exhaustive() {
    let mut worst = (0, 0.0f32);
    let chunk = 1u64 << 24;
    let mut start = 0u64;
    while start < 1 << 32 {
        let xs: Vec<f32> = (start..start + chunk)
            .map(|b| f32::from_bits(b as u32))
            .collect();
        let w = max_error(&xs);
        if w.0 > worst.0 {
            worst = w;
        }
        start += chunk;
    }
    println!(
        "exp at {}: max {} ULP at x = {:e}",
        Isa::active(),
        worst.0,
        worst.1
    );
    assert!(worst.0 <= 2);
}

/// `op` over `xs` at `isa`.
fn at_level(isa: Isa, op: fn(&[f32], &mut [f32]) -> Result<(), SimdError>, xs: &[f32]) -> Vec<f32> {
    simd::with_isa(isa, || {
        let mut y = vec![0.0f32; xs.len()];
        op(xs, &mut y).unwrap();
        y
    })
    .unwrap()
}

/// Every level gives the same bits over the whole range, subnormal results, overflow and the special
/// values included: AVX-512 scales by `2^n` with `vscalefps` on every vector, the other levels build
/// `2^n` from exponent bits and take a two-factor path only for `|x| ≥ 86`.
#[test]
fn exp_same_bits_at_every_level() {
    let mut xs = sweep();
    xs.extend([
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::MAX,
        f32::MIN,
        0.0,
        -0.0,
        f32::MIN_POSITIVE,
        1e30,
        -1e30,
    ]);
    let scalar = at_level(Isa::Scalar, ops::exp, &xs);
    for isa in supported_isas() {
        let got = at_level(isa, ops::exp, &xs);
        for (i, (a, b)) in got.iter().zip(&scalar).enumerate() {
            assert!(
                a.to_bits() == b.to_bits() || a.is_nan() && b.is_nan(),
                "exp({:e}) at {isa}: {a:e}, scalar {b:e}",
                xs[i]
            );
        }
    }
}

/// `tanh` is built on the same reduction (`e^{2|x|} - 1`, then `e / (e + 2)`): within 3 ULP of f64
/// `tanh` over every 101st f32 in `[0, 10]` (subnormals, the tiny range where `tanh x = x`, the
/// saturation to 1) and both signs, and the same bits at every level.
#[test]
fn tanh_within_three_ulp_and_the_same_bits_at_every_level() {
    let xs: Vec<f32> = strided(0, 10.0f32.to_bits(), 101)
        .flat_map(|v| [v, -v])
        .chain([f32::INFINITY, f32::NEG_INFINITY, 20.0, -1e30, f32::NAN])
        .collect();
    let scalar = at_level(Isa::Scalar, ops::tanh, &xs);
    for isa in supported_isas() {
        let got = at_level(isa, ops::tanh, &xs);
        for ((&x, &g), &r) in xs.iter().zip(&got).zip(&scalar) {
            assert!(
                g.to_bits() == r.to_bits() || g.is_nan() && r.is_nan(),
                "tanh({x:e}) at {isa}: {g:e}, scalar {r:e}"
            );
        }
        let worst = worst_ulps("tanh", f64::tanh, &xs, &got);
        assert!(
            worst.0 <= 3,
            "tanh at {isa}: {} ULP at x = {:e}",
            worst.0,
            worst.1
        );
        println!("tanh at {isa}: worst {} ULP at x = {:e}", worst.0, worst.1);
    }
}
