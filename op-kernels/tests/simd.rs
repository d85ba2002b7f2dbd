//! Every kernel against an f64 reference, at every ISA level this CPU supports (forced in-process),
//! over all tail lengths, strided and broadcast layouts, NaN/±inf inputs and several thread counts.

mod reference;

use half::{bf16, f16};
use op_kernels::simd::{
    self, BinaryOp, Element, Isa, StridedSlice, StridedSliceMut, UnaryOp, ops, rows,
};
use reference::supported_isas;

/// Element types as the tests see them: ordered bit patterns for ULP distances.
trait TestElem: Element {
    fn ord(self) -> i128;
    fn is_nan(self) -> bool {
        self.to_f64().is_nan()
    }
}
impl TestElem for f32 {
    fn ord(self) -> i128 {
        let b = self.to_bits();
        if b >> 31 == 1 {
            -((b & 0x7fff_ffff) as i128)
        } else {
            b as i128
        }
    }
}
impl TestElem for f64 {
    fn ord(self) -> i128 {
        let b = self.to_bits();
        if b >> 63 == 1 {
            -((b & 0x7fff_ffff_ffff_ffff) as i128)
        } else {
            b as i128
        }
    }
}
impl TestElem for f16 {
    fn ord(self) -> i128 {
        let b = self.to_bits();
        if b >> 15 == 1 {
            -((b & 0x7fff) as i128)
        } else {
            b as i128
        }
    }
}
impl TestElem for bf16 {
    fn ord(self) -> i128 {
        let b = self.to_bits();
        if b >> 15 == 1 {
            -((b & 0x7fff) as i128)
        } else {
            b as i128
        }
    }
}

/// `got` within `ulps` of the reference rounded to `T`, or within `abs` of it.
fn close<T: TestElem>(got: T, want: f64, ulps: i128, abs: f64) -> bool {
    let w = T::from_f64(want);
    if w.is_nan() {
        return got.is_nan();
    }
    if got.is_nan() {
        return false;
    }
    (got.ord() - w.ord()).abs() <= ulps || (got.to_f64() - want).abs() <= abs
}

/// Half types: one rounding of an f32 result that is itself a few f32 ULP off; f32/f64 as given.
fn ulps_for<T: Element>(f32_ulps: i128) -> i128 {
    match T::DTYPE {
        "float16" | "bfloat16" => 1,
        "float64" => f32_ulps.max(1) * 4,
        _ => f32_ulps,
    }
}

fn eps<T: Element>() -> f64 {
    match T::DTYPE {
        "float16" => 2f64.powi(-10),
        "bfloat16" => 2f64.powi(-7),
        "float32" => 2f64.powi(-23),
        _ => 2f64.powi(-52),
    }
}

/// Deterministic pseudo-random values in `[lo, hi)`, with NaN, ±inf and ±0 sprinkled in.
fn data<T: Element>(n: usize, seed: u64, lo: f64, hi: f64) -> Vec<T> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|i| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            let v = match (i * 7 + seed as usize) % 61 {
                0 => f64::NAN,
                1 => f64::INFINITY,
                2 => f64::NEG_INFINITY,
                3 => 0.0,
                4 => -0.0,
                _ => lo + (hi - lo) * u,
            };
            T::from_f64(v)
        })
        .collect()
}

/// Runs `f` at every supported level, forced in-process.
fn each_isa(mut f: impl FnMut(Isa)) {
    for isa in supported_isas() {
        simd::with_isa(isa, || f(isa)).unwrap();
    }
}

fn check_unary<T: TestElem, Op: UnaryOp>(
    name: &str,
    op: &Op,
    reference: fn(f64) -> f64,
    f32_ulps: i128,
    abs_c: f64,
    lo: f64,
    hi: f64,
) {
    let ulps = ulps_for::<T>(f32_ulps);
    each_isa(|isa| {
        for n in 0..=257usize {
            // An offset start exercises every alignment of the body.
            let x = data::<T>(n + 3, n as u64, lo, hi);
            let x = &x[n % 4 % 3..][..n];
            let mut y = vec![T::default(); n];
            simd::unary(op, x, &mut y).unwrap();
            for (i, (&xi, &yi)) in x.iter().zip(&y).enumerate() {
                let want = reference(xi.to_f64());
                let abs = abs_c * eps::<T>() * xi.to_f64().abs().max(1.0);
                assert!(
                    close(yi, want, ulps, abs),
                    "{name} {} at {isa}: n={n} i={i} x={xi:?} got {yi:?} want {want:e}",
                    T::DTYPE
                );
            }
            // In place gives the same bits.
            let mut z = x.to_vec();
            simd::unary_inplace(op, &mut z);
            assert!(
                z.iter()
                    .zip(&y)
                    .all(|(a, b)| a.ord() == b.ord() || a.is_nan() && b.is_nan()),
                "{name} {} at {isa}: n={n}: in place {z:?}, out of place {y:?}",
                T::DTYPE
            );
        }
    });
}

fn gelu_erf_ref(x: f64) -> f64 {
    x * 0.5 * (1.0 + simd::erf_f64(x * std::f64::consts::FRAC_1_SQRT_2))
}
fn gelu_tanh_ref(x: f64) -> f64 {
    let beta = std::f64::consts::SQRT_2 * std::f64::consts::FRAC_2_SQRT_PI * 0.5;
    0.5 * x * (1.0 + (beta * (x + 0.044715 * x * x * x)).tanh())
}
fn sigmoid_ref(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}
fn relu_ref(x: f64) -> f64 {
    if x.is_nan() { x } else { x.max(0.0) }
}

fn unary_all<T: TestElem>() {
    check_unary::<T, _>("neg", &ops::Neg, |x| -x, 0, 0.0, -10.0, 10.0);
    check_unary::<T, _>("abs", &ops::Abs, f64::abs, 0, 0.0, -10.0, 10.0);
    check_unary::<T, _>("relu", &ops::Relu, relu_ref, 0, 0.0, -10.0, 10.0);
    check_unary::<T, _>("sqrt", &ops::Sqrt, f64::sqrt, 0, 0.0, -1.0, 100.0);
    check_unary::<T, _>("exp", &ops::Exp, f64::exp, 2, 0.0, -110.0, 95.0);
    check_unary::<T, _>("exp_small", &ops::Exp, f64::exp, 2, 0.0, -2.0, 2.0);
    check_unary::<T, _>("log", &ops::Log, f64::ln, 2, 0.0, -1.0, 1e6);
    check_unary::<T, _>("log_near_one", &ops::Log, f64::ln, 2, 0.0, 0.5, 2.0);
    check_unary::<T, _>("tanh", &ops::Tanh, f64::tanh, 3, 0.0, -12.0, 12.0);
    check_unary::<T, _>("tanh_small", &ops::Tanh, f64::tanh, 3, 0.0, -1.0, 1.0);
    check_unary::<T, _>("sigmoid", &ops::Sigmoid, sigmoid_ref, 4, 0.0, -30.0, 30.0);
    check_unary::<T, _>(
        "silu",
        &ops::Silu,
        |x| x * sigmoid_ref(x),
        5,
        0.0,
        -30.0,
        30.0,
    );
    check_unary::<T, _>("gelu_erf", &ops::GeluErf, gelu_erf_ref, 5, 8.0, -8.0, 8.0);
    check_unary::<T, _>(
        "gelu_tanh",
        &ops::GeluTanh,
        gelu_tanh_ref,
        5,
        8.0,
        -8.0,
        8.0,
    );
    check_unary::<T, _>("erf", &ErfOp, simd::erf_f64, 4, 0.0, -5.0, 5.0);
}

struct ErfOp;
impl UnaryOp for ErfOp {
    #[inline(always)]
    fn apply<S: simd::Simd>(&self, s: S, x: S::V) -> S::V {
        s.erf(x)
    }
}

#[test]
fn unary_f32() {
    unary_all::<f32>();
}
#[test]
fn unary_f64() {
    unary_all::<f64>();
}
#[test]
fn unary_f16() {
    unary_all::<f16>();
}
#[test]
fn unary_bf16() {
    unary_all::<bf16>();
}

fn check_binary<T: TestElem, Op: BinaryOp>(name: &str, op: &Op, reference: fn(f64, f64) -> f64) {
    let ulps = ulps_for::<T>(0);
    each_isa(|isa| {
        for n in 0..=257usize {
            let a = data::<T>(n, n as u64 + 1, -100.0, 100.0);
            let b = data::<T>(n, n as u64 + 1000, -100.0, 100.0);
            let mut y = vec![T::default(); n];
            simd::binary(op, &a, &b, &mut y).unwrap();
            for i in 0..n {
                let want = reference(a[i].to_f64(), b[i].to_f64());
                assert!(
                    close(y[i], want, ulps, 0.0),
                    "{name} {} at {isa}: n={n} i={i} {:?} {:?} got {:?} want {want:e}",
                    T::DTYPE,
                    a[i],
                    b[i],
                    y[i]
                );
            }
            let s = -2.5;
            simd::binary_scalar(op, &a, s, &mut y).unwrap();
            for i in 0..n {
                let want = reference(a[i].to_f64(), s);
                assert!(
                    close(y[i], want, ulps, 0.0),
                    "{name} scalar {} at {isa}: {:?} got {:?}",
                    T::DTYPE,
                    a[i],
                    y[i]
                );
            }
            simd::scalar_binary(op, s, &b, &mut y).unwrap();
            for i in 0..n {
                let want = reference(s, b[i].to_f64());
                assert!(
                    close(y[i], want, ulps, 0.0),
                    "scalar {name} {} at {isa}: {:?} got {:?}",
                    T::DTYPE,
                    b[i],
                    y[i]
                );
            }
        }
    });
}

fn nan_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}
fn nan_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

fn binary_all<T: TestElem>() {
    check_binary::<T, _>("add", &ops::Add, |a, b| a + b);
    check_binary::<T, _>("sub", &ops::Sub, |a, b| a - b);
    check_binary::<T, _>("mul", &ops::Mul, |a, b| a * b);
    check_binary::<T, _>("div", &ops::Div, |a, b| a / b);
    check_binary::<T, _>("maximum", &ops::Maximum, nan_max);
    check_binary::<T, _>("minimum", &ops::Minimum, nan_min);
}

#[test]
fn binary_f32() {
    binary_all::<f32>();
}
#[test]
fn binary_f64() {
    binary_all::<f64>();
}
#[test]
fn binary_f16() {
    binary_all::<f16>();
}
#[test]
fn binary_bf16() {
    binary_all::<bf16>();
}

#[test]
fn length_mismatch_is_an_error() {
    let mut y = [0.0f32; 2];
    assert!(ops::relu(&[1.0f32; 3], &mut y).is_err());
    assert!(ops::add(&[1.0f32; 2], &[1.0f32; 3], &mut y).is_err());
    assert!(rows::softmax(&[1.0f32; 3], 2, &mut [0.0; 3]).is_err());
    assert!(rows::rms_norm(&[1.0f32; 4], 2, Some(&[1.0f32; 3]), None, &mut [0.0; 4]).is_err());
}

/// Halves convert exactly like the `half` crate (correct rounding both ways), at every level.
#[test]
fn half_conversions_match_half_crate() {
    let bits: Vec<u16> = (0..=u16::MAX).collect();
    each_isa(|isa| {
        let x: Vec<f16> = bits.iter().map(|&b| f16::from_bits(b)).collect();
        let mut y = vec![f16::ZERO; x.len()];
        simd::unary(&ops::Neg, &x, &mut y).unwrap();
        for (a, b) in x.iter().zip(&y) {
            assert!(
                a.is_nan() && b.is_nan() || (-*a).to_bits() == b.to_bits(),
                "{isa} f16 {a:?} {b:?}"
            );
        }
        let x: Vec<bf16> = bits.iter().map(|&b| bf16::from_bits(b)).collect();
        let mut y = vec![bf16::ZERO; x.len()];
        simd::unary(&ops::Neg, &x, &mut y).unwrap();
        for (a, b) in x.iter().zip(&y) {
            assert!(
                a.is_nan() && b.is_nan() || (-*a).to_bits() == b.to_bits(),
                "{isa} bf16 {a:?} {b:?}"
            );
        }
        // f32 → half rounding: values between halves, ties, overflow, subnormals.
        let mut st = 12345u64;
        let xs: Vec<f32> = (0..20000)
            .map(|_| {
                st = st.wrapping_mul(6364136223846793005).wrapping_add(1);
                f32::from_bits((st >> 32) as u32)
            })
            .collect();
        let mut h = vec![f16::ZERO; xs.len()];
        let mut g = vec![bf16::ZERO; xs.len()];
        // Identity op: add 0 keeps every value (and -0 + 0 = 0 is excluded by using mul by 1).
        struct Id;
        impl UnaryOp for Id {
            #[inline(always)]
            fn apply<S: simd::Simd>(&self, _s: S, x: S::V) -> S::V {
                x
            }
        }
        // Convert by storing f32 lanes: go through f32 buffers → halves with a binary op on f32? The
        // element type fixes the storage, so compare via from_lane on each element instead.
        let xh: Vec<f16> = xs.iter().map(|&v| f16::from_f32(v)).collect();
        simd::unary(&Id, &xh, &mut h).unwrap();
        assert!(
            xh.iter()
                .zip(&h)
                .all(|(a, b)| a.to_bits() == b.to_bits() || a.is_nan() && b.is_nan())
        );
        let xg: Vec<bf16> = xs.iter().map(|&v| bf16::from_f32(v)).collect();
        simd::unary(&Id, &xg, &mut g).unwrap();
        assert!(
            xg.iter()
                .zip(&g)
                .all(|(a, b)| a.to_bits() == b.to_bits() || a.is_nan() && b.is_nan())
        );
        // Rounding itself: x * 1.0 + tiny offsets computed in f32 lanes, then rounded to half.
        let base: Vec<f16> = (0..4096u16).map(|b| f16::from_bits(b * 16 + 1)).collect();
        let mut out = vec![f16::ZERO; base.len()];
        simd::binary_scalar(&ops::Mul, &base, 1.0 + 1.0 / 4096.0, &mut out).unwrap();
        for (a, b) in base.iter().zip(&out) {
            let want = f16::from_f32(a.to_f32() * (1.0 + 1.0 / 4096.0));
            assert!(
                want.to_bits() == b.to_bits() || a.is_nan(),
                "{isa} {a:?} {b:?} {want:?}"
            );
        }
        let baseb: Vec<bf16> = (0..4096u16).map(|b| bf16::from_bits(b * 16 + 1)).collect();
        let mut outb = vec![bf16::ZERO; baseb.len()];
        simd::binary_scalar(&ops::Mul, &baseb, 1.0 + 1.0 / 512.0, &mut outb).unwrap();
        for (a, b) in baseb.iter().zip(&outb) {
            let want = bf16::from_f32(a.to_f32() * (1.0 + 1.0 / 512.0));
            assert!(
                want.to_bits() == b.to_bits() || a.is_nan(),
                "{isa} {a:?} {b:?} {want:?}"
            );
        }
    });
}

/// Elementwise results are bit-identical whatever the thread count and store policy.
#[test]
fn bit_identical_across_threads_and_streaming() {
    let n = (1 << 20) | 13;
    let x = data::<f32>(n, 7, -6.0, 6.0);
    let xh = data::<bf16>(n, 8, -6.0, 6.0);
    each_isa(|_| {
        let mut reference = vec![0.0f32; n];
        let mut reference_h = vec![bf16::ZERO; n];
        simd::set_num_threads(1);
        simd::set_streaming(simd::Streaming::Never);
        ops::gelu_tanh(&x, &mut reference).unwrap();
        ops::silu(&xh, &mut reference_h).unwrap();
        for threads in [2, 3, 8] {
            for mode in [simd::Streaming::Always, simd::Streaming::Auto] {
                simd::set_num_threads(threads);
                simd::set_streaming(mode);
                let mut y = vec![0.0f32; n];
                ops::gelu_tanh(&x, &mut y).unwrap();
                assert!(
                    y.iter()
                        .zip(&reference)
                        .all(|(a, b)| a.to_bits() == b.to_bits()),
                    "{threads} threads {mode:?}"
                );
                let mut yh = vec![bf16::ZERO; n];
                ops::silu(&xh, &mut yh).unwrap();
                assert!(
                    yh.iter()
                        .zip(&reference_h)
                        .all(|(a, b)| a.to_bits() == b.to_bits()),
                    "{threads} threads {mode:?}"
                );
            }
        }
        // Reductions: deterministic, the same for every thread count.
        let cols = 1000;
        let rows_n = x.len() / cols;
        simd::set_num_threads(1);
        let mut r1 = vec![0.0f32; rows_n];
        rows::sum_rows(&x[..rows_n * cols], cols, &mut r1).unwrap();
        let mut s1 = vec![0.0f32; rows_n * cols];
        rows::softmax(&x[..rows_n * cols], cols, &mut s1).unwrap();
        for threads in [2, 3, 8] {
            simd::set_num_threads(threads);
            let mut r = vec![0.0f32; rows_n];
            rows::sum_rows(&x[..rows_n * cols], cols, &mut r).unwrap();
            assert!(r.iter().zip(&r1).all(|(a, b)| a.to_bits() == b.to_bits()));
            let mut s = vec![0.0f32; rows_n * cols];
            rows::softmax(&x[..rows_n * cols], cols, &mut s).unwrap();
            assert!(s.iter().zip(&s1).all(|(a, b)| a.to_bits() == b.to_bits()));
        }
    });
    simd::set_num_threads(0);
    simd::set_streaming(simd::Streaming::Auto);
}

/// Strided and broadcast layouts against an index-by-index reference.
fn strided_case<T: TestElem>(
    shape: &[usize],
    a_strides: &[isize],
    b_shape: &[usize],
    out_strides: &[isize],
    isa: Isa,
) {
    let span = |shape: &[usize], strides: &[isize]| -> (usize, usize) {
        let (mut lo, mut hi) = (0isize, 0isize);
        for (&n, &s) in shape.iter().zip(strides) {
            let r = (n as isize - 1).max(0) * s;
            if r < 0 { lo += r } else { hi += r }
        }
        ((-lo) as usize, (hi - lo) as usize + 1)
    };
    let (a_off, a_len) = span(shape, a_strides);
    let a_data = data::<T>(a_len, 3, -4.0, 4.0);
    let a = StridedSlice::new(&a_data, a_off, shape, a_strides).unwrap();
    let b_data = data::<T>(b_shape.iter().product(), 5, -4.0, 4.0);
    let b = StridedSlice::contiguous(&b_data, b_shape).unwrap();
    let (o_off, o_len) = span(shape, out_strides);
    let mut o_data = vec![T::default(); o_len];
    {
        let mut o = StridedSliceMut::new(&mut o_data, o_off, shape, out_strides).unwrap();
        simd::binary_strided(&ops::Mul, &a, &b, &mut o).unwrap();
    }
    let mut o2_data = vec![T::default(); o_len];
    {
        let mut o2 = StridedSliceMut::new(&mut o2_data, o_off, shape, out_strides).unwrap();
        simd::unary_strided(&ops::Tanh, &a, &mut o2).unwrap();
    }
    let o = StridedSlice::new(&o_data, o_off, shape, out_strides).unwrap();
    let o2 = StridedSlice::new(&o2_data, o_off, shape, out_strides).unwrap();
    let bb = b.broadcast_to(shape).unwrap();
    let numel: usize = shape.iter().product();
    let mut idx = vec![0usize; shape.len()];
    for _ in 0..numel {
        let (x, y) = (a.get(&idx), bb.get(&idx));
        let want = x.to_f64() * y.to_f64();
        assert!(
            close(o.get(&idx), want, ulps_for::<T>(0), 0.0),
            "{isa} {shape:?} {a_strides:?} {b_shape:?} {out_strides:?} at {idx:?}"
        );
        assert!(
            close(o2.get(&idx), x.to_f64().tanh(), ulps_for::<T>(3), 0.0),
            "tanh {isa} {shape:?} at {idx:?}"
        );
        for k in (0..shape.len()).rev() {
            idx[k] += 1;
            if idx[k] < shape[k] {
                break;
            }
            idx[k] = 0;
        }
    }
}

fn strided_all<T: TestElem>() {
    each_isa(|isa| {
        for n in [0usize, 1, 5, 8, 17, 33] {
            // contiguous, reversed, broadcast row, broadcast column, transposed output, strided input.
            strided_case::<T>(&[3, n], &[n as isize, 1], &[n], &[n as isize, 1], isa);
            strided_case::<T>(
                &[3, n],
                &[-(n as isize), -1],
                &[3, 1],
                &[n as isize, 1],
                isa,
            );
            strided_case::<T>(&[3, n], &[0, 1], &[1, n], &[1, 3], isa);
            strided_case::<T>(
                &[2, 3, n],
                &[1, 2, 6],
                &[3, 1],
                &[3 * n as isize, n as isize, 1],
                isa,
            );
            strided_case::<T>(
                &[4, n],
                &[2 * n as isize, 2],
                &[4, n],
                &[-(n as isize), -1],
                isa,
            );
            strided_case::<T>(&[n, 2], &[0, 0], &[], &[2, 1], isa);
            strided_case::<T>(
                &[2, 1, n, 3],
                &[1, 7, 2, -5],
                &[1, 3],
                &[3 * n as isize, 99, 3, 1],
                isa,
            );
        }
    });
}

#[test]
fn strided_f32() {
    strided_all::<f32>();
}
#[test]
fn strided_f64() {
    strided_all::<f64>();
}
#[test]
fn strided_f16() {
    strided_all::<f16>();
}
#[test]
fn strided_bf16() {
    strided_all::<bf16>();
}

#[test]
fn strided_large_is_threaded_and_exact() {
    let (r, c) = (700usize, 1001usize);
    let a_data = data::<f32>(r * c, 1, -3.0, 3.0);
    let b_data = data::<f32>(r, 2, -3.0, 3.0);
    // a transposed, b broadcast along columns.
    let a = StridedSlice::new(&a_data, 0, &[c, r], &[1, c as isize]).unwrap();
    let b = StridedSlice::new(&b_data, 0, &[r], &[1]).unwrap();
    let mut reference = vec![0.0f32; r * c];
    simd::set_num_threads(1);
    let mut o = StridedSliceMut::contiguous(&mut reference, &[c, r]).unwrap();
    simd::binary_strided(&ops::Add, &a, &b, &mut o).unwrap();
    for i in 0..c {
        for j in 0..r {
            let (got, want) = (reference[i * r + j], a_data[j * c + i] + b_data[j]);
            assert!(got == want || got.is_nan() && want.is_nan(), "{got} {want}");
        }
    }
    simd::set_num_threads(3);
    let mut y = vec![0.0f32; r * c];
    let mut o = StridedSliceMut::contiguous(&mut y, &[c, r]).unwrap();
    simd::binary_strided(&ops::Add, &a, &b, &mut o).unwrap();
    simd::set_num_threads(0);
    assert!(
        y.iter()
            .zip(&reference)
            .all(|(p, q)| p.to_bits() == q.to_bits())
    );
}

fn row_refs(x: &[f64]) -> (f64, f64, f64, f64) {
    let sum: f64 = x.iter().sum();
    let max = x.iter().fold(f64::NEG_INFINITY, |m, &v| nan_max(m, v));
    let min = x.iter().fold(f64::INFINITY, |m, &v| nan_min(m, v));
    (sum, sum / x.len() as f64, max, min)
}

fn rows_all<T: TestElem>() {
    each_isa(|isa| {
        for cols in (0..=67).chain([127, 128, 129, 255, 256, 257, 1000]) {
            let rows_n = 3;
            // Finite data for the value checks; rows with specials checked separately.
            let x: Vec<T> = data::<T>(rows_n * cols, cols as u64, -3.0, 3.0)
                .into_iter()
                .map(|v| {
                    if v.to_f64().is_finite() {
                        v
                    } else {
                        T::from_f64(0.5)
                    }
                })
                .collect();
            let mut sums = vec![T::default(); rows_n];
            let mut means = vec![T::default(); rows_n];
            let mut maxs = vec![T::default(); rows_n];
            let mut mins = vec![T::default(); rows_n];
            rows::sum_rows(&x, cols, &mut sums).unwrap();
            rows::mean_rows(&x, cols, &mut means).unwrap();
            rows::max_rows(&x, cols, &mut maxs).unwrap();
            rows::min_rows(&x, cols, &mut mins).unwrap();
            let lane_eps = if T::DTYPE == "float64" {
                2f64.powi(-52)
            } else {
                2f64.powi(-23)
            };
            for r in 0..rows_n {
                let row: Vec<f64> = x[r * cols..][..cols].iter().map(|v| v.to_f64()).collect();
                let (s, m, mx, mn) = row_refs(&row);
                let abs_sum: f64 = row.iter().map(|v| v.abs()).sum();
                let tol = (cols as f64 / 8.0 + 8.0) * lane_eps * abs_sum;
                assert!(
                    close(sums[r], s, ulps_for::<T>(0), tol),
                    "sum {} {isa} cols={cols}: {:?} vs {s}",
                    T::DTYPE,
                    sums[r]
                );
                assert!(
                    close(means[r], m, ulps_for::<T>(1), tol / cols.max(1) as f64),
                    "mean {} {isa} cols={cols}",
                    T::DTYPE
                );
                assert!(
                    close(maxs[r], mx, 0, 0.0),
                    "max {} {isa} cols={cols}",
                    T::DTYPE
                );
                assert!(
                    close(mins[r], mn, 0, 0.0),
                    "min {} {isa} cols={cols}",
                    T::DTYPE
                );
            }
            if cols == 0 {
                continue;
            }
            let mut y = vec![T::default(); x.len()];
            rows::softmax(&x, cols, &mut y).unwrap();
            let mut ly = vec![T::default(); x.len()];
            rows::log_softmax(&x, cols, &mut ly).unwrap();
            let w = data::<T>(cols, 99, 0.5, 2.0)
                .into_iter()
                .map(|v| {
                    if v.to_f64().is_finite() {
                        v
                    } else {
                        T::from_f64(1.0)
                    }
                })
                .collect::<Vec<_>>();
            let bias = data::<T>(cols, 98, -1.0, 1.0)
                .into_iter()
                .map(|v| {
                    if v.to_f64().is_finite() {
                        v
                    } else {
                        T::from_f64(0.0)
                    }
                })
                .collect::<Vec<_>>();
            let mut rn = vec![T::default(); x.len()];
            rows::rms_norm(&x, cols, Some(&w), None, &mut rn).unwrap();
            let mut ln = vec![T::default(); x.len()];
            rows::layer_norm(&x, cols, Some(&w), Some(&bias), 1e-5, &mut ln).unwrap();
            let mut ln0 = vec![T::default(); x.len()];
            rows::layer_norm(&x, cols, None, None, 1e-5, &mut ln0).unwrap();
            let rms_eps = if T::DTYPE == "float64" {
                f64::EPSILON
            } else {
                f32::EPSILON as f64
            };
            for r in 0..rows_n {
                let row: Vec<f64> = x[r * cols..][..cols].iter().map(|v| v.to_f64()).collect();
                let mx = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let se: f64 = row.iter().map(|v| (v - mx).exp()).sum();
                let ms: f64 = row.iter().map(|v| v * v).sum::<f64>() / cols as f64;
                let mean = row.iter().sum::<f64>() / cols as f64;
                let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / cols as f64;
                for j in 0..cols {
                    let i = r * cols + j;
                    let sm = (row[j] - mx).exp() / se;
                    let tol_rel = if T::DTYPE == "float64" { 1e-13 } else { 2e-6 };
                    assert!(
                        close(y[i], sm, ulps_for::<T>(4), tol_rel * sm),
                        "softmax {} {isa} cols={cols} j={j}: {:?} vs {sm}",
                        T::DTYPE,
                        y[i]
                    );
                    let lsm = row[j] - mx - se.ln();
                    assert!(
                        close(ly[i], lsm, ulps_for::<T>(4), tol_rel * (1.0 + row[j].abs())),
                        "log_softmax {} {isa} cols={cols}",
                        T::DTYPE
                    );
                    let want = row[j] / (ms + rms_eps).sqrt() * w[j].to_f64();
                    assert!(
                        close(rn[i], want, ulps_for::<T>(4), tol_rel * (1.0 + want.abs())),
                        "rms_norm {} {isa} cols={cols} j={j}: {:?} vs {want}",
                        T::DTYPE,
                        rn[i]
                    );
                    let n0 = (row[j] - mean) / (var + 1e-5).sqrt();
                    let want = n0 * w[j].to_f64() + bias[j].to_f64();
                    assert!(
                        close(
                            ln[i],
                            want,
                            ulps_for::<T>(4),
                            tol_rel * 4.0 * (1.0 + n0.abs() * 2.0)
                        ),
                        "layer_norm {} {isa} cols={cols} j={j}: {:?} vs {want}",
                        T::DTYPE,
                        ln[i]
                    );
                    assert!(
                        close(
                            ln0[i],
                            n0,
                            ulps_for::<T>(4),
                            tol_rel * 4.0 * (1.0 + n0.abs())
                        ),
                        "layer_norm (no affine) {} {isa} cols={cols}",
                        T::DTYPE
                    );
                }
            }
        }
    });
}

#[test]
fn rows_f32() {
    rows_all::<f32>();
}
#[test]
fn rows_f64() {
    rows_all::<f64>();
}
#[test]
fn rows_f16() {
    rows_all::<f16>();
}
#[test]
fn rows_bf16() {
    rows_all::<bf16>();
}

/// NaN and infinities behave like PyTorch in reductions and softmax.
#[test]
fn rows_specials() {
    each_isa(|isa| {
        for cols in [1usize, 7, 8, 9, 33, 100] {
            for pos in [0, cols / 2, cols - 1] {
                let mut x = vec![1.0f32; cols];
                x[pos] = f32::NAN;
                let mut o = [0.0f32];
                rows::max_rows(&x, cols, &mut o).unwrap();
                assert!(o[0].is_nan(), "{isa} max with NaN");
                rows::min_rows(&x, cols, &mut o).unwrap();
                assert!(o[0].is_nan(), "{isa} min with NaN");
                rows::sum_rows(&x, cols, &mut o).unwrap();
                assert!(o[0].is_nan());
                let mut y = vec![0.0f32; cols];
                rows::softmax(&x, cols, &mut y).unwrap();
                assert!(y.iter().all(|v| v.is_nan()), "{isa} softmax with NaN");
                x[pos] = f32::INFINITY;
                rows::max_rows(&x, cols, &mut o).unwrap();
                assert_eq!(o[0], f32::INFINITY);
                rows::softmax(&x, cols, &mut y).unwrap();
                assert!(
                    y.iter().all(|v| v.is_nan()),
                    "{isa} softmax with +inf (PyTorch gives NaN)"
                );
                x[pos] = f32::NEG_INFINITY;
                rows::softmax(&x, cols, &mut y).unwrap();
                if cols > 1 {
                    assert_eq!(y[pos], 0.0);
                    assert!((y.iter().sum::<f32>() - 1.0).abs() < 1e-5);
                }
                rows::log_softmax(&x, cols, &mut y).unwrap();
                if cols > 1 {
                    assert_eq!(y[pos], f32::NEG_INFINITY);
                }
            }
        }
        let mut o = [0.0f32];
        rows::mean_rows::<f32>(&[], 0, &mut o).unwrap();
        assert!(o[0].is_nan());
        rows::max_rows::<f32>(&[], 0, &mut o).unwrap();
        assert_eq!(o[0], f32::NEG_INFINITY);
    });
}

/// A user op in a few lines, through every path.
#[test]
fn user_op() {
    struct LeakyRelu(f64);
    impl UnaryOp for LeakyRelu {
        #[inline(always)]
        fn apply<S: simd::Simd>(&self, s: S, x: S::V) -> S::V {
            let neg = s.lt(x, s.constant(0.0));
            s.select(neg, s.mul(x, s.constant(self.0)), x)
        }
    }
    each_isa(|_| {
        let x: Vec<bf16> = data(100, 1, -5.0, 5.0);
        let mut y = vec![bf16::ZERO; 100];
        simd::unary(&LeakyRelu(0.125), &x, &mut y).unwrap();
        for (a, b) in x.iter().zip(&y) {
            let want = if a.to_f32() < 0.0 {
                a.to_f64() * 0.125
            } else {
                a.to_f64()
            };
            assert!(close(*b, want, 0, 0.0));
        }
    });
}

#[test]
fn erf_f64_reference_values() {
    // Values from the defining integral (Abramowitz & Stegun table 7.1, extended precision).
    for (x, want) in [
        (0.5, 0.520_499_877_813_046_5),
        (1.0, 0.842_700_792_949_714_9),
        (2.0, 0.995_322_265_018_952_7),
        (3.5, 0.999_999_256_901_627_7),
        (1e-10, 1.128_379_167_095_512_6e-10),
    ] {
        assert!(
            (simd::erf_f64(x) - want).abs() <= 1e-15 * want,
            "erf({x}) = {:e}",
            simd::erf_f64(x) - want
        );
        assert!((simd::erf_f64(-x) + want).abs() <= 1e-15 * want);
    }
    assert_eq!(simd::erf_f64(f64::INFINITY), 1.0);
    assert!(simd::erf_f64(f64::NAN).is_nan());
}

/// `OPKIT_ISA` is honoured: the test re-runs itself with the variable set.
#[test]
fn env_override() {
    if let Ok(want) = std::env::var("OPKIT_TEST_EXPECT_ISA") {
        assert_eq!(Isa::active().name(), want);
        return;
    }
    let exe = std::env::current_exe().unwrap();
    for (set, expect) in [
        ("scalar", "scalar"),
        ("avx512", Isa::detect().name()),
        ("nonsense", Isa::detect().name()),
    ] {
        let expect = if set == "avx512" && Isa::Avx512.is_supported() {
            "avx512"
        } else {
            expect
        };
        let status = std::process::Command::new(&exe)
            .args(["--exact", "env_override", "--test-threads=1", "--nocapture"])
            .env("OPKIT_ISA", set)
            .env("OPKIT_TEST_EXPECT_ISA", expect)
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "OPKIT_ISA={set}: {}",
            String::from_utf8_lossy(&status.stdout)
        );
        if set == "avx512" && !Isa::Avx512.is_supported() {
            assert!(String::from_utf8_lossy(&status.stderr).contains("not supported"));
        }
    }
}

/// The staged ops ([`UnaryOp::staged`]: exp, sigmoid, silu, tanh and gelu(tanh) for halves and at
/// AVX-512 for f32, gelu(none) always and in three stages) give, at every level, the bits of
/// their one-step form (each element on its own, which the pipelined driver never stages),
/// whatever the output's alignment and length and whether the driver streams: the streaming
/// driver peels to an aligned address first, and the pipelines have a first block, a last block
/// (one block alone for the three-stage one between 4 and 8 vectors) and a tail after them.
#[test]
fn staged_op_exact_at_any_alignment() {
    type OpFn<T> = fn(&[T], &mut [T]) -> Result<(), simd::SimdError>;
    fn check<T: TestElem>(isa: Isa) {
        let x = data::<T>(300, 11, -8.0, 8.0);
        let staged: [(&str, OpFn<T>); 6] = [
            ("exp", ops::exp::<T>),
            ("sigmoid", ops::sigmoid::<T>),
            ("silu", ops::silu::<T>),
            ("tanh", ops::tanh::<T>),
            ("gelu(tanh)", ops::gelu_tanh::<T>),
            ("gelu(none)", ops::gelu_erf::<T>),
        ];
        for (name, op) in staged {
            let mut one = vec![T::default(); x.len()];
            for i in 0..x.len() {
                op(&x[i..i + 1], &mut one[i..i + 1]).unwrap();
            }
            for mode in [simd::Streaming::Always, simd::Streaming::Never] {
                simd::set_streaming(mode);
                for off in 0..33 {
                    for n in [40, 64, 100, 128, 140, 200, 300 - off] {
                        let mut y = vec![T::default(); n + off];
                        op(&x[..n], &mut y[off..]).unwrap();
                        for i in 0..n {
                            let (a, b) = (y[off + i], one[i]);
                            assert!(
                                a.ord() == b.ord() || a.is_nan() && b.is_nan(),
                                "{name} {} at {isa}, {mode:?}, offset {off}, n {n}, i {i}: \
                                 {a:?} vs {b:?}",
                                T::DTYPE
                            );
                        }
                    }
                }
            }
        }
        simd::set_streaming(simd::Streaming::Auto);
    }
    each_isa(|isa| {
        check::<f32>(isa);
        check::<f16>(isa);
        check::<bf16>(isa);
        check::<f64>(isa);
    });
}

/// A half row's mean is its f64 mean rounded once to the half type. Rounded through f32 first, a
/// mean just past a tie of f16/bf16 lands exactly on the tie and then rounds to even, a step short.
/// Rows of `n` (odd) values `1` or `1 + step` whose mean is `1 + step/2 ± step/(2n)`: with `n`
/// beyond f32's extra precision, the f32 mean is the tie itself. Their f32 sums are exact.
fn half_means_round_once<T: TestElem + PartialEq + std::fmt::Debug>(
    n: usize,
    step: f64,
    once: fn(f64) -> T,
    from_f32: fn(f32) -> T,
) {
    let (one, up) = (once(1.0), once(1.0 + step));
    // Row 0: (n + 1) / 2 values up, the mean just past the tie; row 1: (n - 1) / 2, just short.
    let x: Vec<T> = (0..2 * n)
        .map(|i| {
            let (r, c) = (i / n, i % n);
            if c < n.div_ceil(2) - r { up } else { one }
        })
        .collect();
    let exact = [
        1.0 + step / 2.0 + step / (2 * n) as f64,
        1.0 + step / 2.0 - step / (2 * n) as f64,
    ];
    let expected = exact.map(once);
    assert_eq!(expected, [up, one]);
    // Through f32, row 0 comes out a step short: the case this test is for.
    assert_eq!(
        from_f32(exact[0] as f32),
        one,
        "{}: not a near tie",
        T::DTYPE
    );
    each_isa(|isa| {
        let mut means = vec![T::default(); 2];
        rows::mean_rows(&x, n, &mut means).unwrap();
        assert_eq!(means, expected, "{} means at {isa}", T::DTYPE);
    });
}

#[test]
fn f16_means_round_once() {
    half_means_round_once::<f16>(
        10_001,
        2f64.powi(-10),
        op_runtime::f16_from_f64,
        f16::from_f32,
    );
}

#[test]
fn bf16_means_round_once() {
    half_means_round_once::<bf16>(
        65_537,
        2f64.powi(-7),
        op_runtime::bf16_from_f64,
        bf16::from_f32,
    );
}
