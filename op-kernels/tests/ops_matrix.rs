//! `matmul` and `linear` against an f64 reference: PyTorch's 1-D/2-D/batched rules with
//! broadcasting, strided (transposed, flipped, broadcast) operands, empty dims, every float dtype,
//! and the error cases.

mod ops_support;

use op_kernels::ops;
use op_runtime::{DType, Device, Error, Tensor};
use ops_support::{FLOATS, assert_close, tensor, values};

/// f64 matmul with PyTorch's rules, on row-major data.
fn matmul_ref(a: &[f64], sa: &[usize], b: &[f64], sb: &[usize]) -> (Vec<usize>, Vec<f64>) {
    let la: Vec<usize> = if sa.len() == 1 {
        vec![1, sa[0]]
    } else {
        sa.to_vec()
    };
    let lb: Vec<usize> = if sb.len() == 1 {
        vec![sb[0], 1]
    } else {
        sb.to_vec()
    };
    let (m, k, n) = (la[la.len() - 2], la[la.len() - 1], lb[lb.len() - 1]);
    let (ba, bb) = (&la[..la.len() - 2], &lb[..lb.len() - 2]);
    let batch = op_runtime::broadcast_shapes(&[ba, bb]).unwrap();
    let count: usize = batch.iter().product();
    let offset = |bs: &[usize], flat: usize, size: usize| {
        let pad = batch.len() - bs.len();
        let (mut rem, mut idx, mut stride) = (flat, 0, 1);
        for d in (0..batch.len()).rev() {
            let i = rem % batch[d];
            rem /= batch[d];
            if d >= pad {
                idx += if bs[d - pad] == 1 { 0 } else { i } * stride;
                stride *= bs[d - pad];
            }
        }
        idx * size
    };
    let mut out = Vec::with_capacity(count * m * n);
    for q in 0..count {
        let (oa, ob) = (offset(ba, q, m * k), offset(bb, q, k * n));
        for i in 0..m {
            for j in 0..n {
                out.push((0..k).map(|p| a[oa + i * k + p] * b[ob + p * n + j]).sum());
            }
        }
    }
    let mut shape = batch.clone();
    if sa.len() > 1 {
        shape.push(m);
    }
    if sb.len() > 1 {
        shape.push(n);
    }
    (shape, out)
}

fn tolerance(dtype: DType, k: usize) -> (f64, f64) {
    // k products of values ≤ 2 in magnitude: absolute bound k · ε · Σ|a·b| ≤ k² · 4 · ε.
    let eps = if dtype == DType::F64 {
        2f64.powi(-53)
    } else {
        2f64.powi(-24)
    };
    (1.0, (k * k) as f64 * 4.0 * eps + 1e-12)
}

#[test]
fn matmul_shapes_like_pytorch() {
    let cases: [(&[usize], &[usize]); 10] = [
        (&[4], &[4]),
        (&[3, 4], &[4]),
        (&[4], &[4, 5]),
        (&[3, 4], &[4, 5]),
        (&[2, 3, 4], &[4, 5]),
        (&[3, 4], &[2, 4, 5]),
        (&[2, 1, 3, 4], &[3, 4, 2]),
        (&[2, 3, 4], &[4]),
        (&[4], &[2, 4, 3]),
        (&[33, 70], &[70, 65]),
    ];
    for dtype in FLOATS {
        for (sa, sb) in cases {
            let (na, nb): (usize, usize) = (sa.iter().product(), sb.iter().product());
            let a = tensor(&values(na, 1, 2.0), sa, dtype);
            let b = tensor(&values(nb, 2, 2.0), sb, dtype);
            let (shape, want) =
                matmul_ref(&a.to_vec_f64().unwrap(), sa, &b.to_vec_f64().unwrap(), sb);
            let got = ops::matmul::call(&a, &b).unwrap();
            assert_eq!(got.shape(), shape.as_slice(), "{sa:?} @ {sb:?}");
            let (u, abs) = tolerance(dtype, sa[sa.len() - 1]);
            assert_close(
                &got.to_vec_f64().unwrap(),
                &want,
                dtype,
                u,
                abs,
                &format!("{sa:?} @ {sb:?}"),
            );
        }
    }
}

#[test]
fn matmul_strided_operands_and_out() {
    for dtype in FLOATS {
        let (m, k, n) = (5usize, 7, 6);
        let av = values(m * k, 3, 2.0);
        let bv = values(k * n, 4, 2.0);
        let a = tensor(&av, &[m, k], dtype);
        let b = tensor(&bv, &[k, n], dtype);
        let want = ops::matmul::call(&a, &b).unwrap().to_vec_f64().unwrap();
        let (u, abs) = tolerance(dtype, k);
        // Transposed storage, flipped twice (negative strides), and every other column.
        let at = tensor(&av, &[m, k], dtype)
            .transpose(0, 1)
            .unwrap()
            .contiguous()
            .unwrap()
            .transpose(0, 1)
            .unwrap();
        let bf = b.flip(0).unwrap().contiguous().unwrap().flip(0).unwrap();
        let wide = Tensor::zeros(&[k, 2 * n], dtype, Device::Cpu).unwrap();
        let mut bs = wide.slice(1, 0, (2 * n) as isize, 2).unwrap();
        bs.copy_from(&b).unwrap();
        for (name, x, y) in [
            ("a^T^T", &at, &b),
            ("b flipped", &a, &bf),
            ("b step 2", &a, &bs),
        ] {
            assert!(!x.is_contiguous() || !y.is_contiguous());
            let got = ops::matmul::call(x, y).unwrap().to_vec_f64().unwrap();
            assert_close(&got, &want, dtype, u, abs, name);
        }
        // A batch broadcast with a zero stride.
        let a3 = a.unsqueeze(0).unwrap().broadcast_to(&[3, m, k]).unwrap();
        let got = ops::matmul::call(&a3, &b).unwrap().to_vec_f64().unwrap();
        assert_close(
            &got,
            &[want.clone(), want.clone(), want.clone()].concat(),
            dtype,
            u,
            abs,
            "broadcast batch",
        );
        // A transposed out argument.
        let buffer = Tensor::zeros(&[n, m], dtype, Device::Cpu).unwrap();
        let mut out = buffer.transpose(0, 1).unwrap();
        ops::matmul::out(&a, &b, &mut out).unwrap();
        assert_close(
            &out.to_vec_f64().unwrap(),
            &want,
            dtype,
            u,
            abs,
            "transposed out",
        );
    }
}

#[test]
fn matmul_empty_dims_and_errors() {
    let a = Tensor::zeros(&[3, 0], DType::F32, Device::Cpu).unwrap();
    let b = Tensor::zeros(&[0, 2], DType::F32, Device::Cpu).unwrap();
    let y = ops::matmul::call(&a, &b).unwrap();
    assert_eq!(
        (y.shape(), y.to_vec::<f32>().unwrap()),
        (&[3usize, 2][..], vec![0.0; 6])
    );
    let e = Tensor::zeros(&[0, 4], DType::F64, Device::Cpu).unwrap();
    let w = Tensor::zeros(&[4, 5], DType::F64, Device::Cpu).unwrap();
    assert_eq!(ops::matmul::call(&e, &w).unwrap().shape(), &[0, 5]);
    let x = tensor(&[1.0; 6], &[2, 3], DType::F32);
    let err = ops::matmul::call(&x, &x).unwrap_err();
    assert!(err.to_string().contains("2x3 and 2x3"), "{err}");
    let s = Tensor::from_vec(vec![1.0f32], &[]).unwrap();
    assert!(matches!(
        ops::matmul::call(&s, &x),
        Err(Error::ShapeMismatch { .. })
    ));
    let h = tensor(&[1.0; 6], &[3, 2], DType::F16);
    assert!(matches!(
        ops::matmul::call(&x, &h),
        Err(Error::DTypeMismatch { .. })
    ));
    let i = Tensor::from_vec(vec![true; 4], &[2, 2]).unwrap();
    assert!(matches!(
        ops::matmul::call(&i, &i),
        Err(Error::UnsupportedDType { .. } | Error::NoKernel { .. })
    ));
}

/// Integer matmul and linear, as PyTorch's CPU ones: exact modulo 2^bits (values from PyTorch
/// 2.15 where they overflow), every shape rule of the float path, strided and broadcast operands,
/// and the out variant; bools are refused, as in PyTorch.
#[test]
fn integer_matmul_and_linear_wrap_like_pytorch() {
    let full = |v: i64, shape: &[usize], dtype: DType| {
        Tensor::full(shape, op_runtime::Scalar::Int(v), dtype, Device::Cpu).unwrap()
    };
    for (dtype, want, want_bias) in [
        (DType::I8, -80, -79),
        (DType::U8, 176, 177),
        (DType::I16, 1200, 1201),
        (DType::I32, 1200, 1201),
        (DType::I64, 1200, 1201),
    ] {
        let a = full(100, &[2, 4], dtype);
        let b = full(3, &[4, 3], dtype);
        let y = ops::matmul::call(&a, &b).unwrap();
        assert_eq!(y.dtype(), dtype);
        let as_i64 = |t: Tensor| t.to_dtype(DType::I64).unwrap().to_vec::<i64>().unwrap();
        assert_eq!(as_i64(y), vec![want; 6], "{dtype}");
        let w = full(3, &[3, 4], dtype);
        let bias = full(1, &[3], dtype);
        let y = ops::linear::call(&a, &w, Some(&bias)).unwrap();
        assert_eq!(as_i64(y), vec![want_bias; 6], "{dtype}");
    }
    // Every shape rule against the exact product (small values: no overflow in int32).
    let shapes: [(&[usize], &[usize]); 6] = [
        (&[5], &[5]),
        (&[3, 5], &[5]),
        (&[5], &[5, 4]),
        (&[2, 3, 5], &[5, 4]),
        (&[2, 1, 3, 5], &[4, 5, 2]),
        (&[3, 0], &[0, 4]),
    ];
    for (sa, sb) in shapes {
        let (na, nb) = (sa.iter().product(), sb.iter().product());
        let va: Vec<f64> = values(na, 1, 50.0).iter().map(|v| v.round()).collect();
        let vb: Vec<f64> = values(nb, 2, 50.0).iter().map(|v| v.round()).collect();
        let a = tensor(&va, sa, DType::I32);
        let b = tensor(&vb, sb, DType::I32);
        let (shape, want) = matmul_ref(&va, sa, &vb, sb);
        let y = ops::matmul::call(&a, &b).unwrap();
        assert_eq!(
            (y.shape(), y.dtype()),
            (&shape[..], DType::I32),
            "{sa:?} @ {sb:?}"
        );
        assert_eq!(y.to_vec_f64().unwrap(), want, "{sa:?} @ {sb:?}");
    }
    // Transposed and broadcast operands, into a reused out.
    let va: Vec<f64> = (0..12).map(f64::from).collect();
    let a = tensor(&va, &[4, 3], DType::I64).transpose(0, 1).unwrap();
    let b = tensor(&[1.0, -2.0], &[2], DType::I64)
        .unsqueeze(0)
        .unwrap()
        .expand(&[4, 2])
        .unwrap();
    let mut out = Tensor::empty(&[3, 2], DType::I64, Device::Cpu).unwrap();
    ops::matmul::out(&a, &b, &mut out).unwrap();
    // Row r of a is [r, r + 3, r + 6, r + 9]: its sum is 4r + 18.
    let want: Vec<i64> = (0..3)
        .flat_map(|r| [4 * r + 18, -2 * (4 * r + 18)])
        .collect();
    assert_eq!(out.to_vec::<i64>().unwrap(), want);
    // One dtype for all operands.
    let i = full(1, &[2, 2], DType::I32);
    let l = full(1, &[2, 2], DType::I64);
    assert!(matches!(
        ops::matmul::call(&i, &l),
        Err(Error::DTypeMismatch { .. })
    ));
}

#[test]
fn linear_with_and_without_bias() {
    for dtype in FLOATS {
        for lead in [vec![], vec![3usize], vec![2, 4]] {
            let (inf, outf) = (9usize, 5usize);
            let xs: Vec<usize> = lead.iter().copied().chain([inf]).collect();
            let nx: usize = xs.iter().product();
            let x = tensor(&values(nx, 5, 2.0), &xs, dtype);
            let w = tensor(&values(outf * inf, 6, 2.0), &[outf, inf], dtype);
            let b = tensor(&values(outf, 7, 2.0), &[outf], dtype);
            let (xv, wv, bv) = (
                x.to_vec_f64().unwrap(),
                w.to_vec_f64().unwrap(),
                b.to_vec_f64().unwrap(),
            );
            let rows = nx / inf;
            let mut want = Vec::new();
            for r in 0..rows {
                for o in 0..outf {
                    want.push(
                        (0..inf)
                            .map(|i| xv[r * inf + i] * wv[o * inf + i])
                            .sum::<f64>()
                            + bv[o],
                    );
                }
            }
            let (u, abs) = tolerance(dtype, inf);
            let got = ops::linear::call(&x, &w, Some(&b)).unwrap();
            let shape: Vec<usize> = lead.iter().copied().chain([outf]).collect();
            assert_eq!(got.shape(), shape.as_slice());
            let what = format!("linear {xs:?} {dtype}");
            assert_close(
                &got.to_vec_f64().unwrap(),
                &want,
                dtype,
                u + 1.0,
                abs,
                &what,
            );
            let no_bias: Vec<f64> = want
                .iter()
                .enumerate()
                .map(|(i, v)| v - bv[i % outf])
                .collect();
            let got = ops::linear::call(&x, &w, None).unwrap();
            assert_close(
                &got.to_vec_f64().unwrap(),
                &no_bias,
                dtype,
                u + 1.0,
                abs + 1e-6,
                &what,
            );
        }
    }
    let x = tensor(&[1.0; 6], &[2, 3], DType::F32);
    let w = tensor(&[1.0; 8], &[2, 4], DType::F32);
    let err = ops::linear::call(&x, &w, None).unwrap_err();
    assert!(err.to_string().contains("3 features"), "{err}");
    let w = tensor(&[1.0; 6], &[2, 3], DType::F32);
    let bad_bias = tensor(&[1.0; 3], &[3], DType::F32);
    assert!(ops::linear::call(&x, &w, Some(&bad_bias)).is_err());
    // A 1-D weight is one output feature whose dim is dropped, as in PyTorch; a 3-D one is refused.
    let x = tensor(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3], DType::F32);
    let w = tensor(&[1.0, 0.5, 0.25], &[3], DType::F32);
    let y = ops::linear::call(&x, &w, None).unwrap();
    assert_eq!(
        (y.shape(), y.to_vec_f64().unwrap()),
        (&[2][..], vec![2.75, 8.0])
    );
    let b = tensor(&[0.5], &[], DType::F32);
    let y = ops::linear::call(&x, &w, Some(&b)).unwrap();
    assert_eq!(y.to_vec_f64().unwrap(), vec![3.25, 8.5]);
    let w3 = tensor(&[1.0; 3], &[1, 1, 3], DType::F32);
    let err = ops::linear::call(&x, &w3, None).unwrap_err();
    assert!(err.to_string().contains("1-D [in_features]"), "{err}");
}

/// Half matmul sums in f32 and rounds once, whatever the shape: gemm's own f16 kernels round to
/// f16 after every step for a row vector times a matrix (260 ULP off for 1×300 by 300×16), so
/// halves go through f32. Within 1 ULP of the exact product here, also for a 1-D first operand
/// and a k of 2 (gemm's outer-product path).
#[test]
fn half_products_round_once_for_vector_shapes() {
    let shapes: [(&[usize], &[usize]); 5] = [
        (&[1, 300], &[300, 16]),
        (&[300], &[300, 16]),
        (&[5], &[5, 4]),
        (&[7, 2], &[2, 9]),
        (&[16, 300], &[300, 1]),
    ];
    for dtype in [DType::F16, DType::BF16] {
        for (sa, sb) in shapes {
            let (na, nb) = (sa.iter().product(), sb.iter().product());
            let a = tensor(&values(na, 3, 1.0), sa, dtype);
            let b = tensor(&values(nb, 4, 1.0), sb, dtype);
            let (va, vb) = (a.to_vec_f64().unwrap(), b.to_vec_f64().unwrap());
            let (_, want) = matmul_ref(&va, sa, &vb, sb);
            let got = ops::matmul::call(&a, &b).unwrap().to_vec_f64().unwrap();
            // f32 accumulation over at most 300 terms: far below half a ULP of a half.
            assert_close(&got, &want, dtype, 1.0, 1e-4, &format!("{sa:?} @ {sb:?}"));
        }
    }
}
