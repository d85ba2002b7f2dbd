//! Reductions (`sum`, `mean`), `softmax`/`log_softmax` and the norms against f64 references
//! computed here: several shapes, every dim (and sets of dims), strided inputs, every float dtype,
//! NaN/inf, the error cases, and each ISA level.

mod ops_support;
mod reference;

use op_kernels::ops;
use op_kernels::simd::{self, Isa};
use op_runtime::{DType, Device, Error, Tensor};
use ops_support::{FLOATS, assert_close, layouts, tensor, values};
use reference::{norm_ref, softmax_ref};

/// Reduces `x` (row-major `shape`) over `dims` with `f` on each group, the result in row-major order
/// of the kept dims.
fn reduce_ref(x: &[f64], shape: &[usize], dims: &[usize], f: impl Fn(&[f64]) -> f64) -> Vec<f64> {
    let kept: Vec<usize> = (0..shape.len()).filter(|d| !dims.contains(d)).collect();
    let nk: usize = kept.iter().map(|&d| shape[d]).product();
    let mut groups = vec![Vec::new(); nk];
    for (flat, &v) in x.iter().enumerate() {
        let (mut rem, mut key, mut mul) = (flat, 0, 1);
        let mut idx = vec![0; shape.len()];
        for d in (0..shape.len()).rev() {
            idx[d] = rem % shape[d];
            rem /= shape[d];
        }
        for &d in kept.iter().rev() {
            key += idx[d] * mul;
            mul *= shape[d];
        }
        groups[key].push(v);
    }
    groups.iter().map(|g| f(g)).collect()
}

/// Tolerance of a sum in ULPs of the result, from the bound in `ops::reduce`'s docs.
fn sum_ulps(dtype: DType, n: usize, abs_sum: f64, sum: f64) -> (f64, f64) {
    let eps = match dtype {
        DType::F64 => 2f64.powi(-53),
        _ => 2f64.powi(-24),
    };
    (
        1.0,
        (n as f64 / 16.0 + 8.0) * eps * abs_sum + sum.abs() * 0.0,
    )
}

#[test]
fn sum_and_mean_over_any_dims() {
    let shape = [3usize, 4, 5];
    let dim_sets: [&[i64]; 7] = [&[0], &[1], &[2], &[-1], &[0, 2], &[1, 0], &[0, 1, 2]];
    for dtype in FLOATS {
        let v = values(60, 3, 4.0);
        let x = tensor(&v, &shape, dtype);
        let xv = x.to_vec_f64().unwrap();
        let abs_sum: f64 = xv.iter().map(|v| v.abs()).sum();
        for dims in dim_sets {
            let wrapped: Vec<usize> = dims.iter().map(|&d| d.rem_euclid(3) as usize).collect();
            for keepdim in [false, true] {
                let s = ops::sum::call(&x, Some(dims), keepdim, None).unwrap();
                let m = ops::mean::call(&x, Some(dims), keepdim, None).unwrap();
                let expect_shape: Vec<usize> = (0..3)
                    .filter_map(|d| match (wrapped.contains(&d), keepdim) {
                        (false, _) => Some(shape[d]),
                        (true, true) => Some(1),
                        (true, false) => None,
                    })
                    .collect();
                assert_eq!(s.shape(), expect_shape.as_slice(), "{dims:?} {keepdim}");
                assert_eq!(m.shape(), expect_shape.as_slice());
                let want_s = reduce_ref(&xv, &shape, &wrapped, |g| g.iter().sum());
                let want_m = reduce_ref(&xv, &shape, &wrapped, |g| {
                    g.iter().sum::<f64>() / g.len() as f64
                });
                let (u, abs) = sum_ulps(dtype, 60, abs_sum, 0.0);
                let what = format!("sum {dims:?} keepdim={keepdim}");
                assert_close(&s.to_vec_f64().unwrap(), &want_s, dtype, u, abs, &what);
                assert_close(
                    &m.to_vec_f64().unwrap(),
                    &want_m,
                    dtype,
                    u + 0.5,
                    abs,
                    &what,
                );
            }
        }
        // dim=None and dim=[] reduce everything.
        let all = ops::sum::call(&x, None, false, None).unwrap();
        assert_eq!(all.shape(), &[] as &[usize]);
        let empty = ops::sum::call(&x, Some(&[]), true, None).unwrap();
        assert_eq!(empty.shape(), &[1, 1, 1]);
        // Strided inputs: same values, same result.
        for (layout, t) in layouts(&v[..20], [4, 5], dtype) {
            let want =
                ops::sum::call(&tensor(&v[..20], &[4, 5], dtype), Some(&[0]), false, None).unwrap();
            let got = ops::sum::call(&t, Some(&[0]), false, None).unwrap();
            assert_eq!(
                got.to_vec_f64().unwrap(),
                want.to_vec_f64().unwrap(),
                "sum {layout}"
            );
        }
    }
}

#[test]
fn sum_rows_of_every_length() {
    for dtype in FLOATS {
        for n in 0..=257 {
            let x = tensor(&values(2 * n, n as u64, 2.0), &[2, n], dtype);
            let xv = x.to_vec_f64().unwrap();
            let got = ops::sum::call(&x, Some(&[1]), false, None).unwrap();
            let want = reduce_ref(&xv, &[2, n], &[1], |g| g.iter().sum());
            let abs_sum: f64 = xv.iter().map(|v| v.abs()).sum();
            let (u, abs) = sum_ulps(dtype, n, abs_sum, 0.0);
            assert_close(
                &got.to_vec_f64().unwrap(),
                &want,
                dtype,
                u,
                abs,
                &format!("sum n={n}"),
            );
            let mean = ops::mean::call(&x, Some(&[1]), false, None)
                .unwrap()
                .to_vec_f64()
                .unwrap();
            if n == 0 {
                assert!(mean.iter().all(|m| m.is_nan()), "mean of nothing is NaN");
            }
        }
    }
}

#[test]
fn reduction_dtypes_and_errors() {
    let i = Tensor::from_vec(vec![i32::MAX, 1, -5, 7], &[2, 2]).unwrap();
    let s = ops::sum::call(&i, Some(&[0]), false, None).unwrap();
    assert_eq!(s.dtype(), DType::I64);
    assert_eq!(s.to_vec::<i64>().unwrap(), vec![i32::MAX as i64 - 5, 8]);
    let b = Tensor::from_vec(vec![true, true, false], &[3]).unwrap();
    assert_eq!(
        ops::sum::call(&b, None, false, None)
            .unwrap()
            .to_vec::<i64>()
            .unwrap(),
        vec![2]
    );
    let f = ops::sum::call(&i, None, false, Some(DType::F64)).unwrap();
    assert_eq!(f.to_vec::<f64>().unwrap(), vec![i32::MAX as f64 + 3.0]);
    let h = tensor(&[1.0; 4096], &[4096], DType::BF16);
    // Accumulates in f32: 4096 ones sum exactly (a bf16 accumulator would stall at 256).
    assert_eq!(
        ops::sum::call(&h, None, false, None)
            .unwrap()
            .to_vec_f64()
            .unwrap(),
        vec![4096.0]
    );
    assert!(matches!(
        ops::mean::call(&i, None, false, None),
        Err(Error::InvalidArgument(_))
    ));
    let m = ops::mean::call(&i, Some(&[1]), true, Some(DType::F32)).unwrap();
    assert_eq!(
        m.to_vec::<f32>().unwrap(),
        vec![(i32::MAX as f64 + 1.0) as f32 / 2.0, 1.0]
    );
    assert!(matches!(
        ops::sum::call(&i, Some(&[2]), false, None),
        Err(Error::DimOutOfRange { .. })
    ));
    assert!(ops::sum::call(&i, Some(&[1, -1]), false, None).is_err());
    // 0-d tensors reduce over dim 0 or -1 to themselves.
    let z = Tensor::from_vec(vec![2.5f32], &[]).unwrap();
    assert_eq!(
        ops::sum::call(&z, Some(&[-1]), false, None)
            .unwrap()
            .to_vec::<f32>()
            .unwrap(),
        vec![2.5]
    );
    // NaN and inf propagate.
    let x = tensor(
        &[
            1.0,
            f64::NAN,
            f64::INFINITY,
            1.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ],
        &[3, 2],
        DType::F32,
    );
    let s = ops::sum::call(&x, Some(&[1]), false, None)
        .unwrap()
        .to_vec::<f32>()
        .unwrap();
    assert!(s[0].is_nan() && s[1] == f32::INFINITY && s[2].is_nan());
}

/// `mean(dtype=float16/bfloat16)` of a wider input averages the input as it is (PyTorch), and
/// `sum(dtype=bool)` is a logical or. Values from PyTorch 2.15.
#[test]
fn reductions_into_narrow_dtypes() {
    let x = Tensor::from_vec(vec![1.003f32, 1.006], &[2]).unwrap();
    let m = ops::mean::call(&x, Some(&[0]), false, Some(DType::BF16)).unwrap();
    assert_eq!(m.dtype(), DType::BF16);
    // Converted first, 1.0 and 1.0078125 would average to a tie, rounded to 1.0.
    assert_eq!(m.to_vec_f64().unwrap(), vec![1.0078125]);
    // Converted first, 70000 would be inf in float16; as integers they average to 0.5.
    let i = Tensor::from_vec(vec![70000i64, -69999], &[2]).unwrap();
    for x in [
        i.clone(),
        i.to_dtype(DType::F32).unwrap(),
        i.to_dtype(DType::F64).unwrap(),
    ] {
        let m = ops::mean::call(&x, None, false, Some(DType::F16)).unwrap();
        assert_eq!(
            (m.dtype(), m.to_vec_f64().unwrap()),
            (DType::F16, vec![0.5])
        );
    }
    // sum converts first, as PyTorch: inf + -inf.
    let s = ops::sum::call(
        &i.to_dtype(DType::F32).unwrap(),
        None,
        false,
        Some(DType::F16),
    )
    .unwrap();
    assert!(s.to_vec_f64().unwrap()[0].is_nan());
    // Over rows, keepdim, and a half input whose own dtype needs nothing wider.
    let x = tensor(&values(3 * 50, 4, 2.0), &[3, 50], DType::F32);
    let want: Vec<f64> = x
        .to_vec_f64()
        .unwrap()
        .chunks(50)
        .map(|r| f64::from(half::f16::from_f32((r.iter().sum::<f64>() / 50.0) as f32)))
        .collect();
    let m = ops::mean::call(&x, Some(&[1]), true, Some(DType::F16)).unwrap();
    assert_eq!(m.shape(), &[3, 1]);
    assert_close(
        &m.to_vec_f64().unwrap(),
        &want,
        DType::F16,
        1.0,
        0.0,
        "mean f16 of f32 rows",
    );

    let b = Tensor::from_vec(vec![0.0f32, 0.0, f32::NAN, 0.0, 2.0, -1.0], &[3, 2]).unwrap();
    let any = ops::sum::call(&b, Some(&[1]), false, Some(DType::Bool)).unwrap();
    assert_eq!(any.dtype(), DType::Bool);
    assert_eq!(any.to_vec::<bool>().unwrap(), vec![false, true, true]);
    let flags = Tensor::from_vec(vec![true, true], &[2]).unwrap();
    let all = ops::sum::call(&flags, None, false, Some(DType::Bool)).unwrap();
    assert_eq!(all.to_vec::<bool>().unwrap(), vec![true]);
    let empty = Tensor::from_vec(Vec::<i32>::new(), &[0]).unwrap();
    let none = ops::sum::call(&empty, None, false, Some(DType::Bool)).unwrap();
    assert_eq!(none.to_vec::<bool>().unwrap(), vec![false]);
}

/// Applies `f` to every line of `x` along `dim`, in place of that line.
fn along(x: &[f64], shape: &[usize], dim: usize, f: impl Fn(&[f64]) -> Vec<f64>) -> Vec<f64> {
    let inner: usize = shape[dim + 1..].iter().product();
    let outer: usize = shape[..dim].iter().product();
    let n = shape[dim];
    let mut out = vec![0.0; x.len()];
    for o in 0..outer {
        for i in 0..inner {
            let idx = |k: usize| (o * n + k) * inner + i;
            let line: Vec<f64> = (0..n).map(|k| x[idx(k)]).collect();
            for (k, v) in f(&line).into_iter().enumerate() {
                out[idx(k)] = v;
            }
        }
    }
    out
}

#[test]
fn softmax_and_log_softmax_along_any_dim() {
    for dtype in FLOATS {
        for shape in [vec![4usize, 7], vec![3, 5, 2], vec![1, 257], vec![9]] {
            let n: usize = shape.iter().product();
            let x = tensor(&values(n, 5, 6.0), &shape, dtype);
            let xv = x.to_vec_f64().unwrap();
            for dim in 0..shape.len() {
                let what = format!("{shape:?} dim {dim}");
                let want = along(&xv, &shape, dim, softmax_ref);
                let got = ops::softmax::call(&x, dim as i64, None).unwrap();
                let ulps = if dtype == DType::F32 || dtype == DType::F64 {
                    8.0
                } else {
                    1.0
                };
                assert_close(
                    &got.to_vec_f64().unwrap(),
                    &want,
                    dtype,
                    ulps,
                    0.0,
                    &format!("softmax {what}"),
                );
                let want: Vec<f64> = want.iter().map(|v| v.ln()).collect();
                let got =
                    ops::log_softmax::call(&x, dim as i64 - shape.len() as i64, None).unwrap();
                // Absolute: a few lane ULPs of `max + ln Σ` (results near 0 carry it).
                let abs = if dtype == DType::F64 { 1e-14 } else { 4e-6 };
                assert_close(
                    &got.to_vec_f64().unwrap(),
                    &want,
                    dtype,
                    ulps,
                    abs,
                    &format!("log_softmax {what}"),
                );
            }
        }
        // Strided inputs give the contiguous result.
        let v = values(6 * 9, 8, 3.0);
        let want = ops::softmax::call(&tensor(&v, &[6, 9], dtype), 1, None)
            .unwrap()
            .to_vec_f64()
            .unwrap();
        for (layout, t) in layouts(&v, [6, 9], dtype) {
            let got = ops::softmax::call(&t, 1, None).unwrap();
            assert_eq!(got.to_vec_f64().unwrap(), want, "softmax {layout}");
        }
        // A strided out argument.
        let buffer = Tensor::zeros(&[9, 6], dtype, Device::Cpu).unwrap();
        let mut out = buffer.transpose(0, 1).unwrap();
        ops::softmax::out(&tensor(&v, &[6, 9], dtype), 1, None, &mut out).unwrap();
        assert_eq!(out.to_vec_f64().unwrap(), want);
    }
}

#[test]
fn softmax_specials_and_dtypes() {
    let x = tensor(
        &[
            1.0,
            f64::NAN,
            0.0,
            f64::INFINITY,
            2.0,
            3.0,
            f64::NEG_INFINITY,
            0.0,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ],
        &[5, 2],
        DType::F32,
    );
    let y = ops::softmax::call(&x, 1, None)
        .unwrap()
        .to_vec::<f32>()
        .unwrap();
    assert!(y[0].is_nan() && y[1].is_nan(), "a NaN row is NaN");
    assert!(
        y[2].is_nan() && y[3].is_nan(),
        "a row with +inf is NaN (PyTorch)"
    );
    assert!((y[4] - 0.268_941_43).abs() < 1e-7);
    assert_eq!((y[6], y[7]), (0.0, 1.0), "-inf gets probability 0");
    assert!(
        y[8].is_nan() && y[9].is_nan(),
        "a row of -inf is NaN (PyTorch)"
    );
    let i = Tensor::from_vec(vec![1i64, 2, 3], &[3]).unwrap();
    assert!(matches!(
        ops::softmax::call(&i, 0, None),
        Err(Error::UnsupportedDType { .. })
    ));
    let y = ops::softmax::call(&i, 0, Some(DType::F64)).unwrap();
    assert_eq!(y.dtype(), DType::F64);
    let h = tensor(&[0.5, 1.5], &[2], DType::BF16);
    assert_eq!(
        ops::log_softmax::call(&h, -1, Some(DType::F32))
            .unwrap()
            .dtype(),
        DType::F32
    );
    assert!(matches!(
        ops::softmax::call(&h, 1, None),
        Err(Error::DimOutOfRange { .. })
    ));
    let empty = Tensor::zeros(&[0, 3], DType::F32, Device::Cpu).unwrap();
    assert_eq!(
        ops::softmax::call(&empty, 0, None).unwrap().shape(),
        &[0, 3]
    );
}

#[test]
fn rms_norm_and_layer_norm() {
    for dtype in FLOATS {
        for (shape, normalized) in [
            (vec![3usize, 8], vec![8usize]),
            (vec![2, 3, 4], vec![3, 4]),
            (vec![5, 257], vec![257]),
            (vec![7], vec![7]),
            (vec![0, 4], vec![4]),
        ] {
            let n: usize = shape.iter().product();
            let cols: usize = normalized.iter().product();
            let ns: Vec<i64> = normalized.iter().map(|&d| d as i64).collect();
            let x = tensor(&values(n, 9, 3.0), &shape, dtype);
            let w = tensor(&values(cols, 10, 2.0), &normalized, dtype);
            let b = tensor(&values(cols, 11, 1.0), &normalized, dtype);
            let (xv, wv, bv) = (
                x.to_vec_f64().unwrap(),
                w.to_vec_f64().unwrap(),
                b.to_vec_f64().unwrap(),
            );
            let ulps = match dtype {
                DType::F32 | DType::F64 => 16.0,
                _ => 1.0,
            };
            // Absolute slack: the statistic's error times the largest |x - mean| * |w| (≤ 3·2·rstd).
            let abs = match dtype {
                DType::F64 => 1e-13,
                _ => 1e-5,
            };
            let lane_eps = if dtype == DType::F64 {
                f64::EPSILON
            } else {
                f32::EPSILON as f64
            };
            let rms = |w: Option<&[f64]>, eps: f64| -> Vec<f64> {
                xv.chunks(cols.max(1))
                    .flat_map(|r| norm_ref(r, w, None, eps, false))
                    .collect()
            };
            let what = format!("rms_norm {shape:?} {dtype}");
            let got = ops::rms_norm::call(&x, &ns, Some(&w), None).unwrap();
            assert_close(
                &got.to_vec_f64().unwrap(),
                &rms(Some(&wv), lane_eps),
                dtype,
                ulps,
                abs,
                &what,
            );
            let got = ops::rms_norm::call(&x, &ns, None, Some(1e-3)).unwrap();
            assert_close(
                &got.to_vec_f64().unwrap(),
                &rms(None, 1e-3),
                dtype,
                ulps,
                abs,
                &what,
            );
            let ln: Vec<f64> = xv
                .chunks(cols.max(1))
                .flat_map(|r| norm_ref(r, Some(&wv), Some(&bv), 1e-5, true))
                .collect();
            let got = ops::layer_norm::call(&x, &ns, Some(&w), Some(&b), 1e-5, true).unwrap();
            assert_close(
                &got.to_vec_f64().unwrap(),
                &ln,
                dtype,
                ulps,
                abs,
                &format!("layer_norm {shape:?} {dtype}"),
            );
            // A transposed input (made contiguous inside) gives the same result.
            if shape.len() == 2 && n > 0 {
                let t = layouts(&values(n, 9, 3.0), [shape[0], shape[1]], dtype)
                    .remove(1)
                    .1;
                let again = ops::layer_norm::call(&t, &ns, Some(&w), Some(&b), 1e-5, true).unwrap();
                assert_eq!(again.to_vec_f64().unwrap(), got.to_vec_f64().unwrap());
            }
        }
    }
}

#[test]
fn norm_errors_and_specials() {
    let x = tensor(&values(12, 1, 1.0), &[3, 4], DType::F32);
    let err = ops::layer_norm::call(&x, &[3], None, None, 1e-5, true).unwrap_err();
    assert!(
        err.to_string().contains("expected input with shape [*, 3]"),
        "{err}"
    );
    let w = tensor(&[1.0; 3], &[3], DType::F32);
    let err = ops::rms_norm::call(&x, &[4], Some(&w), None).unwrap_err();
    assert!(err.to_string().contains("weight"), "{err}");
    assert!(ops::rms_norm::call(&x, &[], None, None).is_err());
    let wi = Tensor::from_vec(vec![1i32; 4], &[4]).unwrap();
    assert!(matches!(
        ops::rms_norm::call(&x, &[4], Some(&wi), None),
        Err(Error::UnsupportedDType {
            dtype: DType::I32,
            ..
        })
    ));
    let i = Tensor::from_vec(vec![1i32; 4], &[4]).unwrap();
    assert!(ops::layer_norm::call(&i, &[4], None, None, 1e-5, true).is_err());
    let x = tensor(
        &[1.0, f64::NAN, 2.0, 3.0, 1.0, f64::INFINITY],
        &[3, 2],
        DType::F32,
    );
    let y = ops::layer_norm::call(&x, &[2], None, None, 1e-5, true)
        .unwrap()
        .to_vec::<f32>()
        .unwrap();
    assert!(y[0].is_nan() && y[1].is_nan() && y[4].is_nan() && y[5].is_nan());
    assert!(y[2].is_finite() && y[3].is_finite());
}

/// Parameters of another dtype, as PyTorch takes them: layer_norm's float32 weight and bias with a
/// float16/bfloat16 input (mixed precision), rms_norm's weight of any float dtype. The result has
/// the input's dtype, and the parameters are read exactly (never rounded to the input's dtype).
#[test]
fn norms_with_parameters_of_another_dtype() {
    let (rows, cols) = (5, 257);
    for dtype in [DType::F16, DType::BF16] {
        let x = tensor(&values(rows * cols, 9, 3.0), &[rows, cols], dtype);
        let xv = x.to_vec_f64().unwrap();
        // Parameters exact in every float dtype (multiples of 1/64 below 4): the same bits as
        // with parameters of the input's dtype.
        let sixty_fourths =
            |v: Vec<f64>| -> Vec<f64> { v.iter().map(|x| (x * 64.0).round() / 64.0).collect() };
        let (wv, bv) = (
            sixty_fourths(values(cols, 10, 2.0)),
            sixty_fourths(values(cols, 11, 1.0)),
        );
        let (w, b) = (tensor(&wv, &[cols], dtype), tensor(&bv, &[cols], dtype));
        let (w32, b32) = (
            tensor(&wv, &[cols], DType::F32),
            tensor(&bv, &[cols], DType::F32),
        );
        let same =
            ops::layer_norm::call(&x, &[cols as i64], Some(&w), Some(&b), 1e-5, true).unwrap();
        let mixed =
            ops::layer_norm::call(&x, &[cols as i64], Some(&w32), Some(&b32), 1e-5, true).unwrap();
        assert_eq!(mixed.dtype(), dtype);
        assert_eq!(
            mixed.to_vec_f64().unwrap(),
            same.to_vec_f64().unwrap(),
            "layer_norm {dtype}"
        );
        let same = ops::rms_norm::call(&x, &[cols as i64], Some(&w), None).unwrap();
        for wd in [DType::F32, DType::F64, DType::F16, DType::BF16] {
            let wx = tensor(&wv, &[cols], wd);
            let mixed = ops::rms_norm::call(&x, &[cols as i64], Some(&wx), None).unwrap();
            assert_eq!(mixed.dtype(), dtype);
            assert_eq!(
                mixed.to_vec_f64().unwrap(),
                same.to_vec_f64().unwrap(),
                "rms_norm {dtype} with a {wd} weight"
            );
        }
        // Weights between two values of the input's dtype: read as float32, rounded once in the
        // result (within 1 ULP of the f64 reference), which rounding them first would miss.
        let fine: Vec<f64> = (0..cols)
            .map(|i| 1.0 + (i % 7) as f64 / 8192.0 + 1.0 / 65536.0)
            .collect();
        let (wf, bf) = (
            tensor(&fine, &[cols], DType::F32),
            tensor(&fine, &[cols], DType::F32),
        );
        let ln = ops::layer_norm::call(&x, &[cols as i64], Some(&wf), Some(&bf), 1e-5, true)
            .unwrap()
            .to_vec_f64()
            .unwrap();
        let want: Vec<f64> = xv
            .chunks(cols)
            .flat_map(|r| norm_ref(r, Some(&fine), Some(&fine), 1e-5, true))
            .collect();
        assert_close(
            &ln,
            &want,
            dtype,
            1.0,
            1e-5,
            &format!("layer_norm {dtype} f32 params"),
        );
        let rounded = ops::layer_norm::call(
            &x,
            &[cols as i64],
            Some(&wf.to_dtype(dtype).unwrap()),
            Some(&bf.to_dtype(dtype).unwrap()),
            1e-5,
            true,
        )
        .unwrap()
        .to_vec_f64()
        .unwrap();
        assert_ne!(
            ln, rounded,
            "{dtype}: the f32 parameters were rounded first"
        );
        let rms = ops::rms_norm::call(&x, &[cols as i64], Some(&wf), None)
            .unwrap()
            .to_vec_f64()
            .unwrap();
        let want: Vec<f64> = xv
            .chunks(cols)
            .flat_map(|r| norm_ref(r, Some(&fine), None, f32::EPSILON as f64, false))
            .collect();
        assert_close(
            &rms,
            &want,
            dtype,
            1.0,
            1e-5,
            &format!("rms_norm {dtype} f32 weight"),
        );
    }
    // f32 rows with a weight of a narrower dtype: the weight read exactly as f32.
    let x = tensor(&values(3 * 8, 9, 3.0), &[3, 8], DType::F32);
    let wv = tensor(&values(8, 10, 2.0), &[8], DType::BF16)
        .to_vec_f64()
        .unwrap();
    let (w16, w32) = (
        tensor(&wv, &[8], DType::BF16),
        tensor(&wv, &[8], DType::F32),
    );
    assert_eq!(
        ops::rms_norm::call(&x, &[8], Some(&w16), None)
            .unwrap()
            .to_vec::<f32>()
            .unwrap(),
        ops::rms_norm::call(&x, &[8], Some(&w32), None)
            .unwrap()
            .to_vec::<f32>()
            .unwrap()
    );

    // layer_norm takes PyTorch's combinations only, and says which.
    let cases = [
        (DType::F32, DType::BF16, DType::BF16),
        (DType::F64, DType::F32, DType::F32),
        (DType::BF16, DType::F16, DType::F16),
        (DType::BF16, DType::F32, DType::BF16),
        (DType::F16, DType::F16, DType::F32),
    ];
    for (xd, wd, bd) in cases {
        let x = tensor(&values(8, 9, 3.0), &[2, 4], xd);
        let (w, b) = (tensor(&[1.0; 4], &[4], wd), tensor(&[0.0; 4], &[4], bd));
        let err = ops::layer_norm::call(&x, &[4], Some(&w), Some(&b), 1e-5, true).unwrap_err();
        assert!(
            matches!(err, Error::UnsupportedDType { .. })
                && err.to_string().contains("mixed precision"),
            "{xd} input, {wd} weight, {bd} bias: {err}"
        );
    }
    // One float32 parameter alone is mixed precision too.
    let x = tensor(&values(8, 9, 3.0), &[2, 4], DType::BF16);
    let b32 = tensor(&[0.5; 4], &[4], DType::F32);
    assert!(ops::layer_norm::call(&x, &[4], None, Some(&b32), 1e-5, true).is_ok());
}

#[test]
fn row_ops_at_every_isa_level() {
    let levels: Vec<Isa> = Isa::ALL.into_iter().filter(|i| i.is_supported()).collect();
    for dtype in [DType::F32, DType::BF16] {
        let x = tensor(&values(4 * 300, 2, 4.0), &[4, 300], dtype);
        let w = tensor(&values(300, 3, 1.0), &[300], dtype);
        let want_sm = ops::softmax::call(&x, 1, None)
            .unwrap()
            .to_vec_f64()
            .unwrap();
        let want_rms = ops::rms_norm::call(&x, &[300], Some(&w), None)
            .unwrap()
            .to_vec_f64()
            .unwrap();
        let want_sum = ops::sum::call(&x, Some(&[1]), false, None)
            .unwrap()
            .to_vec_f64()
            .unwrap();
        // The weight as float32: mixed precision for bf16 rows, the same bits either way.
        let w32 = w.to_dtype(DType::F32).unwrap();
        for &isa in &levels {
            let mixed = simd::with_isa(isa, || {
                ops::rms_norm::call(&x, &[300], Some(&w32), None)
                    .unwrap()
                    .to_vec_f64()
                    .unwrap()
            })
            .unwrap();
            assert_close(
                &mixed,
                &want_rms,
                dtype,
                8.0,
                1e-6,
                &format!("rms_norm with a float32 weight, {dtype} at {isa}"),
            );
            let (sm, rms, sum) = simd::with_isa(isa, || {
                (
                    ops::softmax::call(&x, 1, None)
                        .unwrap()
                        .to_vec_f64()
                        .unwrap(),
                    ops::rms_norm::call(&x, &[300], Some(&w), None)
                        .unwrap()
                        .to_vec_f64()
                        .unwrap(),
                    ops::sum::call(&x, Some(&[1]), false, None)
                        .unwrap()
                        .to_vec_f64()
                        .unwrap(),
                )
            })
            .unwrap();
            // Lane counts differ between levels, so sums associate differently: close, not equal.
            let what = format!("{dtype} at {isa}");
            assert_close(&sm, &want_sm, dtype, 8.0, 0.0, &format!("softmax {what}"));
            assert_close(
                &rms,
                &want_rms,
                dtype,
                8.0,
                1e-6,
                &format!("rms_norm {what}"),
            );
            assert_close(&sum, &want_sum, dtype, 8.0, 1e-4, &format!("sum {what}"));
        }
    }
}

/// An empty tensor whose other sizes multiply past `usize` (`[0, 2^40, 2^40]`): reductions and
/// norms over those sizes give empty results instead of overflowing, and a result too large to
/// allocate is an error.
#[test]
fn empty_tensors_with_huge_sizes() {
    let big = 1usize << 40;
    let x = Tensor::empty(&[0, big, big], DType::F32, Device::Cpu).unwrap();
    let y = ops::sum::call(&x, Some(&[1, 2]), false, None).unwrap();
    assert_eq!(y.shape(), &[0]);
    let y = ops::mean::call(&x, Some(&[-1]), true, None).unwrap();
    assert_eq!(y.shape(), &[0, big, 1]);
    assert!(ops::sum::call(&x, Some(&[0]), false, None).is_err());
    let y = ops::layer_norm::call(&x, &[big as i64, big as i64], None, None, 1e-5, true).unwrap();
    assert_eq!(y.shape(), &[0, big, big]);
    let y = ops::rms_norm::call(&x, &[big as i64], None, None).unwrap();
    assert_eq!(y.shape(), &[0, big, big]);
}

/// The exact layer_norm (no weight, no bias, eps = 1e-5) of a row, in f64.
fn layer_norm_f64(row: &[f64]) -> Vec<f64> {
    let n = row.len() as f64;
    let mean = row.iter().sum::<f64>() / n;
    let var = row.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    row.iter()
        .map(|v| (v - mean) / (var + 1e-5).sqrt())
        .collect()
}

/// layer_norm's statistics are taken relative to the row's first element, and the mean is
/// subtracted as two lane values: rows far from 0 keep their precision (f32 data at 10⁴ ± 1 were
/// off by 1.4e-3 when the mean was rounded to f32; PyTorch 2.15 is off by 1.7e-3), at every ISA
/// level and row length (the tail after the last whole block goes its own way). Rows whose squares
/// overflow the f32 lanes are measured again in f64: layer_norm and rms_norm of data near 10²⁰
/// are right, where PyTorch gives NaN and 0.
#[test]
fn norms_keep_precision_far_from_zero_and_past_f32_squares() {
    let levels: Vec<Isa> = Isa::ALL.into_iter().filter(|i| i.is_supported()).collect();
    for &isa in &levels {
        for cols in [5, 16, 100, 1000, 4099] {
            for offset in [100.0, 1e4, -3e5] {
                let v: Vec<f64> = values(2 * cols, cols as u64, 1.0)
                    .iter()
                    .map(|d| f64::from((offset + d) as f32))
                    .collect();
                let x = tensor(&v, &[2, cols], DType::F32);
                let got = simd::with_isa(isa, || {
                    ops::layer_norm::call(&x, &[cols as i64], None, None, 1e-5, true)
                        .unwrap()
                        .to_vec_f64()
                        .unwrap()
                })
                .unwrap();
                let want: Vec<f64> = v.chunks(cols).flat_map(layer_norm_f64).collect();
                let err = got
                    .iter()
                    .zip(&want)
                    .map(|(g, w)| (g - w).abs())
                    .fold(0.0, f64::max);
                // A few units of f32's epsilon in the normalised outputs, whatever the offset.
                assert!(
                    err < 16.0 * f64::from(f32::EPSILON),
                    "{isa}, {cols} columns at {offset}: off by {err:e}"
                );
            }
        }
        for dtype in [DType::F32, DType::BF16] {
            let v: Vec<f64> = values(64, 7, 3.0).iter().map(|d| d * 1e20).collect();
            let x = tensor(&v, &[2, 32], dtype);
            let v = x.to_vec_f64().unwrap();
            let (ln, rms) = simd::with_isa(isa, || {
                (
                    ops::layer_norm::call(&x, &[32], None, None, 1e-5, true)
                        .unwrap()
                        .to_vec_f64()
                        .unwrap(),
                    ops::rms_norm::call(&x, &[32], None, None)
                        .unwrap()
                        .to_vec_f64()
                        .unwrap(),
                )
            })
            .unwrap();
            let want_ln: Vec<f64> = v.chunks(32).flat_map(layer_norm_f64).collect();
            let want_rms: Vec<f64> = v
                .chunks(32)
                .flat_map(|row| {
                    let ms = row.iter().map(|a| a * a).sum::<f64>() / 32.0;
                    row.iter().map(move |a| a / ms.sqrt()).collect::<Vec<_>>()
                })
                .collect();
            let what = format!("{dtype} near 1e20 at {isa}");
            assert_close(
                &ln,
                &want_ln,
                dtype,
                2.0,
                1e-6,
                &format!("layer_norm, {what}"),
            );
            assert_close(
                &rms,
                &want_rms,
                dtype,
                2.0,
                0.0,
                &format!("rms_norm, {what}"),
            );
        }
    }
}

/// Long rows are summed in blocks combined pairwise (a cascade, as PyTorch's CPU sums): the sum of
/// 2·10⁶ × 0.1 in f32 was 3e-4 off with one running sum per lane, now within 1e-6, at every ISA
/// level, for sum and mean, a full reduction and a reduction over a long dim alike.
#[test]
fn long_sums_cascade() {
    let n = 2_000_000;
    let x = Tensor::full(
        &[n],
        op_runtime::Scalar::Float(0.1),
        DType::F32,
        Device::Cpu,
    )
    .unwrap();
    let exact = n as f64 * f64::from(0.1f32);
    let levels: Vec<Isa> = Isa::ALL.into_iter().filter(|i| i.is_supported()).collect();
    for &isa in &levels {
        let (full, mean, rows) = simd::with_isa(isa, || {
            (
                ops::sum::call(&x, None, false, None)
                    .unwrap()
                    .to_vec_f64()
                    .unwrap()[0],
                ops::mean::call(&x, None, false, None)
                    .unwrap()
                    .to_vec_f64()
                    .unwrap()[0],
                ops::sum::call(&x.reshape(&[2, -1]).unwrap(), Some(&[1]), false, None)
                    .unwrap()
                    .to_vec_f64()
                    .unwrap(),
            )
        })
        .unwrap();
        let rel = |got: f64, want: f64| ((got - want) / want).abs();
        assert!(rel(full, exact) < 1e-6, "{isa}: sum {full}, exact {exact}");
        assert!(rel(mean, exact / n as f64) < 1e-6, "{isa}: mean {mean}");
        for r in rows {
            assert!(rel(r, exact / 2.0) < 1e-6, "{isa}: row sum {r}");
        }
    }
}
