//! Elementwise ops against an f64 reference computed here: every size 0..=257, every float dtype,
//! strided / transposed / flipped / broadcast inputs and strided outputs, NaN and ±inf, integer
//! dtypes and type promotion, and each ISA level this CPU has.

mod ops_support;

use op_kernels::simd::{self, Isa};
use op_kernels::{ops, seed};
use op_runtime::{DType, Device, Error, Result, Scalar, Tensor};
use ops_support::{FLOATS, assert_close, layouts, round_to, tensor, values};

type UnaryCall = fn(&Tensor) -> Result<Tensor>;

/// (name, call, reference, ULPs in f32, ULPs in f64, absolute slack as a multiple of max |x|).
struct Unary {
    name: &'static str,
    call: UnaryCall,
    reference: fn(f64) -> f64,
    ulps32: f64,
    ulps64: f64,
    abs: f64,
    /// Inputs in (0, range) rather than (-range, range).
    positive: bool,
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn gelu_tanh(x: f64) -> f64 {
    let beta = (2.0 / std::f64::consts::PI).sqrt();
    0.5 * x * (1.0 + (beta * (x + 0.044715 * x * x * x)).tanh())
}

/// erf from the SIMD layer's f64 implementation (relative error ~1e-15; std has no erf).
fn gelu_erf(x: f64) -> f64 {
    0.5 * x * (1.0 + simd::erf_f64(x / std::f64::consts::SQRT_2))
}

fn unary_ops() -> Vec<Unary> {
    let u = |name, call, reference, ulps32, ulps64, abs| Unary {
        name,
        call,
        reference,
        ulps32,
        ulps64,
        abs,
        positive: false,
    };
    vec![
        u("neg", ops::neg::call, |x| -x, 0.5, 0.5, 0.0),
        u("abs", ops::abs::call, f64::abs, 0.5, 0.5, 0.0),
        u(
            "relu",
            ops::relu::call,
            |x| if x.is_nan() { x } else { x.max(0.0) },
            0.5,
            0.5,
            0.0,
        ),
        u("exp", ops::exp::call, f64::exp, 2.0, 1.0, 0.0),
        u("tanh", ops::tanh::call, f64::tanh, 3.0, 1.0, 0.0),
        u("sigmoid", ops::sigmoid::call, sigmoid, 5.0, 4.0, 0.0),
        u("silu", ops::silu::call, |x| x * sigmoid(x), 5.0, 4.0, 1e-6),
        u(
            "gelu_erf",
            |x| ops::gelu::call(x, "none"),
            gelu_erf,
            6.0,
            16.0,
            1e-6,
        ),
        u(
            "gelu_tanh",
            |x| ops::gelu::call(x, "tanh"),
            gelu_tanh,
            5.0,
            4.0,
            1e-6,
        ),
        u("mul3", seed::mul3::call, |x| 3.0 * x, 0.5, 0.5, 0.0),
        u("mul4", seed::mul4::call, |x| 4.0 * x, 0.5, 0.5, 0.0),
        Unary {
            positive: true,
            ..u("log", ops::log::call, f64::ln, 2.0, 1.0, 0.0)
        },
    ]
}

fn ulps(op: &Unary, dtype: DType) -> f64 {
    match dtype {
        DType::F32 => op.ulps32,
        DType::F64 => op.ulps64,
        // Halves: the f32 result rounded once.
        _ => 1.0,
    }
}

fn slack(op: &Unary, dtype: DType, max_abs: f64) -> f64 {
    match dtype {
        DType::F64 => op.abs * 1e-8 * max_abs,
        _ => op.abs * max_abs,
    }
}

fn check_unary(op: &Unary, x: &Tensor, got: &Tensor, what: &str) {
    check_unary_with(op, x, got, 0.0, what);
}

/// As `check_unary`, with an absolute floor (for results that may flush to zero).
fn check_unary_with(op: &Unary, x: &Tensor, got: &Tensor, floor: f64, what: &str) {
    let xv = x.to_vec_f64().unwrap();
    let want: Vec<f64> = xv.iter().map(|&v| (op.reference)(v)).collect();
    let max_abs = xv.iter().fold(
        0.0f64,
        |m, v| if v.is_finite() { m.max(v.abs()) } else { m },
    );
    let d = got.dtype();
    assert_eq!(got.shape(), x.shape(), "{what}: shape");
    let abs = slack(op, d, max_abs).max(floor);
    assert_close(&got.to_vec_f64().unwrap(), &want, d, ulps(op, d), abs, what);
}

#[test]
fn unary_every_size_and_dtype() {
    for op in unary_ops() {
        for dtype in FLOATS {
            for n in 0..=257 {
                let mut v = values(n, n as u64, 8.0);
                if op.positive {
                    v.iter_mut().for_each(|x| *x = x.abs() + 1e-3);
                }
                let x = tensor(&v, &[n], dtype);
                let y = (op.call)(&x).unwrap();
                assert_eq!(y.dtype(), dtype);
                check_unary(&op, &x, &y, &format!("{} n={n}", op.name));
            }
        }
    }
}

#[test]
fn unary_strided_inputs_and_outputs() {
    for op in unary_ops() {
        for dtype in FLOATS {
            for shape in [[5usize, 37], [17, 3], [1, 9]] {
                let mut v = values(shape[0] * shape[1], 7, 6.0);
                if op.positive {
                    v.iter_mut().for_each(|x| *x = x.abs() + 1e-3);
                }
                let contiguous = (op.call)(&tensor(&v, &shape, dtype)).unwrap();
                for (layout, x) in layouts(&v, shape, dtype) {
                    let y = (op.call)(&x).unwrap();
                    let what = format!("{} {layout} {shape:?}", op.name);
                    check_unary(&op, &x, &y, &what);
                    // Same vector code on every path: bit-identical to the contiguous result.
                    let (a, b) = (y.to_vec_f64().unwrap(), contiguous.to_vec_f64().unwrap());
                    assert!(
                        a.iter()
                            .zip(&b)
                            .all(|(p, q)| p.to_bits() == q.to_bits() || (p.is_nan() && q.is_nan())),
                        "{what}: differs from the contiguous result"
                    );
                }
            }
        }
    }
}

#[test]
fn strided_out_argument() {
    for dtype in FLOATS {
        let v = values(6 * 11, 3, 4.0);
        let x = tensor(&v, &[6, 11], dtype);
        // An out argument that is a transposed view of a buffer.
        let buffer = Tensor::zeros(&[11, 6], dtype, Device::Cpu).unwrap();
        let mut out = buffer.transpose(0, 1).unwrap();
        ops::exp::out(&x, &mut out).unwrap();
        let want: Vec<f64> = x.to_vec_f64().unwrap().iter().map(|v| v.exp()).collect();
        let u = if dtype == DType::F32 { 2.0 } else { 1.0 };
        assert_close(
            &out.to_vec_f64().unwrap(),
            &want,
            dtype,
            u,
            0.0,
            "exp into a transposed out",
        );
        let mut out = buffer.flip(0).unwrap().transpose(0, 1).unwrap();
        let b = tensor(&values(11, 4, 4.0), &[11], dtype);
        ops::add_tensor::out(&x, &b, Scalar::Int(1), &mut out).unwrap();
        let (xv, bv) = (x.to_vec_f64().unwrap(), b.to_vec_f64().unwrap());
        let want: Vec<f64> = xv.iter().enumerate().map(|(i, a)| a + bv[i % 11]).collect();
        assert_close(
            &out.to_vec_f64().unwrap(),
            &want,
            dtype,
            0.5,
            0.0,
            "add into a flipped, transposed out",
        );
    }
}

#[test]
fn specials_propagate_like_pytorch() {
    let specials = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.0,
        -0.0,
        1e-30,
        100.0,
        -100.0,
        1e30,
        -1e30,
        88.5,
        -87.0,
    ];
    for op in unary_ops() {
        for dtype in FLOATS {
            let x = tensor(&specials, &[specials.len()], dtype);
            let y = (op.call)(&x).unwrap();
            // sigmoid and silu use 1 / (1 + e^-x), as PyTorch's vectorised kernels: below
            // x ≈ -88.7 e^-x overflows and the (subnormal) result flushes to zero.
            let floor = if op.name == "sigmoid" || op.name == "silu" {
                f32::MIN_POSITIVE as f64
            } else {
                0.0
            };
            check_unary_with(&op, &x, &y, floor, &format!("{} specials", op.name));
        }
    }
    // PyTorch's named cases.
    let x = tensor(&[f64::NAN, f64::NEG_INFINITY], &[2], DType::F32);
    let relu = ops::relu::call(&x).unwrap().to_vec::<f32>().unwrap();
    assert!(relu[0].is_nan() && relu[1] == 0.0);
    let sig = ops::sigmoid::call(&x).unwrap().to_vec::<f32>().unwrap();
    assert!(sig[0].is_nan() && sig[1] == 0.0);
    let log = ops::log::call(&tensor(&[0.0, -1.0], &[2], DType::F32)).unwrap();
    let log = log.to_vec::<f32>().unwrap();
    assert!(log[0] == f32::NEG_INFINITY && log[1].is_nan());
}

type BinaryCall = fn(&Tensor, &Tensor) -> Result<Tensor>;

/// (name, call, f64 reference).
type BinaryCase = (&'static str, BinaryCall, fn(f64, f64) -> f64);

fn binary_ops() -> Vec<BinaryCase> {
    vec![
        (
            "add",
            |a, b| ops::add_tensor::call(a, b, Scalar::Int(1)),
            |a, b| a + b,
        ),
        (
            "add_alpha",
            |a, b| ops::add_tensor::call(a, b, Scalar::Float(2.5)),
            |a, b| 2.5f64.mul_add(b, a),
        ),
        (
            "sub",
            |a, b| ops::sub_tensor::call(a, b, Scalar::Int(1)),
            |a, b| a - b,
        ),
        (
            "sub_alpha",
            |a, b| ops::sub_tensor::call(a, b, Scalar::Int(-3)),
            |a, b| 3.0f64.mul_add(b, a),
        ),
        ("mul", |a, b| ops::mul_tensor::call(a, b), |a, b| a * b),
        ("div", |a, b| ops::div_tensor::call(a, b), |a, b| a / b),
    ]
}

/// Row-major broadcast of `a` (shape `sa`) and `b` (shape `sb`) through `f`.
fn broadcast_ref(
    a: &[f64],
    sa: &[usize],
    b: &[f64],
    sb: &[usize],
    f: fn(f64, f64) -> f64,
) -> (Vec<usize>, Vec<f64>) {
    let shape = op_runtime::broadcast_shapes(&[sa, sb]).unwrap();
    let n: usize = shape.iter().product();
    let index = |s: &[usize], flat: usize| {
        let mut rem = flat;
        let mut idx = 0;
        let mut stride = 1;
        let pad = shape.len() - s.len();
        for d in (0..shape.len()).rev() {
            let i = rem % shape[d];
            rem /= shape[d];
            if d >= pad {
                let size = s[d - pad];
                idx += if size == 1 { 0 } else { i } * stride;
                stride *= size;
            }
        }
        idx
    };
    let v = (0..n)
        .map(|k| f(a[index(sa, k)], b[index(sb, k)]))
        .collect();
    (shape, v)
}

#[test]
fn binary_every_size_dtype_and_broadcast() {
    for (name, call, reference) in binary_ops() {
        for dtype in FLOATS {
            let ulps = if name.ends_with("alpha") { 1.0 } else { 0.5 };
            for n in 0..=257 {
                let a = tensor(&values(n, 1 + n as u64, 8.0), &[n], dtype);
                let b = tensor(&values(n, 1000 + n as u64, 8.0), &[n], dtype);
                let (av, bv) = (a.to_vec_f64().unwrap(), b.to_vec_f64().unwrap());
                let want: Vec<f64> = av.iter().zip(&bv).map(|(&x, &y)| reference(x, y)).collect();
                let got = call(&a, &b).unwrap();
                assert_close(
                    &got.to_vec_f64().unwrap(),
                    &want,
                    dtype,
                    ulps,
                    0.0,
                    &format!("{name} n={n}"),
                );
            }
            for (sa, sb) in [
                (vec![4usize, 1, 3], vec![5usize, 1]),
                (vec![7], vec![3, 1]),
                (vec![2, 3], vec![]),
                (vec![1], vec![0]),
                (vec![2, 0, 3], vec![1, 3]),
            ] {
                let na: usize = sa.iter().product();
                let nb: usize = sb.iter().product();
                let a = tensor(&values(na, 5, 8.0), &sa, dtype);
                let b = tensor(&values(nb, 6, 8.0), &sb, dtype);
                let (shape, want) = broadcast_ref(
                    &a.to_vec_f64().unwrap(),
                    &sa,
                    &b.to_vec_f64().unwrap(),
                    &sb,
                    reference,
                );
                let got = call(&a, &b).unwrap();
                assert_eq!(got.shape(), shape.as_slice(), "{name} {sa:?} {sb:?}");
                assert_close(
                    &got.to_vec_f64().unwrap(),
                    &want,
                    dtype,
                    ulps,
                    0.0,
                    &format!("{name} {sa:?}∘{sb:?}"),
                );
            }
            // Strided operands: every layout of `a` against a transposed, flipped `b`.
            let shape = [6usize, 13];
            let va = values(78, 8, 8.0);
            let vb = values(78, 9, 8.0);
            let b = layouts(&vb, shape, dtype).remove(2).1;
            let contiguous = call(&tensor(&va, &shape, dtype), &b)
                .unwrap()
                .to_vec_f64()
                .unwrap();
            for (layout, a) in layouts(&va, shape, dtype) {
                let got = call(&a, &b).unwrap().to_vec_f64().unwrap();
                let (av, bv) = (a.to_vec_f64().unwrap(), b.to_vec_f64().unwrap());
                let want: Vec<f64> = av.iter().zip(&bv).map(|(&x, &y)| reference(x, y)).collect();
                assert_close(&got, &want, dtype, ulps, 0.0, &format!("{name} {layout}"));
                assert!(
                    got.iter()
                        .zip(&contiguous)
                        .all(|(p, q)| p.to_bits() == q.to_bits() || (p.is_nan() && q.is_nan())),
                    "{name} {layout}: differs from contiguous"
                );
            }
        }
    }
}

#[test]
fn binary_specials() {
    let a = [
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        1.0,
        0.0,
        -1.0,
        6e4,
    ];
    let b = [f64::INFINITY, f64::INFINITY, 1.0, 0.0, 0.0, 0.0, 6e4];
    for (name, call, reference) in binary_ops() {
        for dtype in FLOATS {
            let (ta, tb) = (tensor(&a, &[7], dtype), tensor(&b, &[7], dtype));
            let (av, bv) = (ta.to_vec_f64().unwrap(), tb.to_vec_f64().unwrap());
            let want: Vec<f64> = av.iter().zip(&bv).map(|(&x, &y)| reference(x, y)).collect();
            let got = call(&ta, &tb).unwrap().to_vec_f64().unwrap();
            assert_close(&got, &want, dtype, 1.0, 0.0, &format!("{name} specials"));
        }
    }
}

/// (name, result, f64 reference).
type ScalarCase = (&'static str, Tensor, fn(f64) -> f64);

#[test]
fn scalar_overloads() {
    for dtype in FLOATS {
        for n in [0usize, 1, 7, 8, 33, 257] {
            let x = tensor(&values(n, 11, 8.0), &[n], dtype);
            let xv = x.to_vec_f64().unwrap();
            let cases: [ScalarCase; 4] = [
                (
                    "add",
                    ops::add_scalar::call(&x, Scalar::Float(1.5), Scalar::Int(2)).unwrap(),
                    |v| v + 3.0,
                ),
                (
                    "sub",
                    ops::sub_scalar::call(&x, Scalar::Int(2), Scalar::Int(1)).unwrap(),
                    |v| v - 2.0,
                ),
                (
                    "mul",
                    ops::mul_scalar::call(&x, Scalar::Float(-0.25)).unwrap(),
                    |v| v * -0.25,
                ),
                (
                    "div",
                    ops::div_scalar::call(&x, Scalar::Int(4)).unwrap(),
                    |v| v / 4.0,
                ),
            ];
            for (name, got, f) in cases {
                let want: Vec<f64> = xv.iter().map(|&v| f(v)).collect();
                assert_eq!(got.dtype(), dtype);
                assert_close(
                    &got.to_vec_f64().unwrap(),
                    &want,
                    dtype,
                    0.5,
                    0.0,
                    &format!("{name}.Scalar n={n}"),
                );
            }
            // A strided input takes the strided path with the same result.
            if n > 1 {
                let flipped = x.flip(0).unwrap();
                let got = ops::mul_scalar::call(&flipped, Scalar::Float(3.0))
                    .unwrap()
                    .to_vec_f64()
                    .unwrap();
                let want: Vec<f64> = flipped
                    .to_vec_f64()
                    .unwrap()
                    .iter()
                    .map(|v| v * 3.0)
                    .collect();
                assert_close(&got, &want, dtype, 0.5, 0.0, "mul.Scalar flipped");
            }
        }
    }
}

#[test]
fn integers_wrap_like_pytorch() {
    let a = Tensor::from_vec(vec![i32::MAX, i32::MIN, -7, 0], &[4]).unwrap();
    let b = Tensor::from_vec(vec![1i32, -1, 3, 5], &[4]).unwrap();
    let add = ops::add_tensor::call(&a, &b, Scalar::Int(1)).unwrap();
    assert_eq!(
        add.to_vec::<i32>().unwrap(),
        vec![i32::MIN, i32::MAX, -4, 5]
    );
    let sub = ops::sub_tensor::call(&a, &b, Scalar::Int(2)).unwrap();
    assert_eq!(
        sub.to_vec::<i32>().unwrap(),
        vec![i32::MAX.wrapping_sub(2), i32::MIN.wrapping_add(2), -13, -10]
    );
    let mul = ops::mul_tensor::call(&a, &b).unwrap();
    assert_eq!(
        mul.to_vec::<i32>().unwrap(),
        vec![i32::MAX, i32::MIN, -21, 0]
    );
    assert_eq!(
        ops::neg::call(&a).unwrap().to_vec::<i32>().unwrap(),
        vec![-i32::MAX, i32::MIN, 7, 0]
    );
    assert_eq!(
        ops::abs::call(&a).unwrap().to_vec::<i32>().unwrap(),
        vec![i32::MAX, i32::MIN, 7, 0]
    );
    assert_eq!(
        ops::relu::call(&a).unwrap().to_vec::<i32>().unwrap(),
        vec![i32::MAX, 0, 0, 0]
    );
    assert_eq!(
        seed::mul3::call(&a).unwrap().to_vec::<i32>().unwrap(),
        vec![i32::MAX.wrapping_mul(3), i32::MIN.wrapping_mul(3), -21, 0]
    );
    // Broadcasting and strides on the integer path.
    let m = Tensor::from_vec((0..6i64).collect(), &[2, 3])
        .unwrap()
        .transpose(0, 1)
        .unwrap();
    let row = Tensor::from_vec(vec![10i64, 20], &[2]).unwrap();
    let y = ops::add_tensor::call(&m, &row, Scalar::Int(1)).unwrap();
    assert_eq!(y.to_vec::<i64>().unwrap(), vec![10, 23, 11, 24, 12, 25]);
    let u = Tensor::from_vec(vec![250u8, 3], &[2]).unwrap();
    let y = ops::add_scalar::call(&u, Scalar::Int(10), Scalar::Int(1)).unwrap();
    assert_eq!(y.to_vec::<u8>().unwrap(), vec![4, 13]);
    // A float alpha with integer tensors is refused, as PyTorch does; so is an integer alpha
    // beyond the result's range (uint8 also takes -255..=-1, as two's complement), and a bool one.
    let refused = |r: Result<Tensor>| matches!(r, Err(Error::InvalidArgument(_)));
    assert!(refused(ops::add_tensor::call(&a, &b, Scalar::Float(0.5))));
    assert!(refused(ops::add_tensor::call(&u, &u, Scalar::Int(256))));
    assert!(refused(ops::add_scalar::call(
        &u,
        Scalar::Int(1),
        Scalar::Int(-256)
    )));
    let i8s = Tensor::from_vec(vec![1i8], &[1]).unwrap();
    assert!(refused(ops::sub_tensor::call(&i8s, &i8s, Scalar::Int(128))));
    let y = ops::add_tensor::call(&u, &u, Scalar::Int(-1)).unwrap();
    assert_eq!(y.to_vec::<u8>().unwrap(), vec![0, 0]);
    assert!(refused(ops::add_tensor::call(&a, &b, Scalar::Bool(true))));
    let f = tensor(&[1.0], &[1], DType::F32);
    assert!(refused(ops::add_tensor::call(&f, &f, Scalar::Bool(true))));
}

#[test]
fn type_promotion() {
    let i = Tensor::from_vec(vec![1i32, 2], &[2]).unwrap();
    let h = tensor(&[0.5, 0.25], &[2], DType::F16);
    let b = tensor(&[0.5, 0.25], &[2], DType::BF16);
    let y = ops::add_tensor::call(&i, &h, Scalar::Int(1)).unwrap();
    assert_eq!(
        (y.dtype(), y.to_vec_f64().unwrap()),
        (DType::F16, vec![1.5, 2.25])
    );
    let y = ops::mul_tensor::call(&h, &b).unwrap();
    assert_eq!(
        (y.dtype(), y.to_vec_f64().unwrap()),
        (DType::F32, vec![0.25, 0.0625])
    );
    let y = ops::mul_scalar::call(&i, Scalar::Float(0.5)).unwrap();
    assert_eq!(
        (y.dtype(), y.to_vec_f64().unwrap()),
        (DType::F32, vec![0.5, 1.0])
    );
    let y = ops::div_scalar::call(&i, Scalar::Int(4)).unwrap();
    assert_eq!(
        (y.dtype(), y.to_vec_f64().unwrap()),
        (DType::F32, vec![0.25, 0.5])
    );
    let y = ops::add_scalar::call(&h, Scalar::Int(1), Scalar::Int(1)).unwrap();
    assert_eq!(y.dtype(), DType::F16);
    let err = ops::gelu::call(&h, "fast").unwrap_err();
    assert!(err.to_string().contains("\"none\" or \"tanh\""), "{err}");
    let err = ops::add_tensor::call(&tensor(&[1.0; 3], &[3], DType::F32), &h, Scalar::Int(1))
        .unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { .. }), "{err}");
}

/// PyTorch's `result_type`: a 0-d tensor only raises the category (`float16[2] * float32[]` stays
/// float16). The first operand, whose dtype picks the kernel, may be of any dtype the promotion
/// accepts (`bool + float32`, `int32 / float32`); subtraction refuses bools, as PyTorch does.
#[test]
fn zero_dim_tensors_and_mixed_operands_promote_like_pytorch() {
    let h = tensor(&[0.5, 0.25], &[2], DType::F16);
    let two = tensor(&[2.0], &[], DType::F32);
    for y in [
        ops::mul_tensor::call(&h, &two).unwrap(),
        ops::mul_tensor::call(&two, &h).unwrap(),
    ] {
        assert_eq!(
            (y.dtype(), y.to_vec_f64().unwrap()),
            (DType::F16, vec![1.0, 0.5])
        );
    }
    let i8s = Tensor::from_vec(vec![1i8, 2], &[2]).unwrap();
    let three = Tensor::from_vec(vec![3i64], &[]).unwrap();
    let y = ops::mul_tensor::call(&i8s, &three).unwrap();
    assert_eq!(
        (y.dtype(), y.to_vec_f64().unwrap()),
        (DType::I8, vec![3.0, 6.0])
    );
    let i32s = Tensor::from_vec(vec![1i32, 2], &[2]).unwrap();
    let y = ops::add_tensor::call(&i32s, &two, Scalar::Int(1)).unwrap();
    assert_eq!(
        (y.dtype(), y.to_vec_f64().unwrap()),
        (DType::F32, vec![3.0, 4.0])
    );
    // Two 0-d tensors promote as any two tensors do.
    let y = ops::mul_tensor::call(&tensor(&[1.5], &[], DType::F16), &two).unwrap();
    assert_eq!((y.dtype(), y.shape()), (DType::F32, &[][..]));

    let mask = Tensor::from_vec(vec![true, false], &[2]).unwrap();
    let f = tensor(&[1.5, 2.5], &[2], DType::F32);
    let y = ops::add_tensor::call(&mask, &f, Scalar::Int(1)).unwrap();
    assert_eq!(
        (y.dtype(), y.to_vec_f64().unwrap()),
        (DType::F32, vec![2.5, 2.5])
    );
    let y = ops::div_tensor::call(&i32s, &tensor(&[2.0, 8.0], &[2], DType::F32)).unwrap();
    assert_eq!(
        (y.dtype(), y.to_vec_f64().unwrap()),
        (DType::F32, vec![0.5, 0.25])
    );
    let y = ops::mul_scalar::call(&mask, Scalar::Int(3)).unwrap();
    assert_eq!(
        (y.dtype(), y.to_vec_f64().unwrap()),
        (DType::I64, vec![3.0, 0.0])
    );
    let y = ops::add_scalar::call(&mask, Scalar::Float(0.5), Scalar::Int(1)).unwrap();
    assert_eq!(
        (y.dtype(), y.to_vec_f64().unwrap()),
        (DType::F32, vec![1.5, 0.5])
    );
    let y = ops::div_scalar::call(&mask, Scalar::Int(2)).unwrap();
    assert_eq!(
        (y.dtype(), y.to_vec_f64().unwrap()),
        (DType::F32, vec![0.5, 0.0])
    );
    for err in [
        ops::sub_tensor::call(&f, &mask, Scalar::Int(1)).unwrap_err(),
        ops::sub_tensor::call(&mask, &f, Scalar::Int(1)).unwrap_err(),
        ops::sub_scalar::call(&mask, Scalar::Int(1), Scalar::Int(1)).unwrap_err(),
        ops::sub_scalar::call(&f, Scalar::Bool(true), Scalar::Int(1)).unwrap_err(),
        ops::sub_tensor::out(
            &mask,
            &f,
            Scalar::Int(1),
            &mut Tensor::empty(&[2], DType::F32, Device::Cpu).unwrap(),
        )
        .unwrap_err(),
    ] {
        assert!(
            matches!(
                err,
                Error::UnsupportedDType {
                    dtype: DType::Bool,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("to_dtype"), "{err}");
    }
}

/// A 0-d float operand of another dtype than a float16/bfloat16 result is used at f32 precision,
/// as PyTorch's CPU kernels use it (the computation type), not rounded to the result dtype
/// first; the result is rounded once. Values from PyTorch 2.15.
#[test]
fn zero_dim_operands_keep_their_precision() {
    use half::{bf16, f16};
    let h = tensor(&[-2.5, 0.001, 2.0], &[3], DType::F16);
    let c = tensor(&[-8.978442192077637], &[], DType::F32);
    let want = |x: f64, f: &dyn Fn(f32) -> f32| f64::from(f16::from_f32(f(x as f32)));
    let hv = h.to_vec_f64().unwrap();
    let cv = -8.978_442_f32;
    // mul, both orders: -2.5 · c is 22.453125 in PyTorch (22.4375 with c rounded to f16 first).
    for y in [
        ops::mul_tensor::call(&h, &c).unwrap(),
        ops::mul_tensor::call(&c, &h).unwrap(),
    ] {
        assert_eq!(y.dtype(), DType::F16);
        let got = y.to_vec_f64().unwrap();
        assert_eq!(got[0], 22.453125);
        for (g, x) in got.iter().zip(&hv) {
            assert_eq!(*g, want(*x, &|x| x * cv));
        }
    }
    // A value beyond float16's range: x · 70000 rounded once, not x · inf.
    let big = tensor(&[70000.0], &[], DType::F32);
    let y = ops::mul_tensor::call(&h, &big)
        .unwrap()
        .to_vec_f64()
        .unwrap();
    assert_eq!(y[1], want(hv[1], &|x| x * 70000.0));
    assert!(y[1].is_finite());
    let y = ops::div_tensor::call(&big, &h)
        .unwrap()
        .to_vec_f64()
        .unwrap();
    for (g, x) in y.iter().zip(&hv) {
        assert_eq!(*g, want(*x, &|x| 70000.0 / x), "70000 / {x}");
    }
    let y = ops::div_tensor::call(&h, &c).unwrap().to_vec_f64().unwrap();
    for (g, x) in y.iter().zip(&hv) {
        assert_eq!(*g, want(*x, &|x| x / cv), "{x} / c");
    }
    // add and sub with alpha, either operand 0-d: one fused multiply-add in f32, then bf16.
    let b = tensor(&[3.0, -1.5, 0.0078125], &[3], DType::BF16);
    let bv = b.to_vec_f64().unwrap();
    let s = tensor(&[1.1], &[], DType::F32);
    let sv = 1.1f32;
    let bf = |v: f32| f64::from(bf16::from_f32(v));
    let cases: [(Tensor, &dyn Fn(f32) -> f32); 4] = [
        (
            ops::add_tensor::call(&b, &s, Scalar::Float(2.5)).unwrap(),
            &|x| 2.5f32.mul_add(sv, x),
        ),
        (
            ops::sub_tensor::call(&b, &s, Scalar::Float(2.5)).unwrap(),
            &|x| (-2.5f32).mul_add(sv, x),
        ),
        (
            ops::add_tensor::call(&s, &b, Scalar::Float(2.5)).unwrap(),
            &|x| 2.5f32.mul_add(x, sv),
        ),
        (
            ops::sub_tensor::call(&s, &b, Scalar::Float(2.5)).unwrap(),
            &|x| (-2.5f32).mul_add(x, sv),
        ),
    ];
    for (i, (y, f)) in cases.iter().enumerate() {
        assert_eq!(y.dtype(), DType::BF16);
        for (g, x) in y.to_vec_f64().unwrap().iter().zip(&bv) {
            assert_eq!(*g, bf(f(*x as f32)), "case {i}, x = {x}");
        }
    }
    // An integer 0-d operand likewise: 100001 is exact in f32, not inf in f16.
    let n = Tensor::from_vec(vec![100_001i64], &[]).unwrap();
    let y = ops::mul_tensor::call(&h, &n).unwrap().to_vec_f64().unwrap();
    assert_eq!(y[1], want(hv[1], &|x| x * 100_001.0));
}

/// A float `alpha` beyond the result dtype's range is refused, as PyTorch refuses it ("value
/// cannot be converted to type c10::Half without overflow"); ±inf and NaN pass.
#[test]
fn float_alpha_must_fit_the_result_dtype() {
    for (dtype, alpha) in [
        (DType::F16, 1e6),
        (DType::F16, 65536.0),
        (DType::BF16, 1e39),
        (DType::F32, -1e39),
    ] {
        let x = tensor(&[1.0, 2.0], &[2], dtype);
        for err in [
            ops::add_tensor::call(&x, &x, Scalar::Float(alpha)).unwrap_err(),
            ops::sub_tensor::call(&x, &x, Scalar::Float(alpha)).unwrap_err(),
            ops::add_scalar::call(&x, Scalar::Int(1), Scalar::Float(alpha)).unwrap_err(),
            ops::sub_scalar::call(&x, Scalar::Int(1), Scalar::Float(alpha)).unwrap_err(),
        ] {
            assert!(
                matches!(err, Error::InvalidArgument(_)) && err.to_string().contains("overflow"),
                "{dtype} alpha={alpha}: {err}"
            );
        }
    }
    let x = tensor(&[1.0, 2.0], &[2], DType::F16);
    let big = Scalar::Int(1 << 40);
    assert!(ops::add_tensor::call(&x, &x, big).is_err());
    let y = ops::add_tensor::call(&x, &x, Scalar::Float(f64::INFINITY)).unwrap();
    assert_eq!(y.to_vec_f64().unwrap(), vec![f64::INFINITY; 2]);
    // The largest float16 is accepted: 1 + 65504 rounds to 65504, 2 + 2 · 65504 overflows.
    let y = ops::add_tensor::call(&x, &x, Scalar::Float(65504.0)).unwrap();
    assert_eq!(y.to_vec_f64().unwrap(), vec![65504.0, f64::INFINITY]);
    let d = tensor(&[1.0], &[1], DType::F64);
    assert!(ops::add_tensor::call(&d, &d, Scalar::Float(1e300)).is_ok());
}

/// Each op at each ISA level this CPU has: the same bits as the scalar level (the SIMD layer
/// evaluates the same operations in every backend).
#[test]
fn every_isa_level_gives_the_same_bits() {
    let levels: Vec<Isa> = Isa::ALL.into_iter().filter(|i| i.is_supported()).collect();
    assert!(levels.contains(&Isa::Scalar));
    let cases: Vec<(&str, UnaryCall)> = vec![
        ("mul3", seed::mul3::call),
        ("exp", ops::exp::call),
        ("gelu_tanh", |x| ops::gelu::call(x, "tanh")),
        ("silu", ops::silu::call),
        ("add", |x| {
            ops::add_tensor::call(x, &x.flip(0)?, Scalar::Int(1))
        }),
    ];
    for dtype in [DType::F32, DType::BF16, DType::F16] {
        let x = tensor(&values(1000, 21, 6.0), &[1000], dtype);
        for (name, call) in &cases {
            let reference = simd::with_isa(Isa::Scalar, || call(&x)).unwrap().unwrap();
            let reference = reference.to_vec_f64().unwrap();
            for &isa in &levels {
                let got = simd::with_isa(isa, || call(&x)).unwrap().unwrap();
                assert_eq!(
                    got.to_vec_f64().unwrap(),
                    reference,
                    "{name} {dtype} at {isa}"
                );
            }
        }
    }
    let _ = round_to(&[1.0], DType::F32);
}

/// PyTorch's integer-to-float promotion and bool arithmetic (values from PyTorch 2.15): true
/// division of integers or bools gives float32, as do `exp`, `log`, `tanh` and `sigmoid` of them;
/// bools add as a logical or (`alpha` taken as a bool) and multiply as a logical and; `silu`,
/// `gelu` and the sign ops refuse bools, as PyTorch does.
#[test]
fn integer_and_bool_inputs_promote_like_pytorch() {
    let i = Tensor::from_vec(vec![1i64, -2, 3], &[3]).unwrap();
    let b = Tensor::from_vec(vec![true, false, true], &[3]).unwrap();
    let u = Tensor::from_vec(vec![1u8, 254, 3], &[3]).unwrap();
    let f32s = |t: &Tensor| (t.dtype(), t.to_vec::<f32>().unwrap());
    type UnaryCall = fn(&Tensor) -> Result<Tensor>;
    let cases: [(&str, UnaryCall, [[f32; 3]; 3]); 4] = [
        (
            "exp",
            |x| ops::exp::call(x),
            [
                [2.718_281_7, 0.135_335_28, 20.085_537],
                [2.718_281_7, 1.0, 2.718_281_7],
                [2.718_281_7, f32::INFINITY, 20.085_537],
            ],
        ),
        (
            "log",
            |x| ops::log::call(x),
            [
                [0.0, f32::NAN, 1.098_612_3],
                [0.0, f32::NEG_INFINITY, 0.0],
                [0.0, 5.537_334_4, 1.098_612_3],
            ],
        ),
        (
            "tanh",
            |x| ops::tanh::call(x),
            [
                [0.761_594_2, -0.964_027_6, 0.995_054_8],
                [0.761_594_2, 0.0, 0.761_594_2],
                [0.761_594_2, 1.0, 0.995_054_8],
            ],
        ),
        (
            "sigmoid",
            |x| ops::sigmoid::call(x),
            [
                [0.731_058_6, 0.119_202_92, 0.952_574_13],
                [0.731_058_6, 0.5, 0.731_058_6],
                [0.731_058_6, 1.0, 0.952_574_13],
            ],
        ),
    ];
    for (name, op, want) in cases {
        for (x, want) in [&i, &b, &u].into_iter().zip(want) {
            let (dtype, got) = f32s(&op(x).unwrap());
            assert_eq!(dtype, DType::F32, "{name}({:?})", x.dtype());
            for (g, w) in got.iter().zip(want) {
                assert!(
                    g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()),
                    "{name}({:?}): {got:?}, want {want:?}",
                    x.dtype()
                );
            }
        }
    }
    for x in [&b, &i] {
        assert!(matches!(
            ops::silu::call(x).unwrap_err(),
            Error::NoKernel { .. } | Error::UnsupportedDType { .. }
        ));
        assert!(ops::gelu::call(x, "none").is_err());
    }
    assert!(ops::neg::call(&b).is_err());
    assert!(ops::abs::call(&b).is_err());
    assert!(ops::relu::call(&b).is_err());

    // True division: integers and bools give float32, each operand converted once.
    let d = ops::div_tensor::call(&i, &Tensor::from_vec(vec![2i32, 0, -4], &[3]).unwrap()).unwrap();
    assert_eq!(f32s(&d), (DType::F32, vec![0.5, f32::NEG_INFINITY, -0.75]));
    let d = ops::div_tensor::call(&b, &b).unwrap();
    let (dtype, v) = f32s(&d);
    assert_eq!((dtype, v[0], v[2]), (DType::F32, 1.0, 1.0));
    assert!(v[1].is_nan());
    // int64 beyond 2^53 as a 0-d divisor is rounded to f32 once (2^60 + 1 → 2^60).
    let big = Tensor::from_vec(vec![(1i64 << 60) + 1], &[]).unwrap();
    let d = ops::div_tensor::call(&i, &big).unwrap();
    assert_eq!(
        f32s(&d).1,
        vec![
            1.0 / 2f32.powi(60),
            -2.0 / 2f32.powi(60),
            3.0 / 2f32.powi(60)
        ]
    );

    // Bool arithmetic is logical; an integer operand or scalar promotes to int64.
    let bools = |t: &Tensor| (t.dtype(), t.to_vec::<bool>().unwrap());
    let c = Tensor::from_vec(vec![false, false, true], &[3]).unwrap();
    assert_eq!(
        bools(&ops::add_tensor::call(&b, &c, Scalar::Int(1)).unwrap()),
        (DType::Bool, vec![true, false, true])
    );
    assert_eq!(
        bools(&ops::add_tensor::call(&c, &b, Scalar::Int(-1)).unwrap()),
        (DType::Bool, vec![true, false, true])
    );
    assert_eq!(
        bools(&ops::add_tensor::call(&c, &b, Scalar::Bool(false)).unwrap()),
        (DType::Bool, vec![false, false, true])
    );
    assert_eq!(
        bools(&ops::mul_tensor::call(&b, &c).unwrap()),
        (DType::Bool, vec![false, false, true])
    );
    assert_eq!(
        bools(&ops::add_scalar::call(&c, Scalar::Bool(true), Scalar::Int(1)).unwrap()),
        (DType::Bool, vec![true, true, true])
    );
    assert_eq!(
        bools(&ops::mul_scalar::call(&b, Scalar::Bool(false)).unwrap()),
        (DType::Bool, vec![false, false, false])
    );
    let y = ops::add_scalar::call(&b, Scalar::Int(2), Scalar::Int(1)).unwrap();
    assert_eq!(
        (y.dtype(), y.to_vec::<i64>().unwrap()),
        (DType::I64, vec![3, 2, 3])
    );
    let err = ops::add_tensor::call(&b, &b, Scalar::Float(0.5)).unwrap_err();
    assert!(err.to_string().contains("alpha"), "{err}");
    // A bool alpha is for bool results only.
    let err = ops::add_tensor::call(&i, &i, Scalar::Bool(true)).unwrap_err();
    assert!(err.to_string().contains("boolean alpha"), "{err}");
}
