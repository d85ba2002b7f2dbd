//! Softmax, log_softmax, rms_norm and layer_norm rows at the lengths where the row kernels change
//! path (one vector, partial vectors, the four-vector body, rows of several KiB that prefetch the next
//! row) and on inputs that stress them: all-equal rows, -inf entries (masked attention), large
//! magnitudes (exponentials that underflow to subnormals and 0, a mean far from 0), against f64
//! references at every ISA level; and the same bits with plain and non-temporal stores.

mod reference;

use half::bf16;
use op_kernels::simd::{self, Element, rows};
use reference::{norm_ref, softmax_ref, supported_isas};

const LENGTHS: [usize; 8] = [1, 7, 8, 9, 31, 33, 4096, 4097];

/// Deterministic values in `[lo, hi)`.
fn uniform(n: usize, seed: u64, lo: f64, hi: f64) -> Vec<f64> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            lo + (hi - lo) * ((state >> 11) as f64 / (1u64 << 53) as f64)
        })
        .collect()
}

/// The inputs, by name: three rows of `cols` each.
fn cases(cols: usize) -> Vec<(&'static str, Vec<f64>)> {
    let n = 3 * cols;
    let mut masked = uniform(n, 2, -4.0, 4.0);
    for (i, v) in masked.iter_mut().enumerate() {
        // Every row keeps at least its first element finite.
        if i % cols != 0 && i % 3 == 1 {
            *v = f64::NEG_INFINITY;
        }
    }
    vec![
        ("uniform", uniform(n, 1, -3.0, 3.0)),
        ("all equal", vec![0.75; n]),
        ("masked with -inf", masked),
        ("large spread", uniform(n, 3, -300.0, 300.0)),
        ("far from zero", uniform(n, 4, 1e4, 1e4 + 1.0)),
    ]
}

fn log_softmax_ref(row: &[f64]) -> Vec<f64> {
    let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let s: f64 = row.iter().map(|v| (v - m).exp()).sum();
    row.iter().map(|v| v - m - s.ln()).collect()
}

/// `got` within `tol(j, want)` of `want`, or both the same special value.
fn check(what: &str, got: &[f64], want: &[f64], tol: impl Fn(usize, f64) -> f64) {
    for (j, (&g, &w)) in got.iter().zip(want).enumerate() {
        let ok = if w.is_finite() {
            (g - w).abs() <= tol(j, w)
        } else {
            g == w || (g.is_nan() && w.is_nan())
        };
        assert!(ok, "{what} j={j}: got {g:e}, want {w:e}");
    }
}

/// `rel`: the relative error allowed on top of the row statistics' (the result's rounding to `T`
/// included); `lane_eps`: the lane type's epsilon.
fn run_all<T: Element>(rel: f64, lane_eps: f64) {
    for isa in supported_isas() {
        simd::with_isa(isa, || {
            for cols in LENGTHS {
                let w64 = uniform(cols, 5, 0.5, 2.0);
                let b64 = uniform(cols, 6, -1.0, 1.0);
                let w: Vec<T> = w64.iter().map(|&v| T::from_f64(v)).collect();
                let b: Vec<T> = b64.iter().map(|&v| T::from_f64(v)).collect();
                let (w64, b64): (Vec<f64>, Vec<f64>) = (
                    w.iter().map(|v| v.to_f64()).collect(),
                    b.iter().map(|v| v.to_f64()).collect(),
                );
                for (name, x64) in cases(cols) {
                    let x: Vec<T> = x64.iter().map(|&v| T::from_f64(v)).collect();
                    let xr: Vec<f64> = x.iter().map(|v| v.to_f64()).collect();
                    let mut y = vec![T::default(); x.len()];
                    let what = |op: &str, r: usize| {
                        format!("{op} {} at {isa}, cols={cols}, {name}, row {r}", T::DTYPE)
                    };
                    rows::softmax(&x, cols, &mut y).unwrap();
                    for (r, row) in xr.chunks(cols).enumerate() {
                        let got: Vec<f64> =
                            y[r * cols..][..cols].iter().map(|v| v.to_f64()).collect();
                        // Relative to each result; results near the bottom of the exponent range
                        // (subnormal in f32, bf16) absolutely.
                        let floor = f32::MIN_POSITIVE as f64 * 64.0;
                        check(&what("softmax", r), &got, &softmax_ref(row), |_, w| {
                            rel * w.abs().max(floor)
                        });
                    }
                    rows::log_softmax(&x, cols, &mut y).unwrap();
                    for (r, row) in xr.chunks(cols).enumerate() {
                        let got: Vec<f64> =
                            y[r * cols..][..cols].iter().map(|v| v.to_f64()).collect();
                        // Absolute error of `max + ln Σ`, relative to the row's magnitude.
                        let mag = row
                            .iter()
                            .filter(|v| v.is_finite())
                            .fold(1.0f64, |m, v| m.max(v.abs()));
                        check(
                            &what("log_softmax", r),
                            &got,
                            &log_softmax_ref(row),
                            |_, w| rel * w.abs().max(mag),
                        );
                    }
                    if name == "masked with -inf" {
                        continue; // norms of rows holding -inf are NaN (rows_specials covers them)
                    }
                    rows::rms_norm(&x, cols, Some(&w), None, &mut y).unwrap();
                    let eps = f32::EPSILON as f64;
                    let eps = if T::DTYPE == "float64" {
                        f64::EPSILON
                    } else {
                        eps
                    };
                    for (r, row) in xr.chunks(cols).enumerate() {
                        let got: Vec<f64> =
                            y[r * cols..][..cols].iter().map(|v| v.to_f64()).collect();
                        let want = norm_ref(row, Some(&w64), None, eps, false);
                        check(&what("rms_norm", r), &got, &want, |_, w| {
                            rel * w.abs().max(1e-3)
                        });
                    }
                    rows::layer_norm(&x, cols, Some(&w), Some(&b), 1e-5, &mut y).unwrap();
                    for (r, row) in xr.chunks(cols).enumerate() {
                        let got: Vec<f64> =
                            y[r * cols..][..cols].iter().map(|v| v.to_f64()).collect();
                        let want = norm_ref(row, Some(&w64), Some(&b64), 1e-5, true);
                        // The documented bound: the mean's error, (n/(4·L) + 8)·ε·Σ|x|/n (L = 1 for
                        // the scalar level), shifts every `x - mean`, so by that over σ once
                        // normalised. Far from zero it dominates (in PyTorch's float kernel too).
                        let n = cols as f64;
                        let mean = row.iter().sum::<f64>() / n;
                        let sd =
                            (row.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n + 1e-5).sqrt();
                        let shift = (n / 4.0 + 8.0) * lane_eps * mean.abs() / sd;
                        check(&what("layer_norm", r), &got, &want, |j, w| {
                            rel * w.abs().max(1.0) + shift * w64[j].abs()
                        });
                    }
                }
            }
        })
        .unwrap();
    }
}

#[test]
fn rows_at_edge_lengths_f32() {
    run_all::<f32>(4e-6, f32::EPSILON as f64);
}

#[test]
fn rows_at_edge_lengths_f64() {
    run_all::<f64>(1e-12, f64::EPSILON);
}

#[test]
fn rows_at_edge_lengths_bf16() {
    // One rounding to bf16 (2^-9 relative) on top of the f32 computation.
    run_all::<bf16>(2f64.powi(-8), f32::EPSILON as f64);
}

/// Softmax keeps its exponentials in the output row (plain stores) or in a scratch row (non-temporal
/// stores): the results must be the same bits; likewise for the norms.
#[test]
fn rows_same_bits_with_and_without_streaming() {
    let cols = 4097;
    let x: Vec<f32> = uniform(5 * cols, 9, -20.0, 20.0)
        .into_iter()
        .map(|v| v as f32)
        .collect();
    let w: Vec<f32> = uniform(cols, 10, 0.5, 2.0)
        .into_iter()
        .map(|v| v as f32)
        .collect();
    let run = |mode| {
        simd::set_streaming(mode);
        let mut sm = vec![0.0f32; x.len()];
        rows::softmax(&x, cols, &mut sm).unwrap();
        let mut ln = vec![0.0f32; x.len()];
        rows::layer_norm(&x, cols, Some(&w), None, 1e-5, &mut ln).unwrap();
        simd::set_streaming(simd::Streaming::Auto);
        (sm, ln)
    };
    for isa in supported_isas() {
        simd::with_isa(isa, || {
            let (a, b) = (run(simd::Streaming::Never), run(simd::Streaming::Always));
            let same =
                |p: &[f32], q: &[f32]| p.iter().zip(q).all(|(u, v)| u.to_bits() == v.to_bits());
            assert!(same(&a.0, &b.0), "softmax at {isa}");
            assert!(same(&a.1, &b.1), "layer_norm at {isa}");
        })
        .unwrap();
    }
}

/// bf16 softmax results that are subnormal stay subnormal at every level, within one bf16 step of
/// the f64 reference: AVX512-BF16's rounding flushes subnormals, and rows whose results are all
/// normal skip the check for them (`softmax_normal` in the source), so this covers rows on both
/// sides of that bound, streamed or not.
#[test]
fn bf16_softmax_keeps_subnormal_results() {
    let cols = 200;
    // Row k: 0, then values spread down to -(80 + 4k): the smallest results run from well inside
    // the normal range (k = 0: e^-80) to deep into bf16's subnormals (k = 5: e^-100).
    let rows: Vec<f64> = (0..6)
        .flat_map(|k| {
            let low = 80.0 + 4.0 * k as f64;
            (0..cols).map(move |j| {
                if j == 0 {
                    0.0
                } else {
                    -low * (j as f64 / (cols - 1) as f64)
                }
            })
        })
        .collect();
    let x: Vec<bf16> = rows.iter().map(|&v| bf16::from_f64(v)).collect();
    let xr: Vec<f64> = x.iter().map(|v| v.to_f64()).collect();
    let want: Vec<f64> = xr.chunks(cols).flat_map(softmax_ref).collect();
    assert!(
        want.iter()
            .any(|&w| w > 0.0 && w < f32::MIN_POSITIVE as f64 / 4.0),
        "the rows reach the subnormals"
    );
    for isa in supported_isas() {
        for mode in [simd::Streaming::Never, simd::Streaming::Always] {
            simd::with_isa(isa, || {
                simd::set_streaming(mode);
                let mut y = vec![bf16::ZERO; x.len()];
                rows::softmax(&x, cols, &mut y).unwrap();
                simd::set_streaming(simd::Streaming::Auto);
                for (j, (g, &w)) in y.iter().zip(&want).enumerate() {
                    let (g, w) = (g.to_f64(), w);
                    // One bf16 step at w: 2^-8 relative, 2^-133 (the subnormal spacing) at least.
                    let step = (w * 2f64.powi(-7)).max(2f64.powi(-133));
                    assert!(
                        (g - w).abs() <= step,
                        "softmax bf16 at {isa}, {mode:?}, row {}, j {}: got {g:e}, want {w:e}",
                        j / cols,
                        j % cols
                    );
                }
            })
            .unwrap();
        }
    }
}
