//! CUDA devices end to end (the `cuda` feature): host↔device round trips, device-to-device
//! copies, and every CUDA kernel against the CPU (opcheck's float64 reference) in f32, f16 and
//! bf16, with broadcasting and non-contiguous inputs.
//!
//! Each test first probes for a device. Without one (CI, machines without a GPU) it prints
//! `skipped: <test>: <reason>` past the harness's output capture and returns; the no-device error
//! path itself is asserted in op-runtime/tests/cuda_no_device.rs.
#![cfg(feature = "cuda")]

use std::io::Write;

use opkit::kernels::cuda as kc;
use opkit::{
    DType, Device, DeviceKind, Error, Registry, Tensor, Value, cuda, opcheck, registered_backend,
};

/// The device to test on, or `None` after saying why the test is skipped.
fn gpu(test: &str) -> Option<Device> {
    match cuda::install() {
        Ok(()) => Some(Device::Cuda(0)),
        Err(e) => {
            let reason = match e {
                Error::DeviceUnavailable { reason, .. } => reason,
                other => other.to_string(),
            };
            let _ = writeln!(std::io::stderr(), "skipped: {test}: {reason}");
            None
        }
    }
}

const FLOATS: [DType; 3] = [DType::F32, DType::F16, DType::BF16];

/// Deterministic values in about [-3, 3), with a few exact zeros.
fn values(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|i| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            if i % 17 == 0 {
                0.0
            } else {
                ((s >> 33) as f64 / (1u64 << 31) as f64) * 6.0 - 3.0
            }
        })
        .collect()
}

fn tensor(shape: &[usize], dtype: DType, seed: u64) -> Tensor {
    let n = shape.iter().product();
    Tensor::from_vec(values(n, seed), shape)
        .and_then(|t| t.to_dtype(dtype))
        .unwrap()
}

#[test]
fn cuda_availability_is_reported() {
    match cuda::driver_info() {
        Ok(info) => {
            let _ = writeln!(std::io::stderr(), "cuda: {info:?}");
            assert!(info.devices > 0);
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "skipped: cuda tests: {e}");
            assert!(matches!(e, Error::DeviceUnavailable { .. }), "{e}");
        }
    }
}

#[test]
fn host_device_round_trips_keep_every_bit() {
    let Some(device) = gpu("host_device_round_trips_keep_every_bit") else {
        return;
    };
    for dtype in [
        DType::F32,
        DType::F64,
        DType::F16,
        DType::BF16,
        DType::I64,
        DType::U8,
        DType::Bool,
    ] {
        for shape in [&[0usize][..], &[1], &[7, 13], &[2, 3, 4, 5]] {
            let host = tensor(shape, dtype, 7);
            let back = host.to(device).unwrap().to(Device::Cpu).unwrap();
            assert_eq!(back.shape(), shape);
            assert_eq!(
                back.to_vec_f64().unwrap(),
                host.to_vec_f64().unwrap(),
                "{dtype} {shape:?}"
            );
        }
    }
    // A view keeps its strides on the device and reads back the same elements.
    let host = tensor(&[6, 8], DType::F32, 3);
    let view = host.transpose(0, 1).unwrap().narrow(0, 1, 5).unwrap();
    let on_device = view.to(device).unwrap();
    assert_eq!(on_device.strides(), view.strides());
    assert_eq!(on_device.to_vec_f64().unwrap(), view.to_vec_f64().unwrap());
    // Zero-filled allocation and a host write through copy_from.
    let mut z = Tensor::zeros(&[5, 5], DType::F16, device).unwrap();
    assert!(z.to_vec_f64().unwrap().iter().all(|&v| v == 0.0));
    z.copy_from(&Tensor::from_vec(vec![1.5f32; 5], &[5]).unwrap())
        .unwrap();
    assert!(z.to_vec_f64().unwrap().iter().all(|&v| v == 1.5));
}

#[test]
fn device_to_device_copies() {
    let Some(device) = gpu("device_to_device_copies") else {
        return;
    };
    let backend = registered_backend(DeviceKind::Cuda).expect("installed");
    let bytes: Vec<u8> = (0..=255).collect();
    let src = backend.allocate(device, bytes.len(), false).unwrap();
    let dst = backend.allocate(device, bytes.len(), true).unwrap();
    backend.copy_host_to_device(&bytes, device, src).unwrap();
    backend
        .copy_device_to_device(device, src, device, dst, bytes.len())
        .unwrap();
    let mut back = vec![0u8; bytes.len()];
    backend.copy_device_to_host(device, dst, &mut back).unwrap();
    assert_eq!(back, bytes);
    backend.deallocate(device, src, bytes.len());
    backend.deallocate(device, dst, bytes.len());
    // Between two devices, when there are two.
    if cuda::device_count().unwrap() > 1 {
        let x = tensor(&[64, 3], DType::BF16, 9);
        let there = x.to(device).unwrap().to(Device::Cuda(1)).unwrap();
        assert_eq!(there.device(), Device::Cuda(1));
        assert_eq!(there.to_vec_f64().unwrap(), x.to_vec_f64().unwrap());
    }
}

/// Samples for an op with this schema: tensors of every float dtype in a few shapes.
fn samples(op: &opkit::OpHandle<'_>, dtype: DType) -> Option<Vec<Vec<Value>>> {
    let name = op.name();
    let t = |shape: &[usize], seed| Value::from(tensor(shape, dtype, seed));
    let pos = |shape: &[usize], seed| {
        let x = tensor(shape, DType::F64, seed);
        let v: Vec<f64> = x
            .to_vec_f64()
            .unwrap()
            .iter()
            .map(|v| v.abs() + 0.5)
            .collect();
        Value::from(Tensor::from_vec(v, shape).unwrap().to_dtype(dtype).unwrap())
    };
    let s = |v: f64| Value::from(v);
    Some(match name.as_str() {
        "my_ops::mul3" | "my_ops::mul4" | "ops::neg" | "ops::abs" | "ops::relu" | "ops::silu"
        | "ops::sigmoid" | "ops::tanh" | "ops::exp" => {
            vec![vec![t(&[37, 5], 1)], vec![t(&[1000], 2)], vec![t(&[3], 3)]]
        }
        "ops::log" => vec![vec![pos(&[33, 7], 1)]],
        "ops::gelu" => vec![
            vec![t(&[300], 1), Value::from("none")],
            vec![t(&[300], 2), Value::from("tanh")],
        ],
        "ops::add.Tensor" | "ops::sub.Tensor" => vec![
            vec![t(&[4, 33], 1), t(&[33], 2), s(1.0)],
            vec![t(&[4, 1, 5], 3), t(&[3, 1], 4), s(-0.5)],
        ],
        "ops::mul.Tensor" => vec![
            vec![t(&[4, 33], 1), t(&[4, 1], 2)],
            vec![t(&[129], 3), t(&[129], 4)],
        ],
        "ops::div.Tensor" => vec![vec![t(&[4, 33], 1), pos(&[33], 2)]],
        "ops::add.Scalar" | "ops::sub.Scalar" => vec![vec![t(&[65], 1), s(0.75), s(2.0)]],
        "ops::mul.Scalar" | "ops::div.Scalar" => vec![vec![t(&[65], 1), s(-1.25)]],
        "ops::sum.dim_IntList" | "ops::mean.dim" => vec![
            vec![t(&[6, 70], 1), Value::from(vec![1i64]), Value::from(false)],
            vec![t(&[6, 5, 4], 2), Value::from(vec![1i64]), Value::from(true)],
            vec![t(&[300], 3), Value::None, Value::from(false)],
        ],
        "ops::softmax.int" | "ops::log_softmax.int" => vec![
            vec![t(&[5, 300], 1), Value::from(-1i64)],
            vec![t(&[4, 6, 3], 2), Value::from(1i64)],
        ],
        "ops::rms_norm" => vec![
            vec![t(&[6, 64], 1), Value::from(vec![64i64]), t(&[64], 2)],
            vec![t(&[3, 4, 10], 3), Value::from(vec![4i64, 10])],
        ],
        "ops::layer_norm" => vec![
            vec![
                t(&[6, 64], 1),
                Value::from(vec![64i64]),
                t(&[64], 2),
                t(&[64], 3),
            ],
            vec![t(&[3, 40], 4), Value::from(vec![40i64])],
        ],
        "ops::matmul" => vec![
            vec![t(&[7, 9], 1), t(&[9, 5], 2)],
            vec![t(&[3, 4, 6], 3), t(&[6, 2], 4)],
            vec![t(&[2, 4, 6], 5), t(&[2, 6, 3], 6)],
            // Batch dims that broadcast (a stride-0 operand, and one copied), and vectors.
            vec![t(&[2, 1, 4, 6], 7), t(&[3, 6, 5], 8)],
            vec![t(&[6], 9), t(&[2, 6, 3], 10)],
            vec![t(&[2, 4, 6], 11), t(&[6], 12)],
        ],
        "ops::linear" => vec![
            vec![t(&[5, 8], 1), t(&[3, 8], 2), t(&[3], 3)],
            vec![t(&[2, 5, 8], 4), t(&[3, 8], 5), Value::None],
            vec![t(&[5, 8], 6), t(&[8], 7), Value::None],
        ],
        _ => return None,
    })
}

#[test]
fn every_cuda_kernel_agrees_with_the_cpu() {
    let Some(_device) = gpu("every_cuda_kernel_agrees_with_the_cpu") else {
        return;
    };
    let registry = Registry::global().unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    for op in registry.ops() {
        if !op
            .kernels()
            .iter()
            .any(|k| k.backend == Some(DeviceKind::Cuda))
        {
            continue;
        }
        for dtype in FLOATS {
            let Some(samples) = samples(&op, dtype) else {
                failures.push(format!(
                    "{}: a CUDA kernel with no samples in tests/cuda.rs",
                    op.name()
                ));
                break;
            };
            let report = opcheck(&op, &samples);
            let cuda_checks = report
                .checks
                .iter()
                .filter(|c| c.name.contains("cuda") && c.outcome == opkit::Outcome::Passed)
                .count();
            if !report.passed() || cuda_checks == 0 {
                failures.push(format!("{dtype}: {report}"));
            }
            checked += 1;
        }
    }
    assert!(checked > 0, "no op has a CUDA kernel");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The launchers straight, for what opcheck's samples do not reach: strided outputs, every
/// unary op, reductions over middle dimensions.
#[test]
fn launchers_handle_views_and_broadcasts() {
    let Some(device) = gpu("launchers_handle_views_and_broadcasts") else {
        return;
    };
    for dtype in FLOATS {
        let tol = if dtype == DType::F32 { 1e-5 } else { 2e-2 };
        let close = |a: &Tensor, b: &[f64], what: &str| {
            let a = a.to_vec_f64().unwrap();
            assert_eq!(a.len(), b.len(), "{what}");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                assert!(
                    (x - y).abs() <= tol * (1.0 + y.abs()) || (x.is_nan() && y.is_nan()),
                    "{what} {dtype} [{i}]: {x} vs {y}"
                );
            }
        };
        let host = tensor(&[8, 6], dtype, 11);
        let x = host.to(device).unwrap();
        // A transposed input into a transposed output view.
        let out = Tensor::zeros(&[8, 6], dtype, device).unwrap();
        let mut out_t = out.transpose(0, 1).unwrap();
        kc::unary(kc::Unary::Neg, &x.transpose(0, 1).unwrap(), &mut out_t, 0.0).unwrap();
        let expected: Vec<f64> = host.to_vec_f64().unwrap().iter().map(|v| -v).collect();
        close(&out, &expected, "neg through transposed views");
        // Broadcast a row and a column.
        let row = tensor(&[6], dtype, 12);
        let col = tensor(&[8, 1], dtype, 13);
        let mut sum = Tensor::empty(&[8, 6], dtype, device).unwrap();
        kc::binary(
            kc::Binary::Add,
            &row.to(device).unwrap(),
            &col.to(device).unwrap(),
            &mut sum,
        )
        .unwrap();
        let (r, c) = (row.to_vec_f64().unwrap(), col.to_vec_f64().unwrap());
        let expected: Vec<f64> = (0..48).map(|i| r[i % 6] + c[i / 6]).collect();
        close(&sum, &expected, "broadcast add");
        // A reduction over the middle dimension.
        let cube = tensor(&[3, 5, 4], dtype, 14);
        let mut red = Tensor::empty(&[3, 4], dtype, device).unwrap();
        kc::reduce(
            kc::Reduction::Max,
            &cube.to(device).unwrap(),
            Some(1),
            &mut red,
        )
        .unwrap();
        let v = cube.to_vec_f64().unwrap();
        let expected: Vec<f64> = (0..12)
            .map(|i| {
                (0..5)
                    .map(|k| v[(i / 4) * 20 + k * 4 + i % 4])
                    .fold(f64::MIN, f64::max)
            })
            .collect();
        close(&red, &expected, "max over dim 1");
        // Every unary op runs (values checked against the CPU ops through opcheck above).
        for op in kc::Unary::ALL {
            let mut y = Tensor::empty(&[8, 6], dtype, device).unwrap();
            kc::unary(op, &x, &mut y, 1.5).unwrap();
        }
        cuda::synchronize(device).unwrap();
    }
}

/// Sums over millions of elements stay accurate whether a block (rows) or one thread (columns)
/// adds them up: each thread's running sum is compensated, where a plain f32 running sum of a
/// column of 10^7 × 0.1 came to 1.088e6. Division by a scalar is an IEEE division, also by a
/// divisor whose reciprocal overflows f32. Views the strided kernels cannot index still reduce.
#[test]
fn reduction_and_division_edge_cases() {
    let Some(device) = gpu("reduction_and_division_edge_cases") else {
        return;
    };
    let n = 4_000_000;
    let exact = f64::from(0.1f32) * n as f64;
    // [2, n] reduced over dim 1: the row kernel; [1, n, 2] over dim 1: the column kernel.
    for (shape, out_shape) in [(vec![2, n], vec![2]), (vec![1, n, 2], vec![1, 2])] {
        let x = Tensor::from_vec(vec![0.1f32; 2 * n], &shape)
            .unwrap()
            .to(device)
            .unwrap();
        for (op, want) in [
            (kc::Reduction::Sum, exact),
            (kc::Reduction::Mean, f64::from(0.1f32)),
        ] {
            let mut out = Tensor::empty(&out_shape, DType::F32, device).unwrap();
            kc::reduce(op, &x, Some(1), &mut out).unwrap();
            for got in out.to_vec_f64().unwrap() {
                assert!(
                    (got - want).abs() <= 1e-6 * want,
                    "{} over {shape:?}: {got} vs {want}",
                    op.name()
                );
            }
        }
    }
    // Full reductions of 3·10^6 elements: split into chunks over the whole device, then the
    // chunks' results; the extreme value (and a NaN) sit in the last chunk.
    let n = 3_000_000;
    let mut v: Vec<f32> = (0..n).map(|i| ((i % 1000) as f32 - 500.0) / 64.0).collect();
    v[n - 3] = 1000.0;
    v[n - 2] = -1000.0;
    let host = Tensor::from_vec(v.clone(), &[n]).unwrap();
    let x = host.to(device).unwrap();
    let exact: f64 = v.iter().map(|&e| f64::from(e)).sum();
    for (op, want) in [
        (kc::Reduction::Sum, exact),
        (kc::Reduction::Mean, exact / n as f64),
        (kc::Reduction::Max, 1000.0),
        (kc::Reduction::Min, -1000.0),
    ] {
        let mut out = Tensor::empty(&[], DType::F32, device).unwrap();
        kc::reduce(op, &x, None, &mut out).unwrap();
        let got = out.to_vec_f64().unwrap()[0];
        assert!(
            (got - want).abs() <= 1e-6 * (1.0 + want.abs()),
            "full {}: {got} vs {want}",
            op.name()
        );
    }
    v[n - 1] = f32::NAN;
    let x = Tensor::from_vec(v, &[n]).unwrap().to(device).unwrap();
    for op in [kc::Reduction::Sum, kc::Reduction::Max, kc::Reduction::Min] {
        let mut out = Tensor::empty(&[], DType::F32, device).unwrap();
        kc::reduce(op, &x, None, &mut out).unwrap();
        assert!(
            out.to_vec_f64().unwrap()[0].is_nan(),
            "{} with a NaN",
            op.name()
        );
    }
    let values = [1e-30f32, 0.0, 3.0, -2.0, 7.5e-40];
    let divisor = 1e-39f32;
    let x = Tensor::from_vec(values.to_vec(), &[5])
        .unwrap()
        .to(device)
        .unwrap();
    let mut y = Tensor::empty(&[5], DType::F32, device).unwrap();
    kc::unary(kc::Unary::DivScalar, &x, &mut y, divisor).unwrap();
    let got = y.to(Device::Cpu).unwrap().to_vec::<f32>().unwrap();
    for (v, g) in values.iter().zip(&got) {
        assert_eq!(g.to_bits(), (v / divisor).to_bits(), "{v} / {divisor}: {g}");
    }
    // Nine dimensions that do not merge (reversed), more than the strided kernels index: the
    // reduction's contiguous copy goes through the host instead of failing.
    let host = tensor(&[2; 9], DType::F32, 21);
    let dims: Vec<isize> = (0..9).rev().collect();
    let x = host.to(device).unwrap().permute(&dims).unwrap();
    let mut out = Tensor::empty(&[1], DType::F32, device).unwrap();
    kc::reduce(kc::Reduction::Sum, &x, None, &mut out).unwrap();
    let want: f64 = host.to_vec_f64().unwrap().iter().sum();
    let got = out.to_vec_f64().unwrap()[0];
    assert!(
        (got - want).abs() <= 1e-4 * (1.0 + want.abs()),
        "{got} vs {want}"
    );
}

/// `a ± alpha · b` on the device rounds once, as the CPU's `add`/`sub` do: the same bits in every
/// dtype (the halves used to round `alpha · b` first).
#[test]
fn alpha_sums_round_like_the_cpu() {
    let Some(device) = gpu("alpha_sums_round_like_the_cpu") else {
        return;
    };
    for dtype in FLOATS {
        let (a, b) = (tensor(&[257], dtype, 31), tensor(&[257], dtype, 32));
        for (op, alpha) in [
            (kc::Binary::Add, 0.3),
            (kc::Binary::Sub, -1.7),
            (kc::Binary::Add, 1.0),
        ] {
            let cpu = match op {
                kc::Binary::Add => {
                    opkit::kernels::ops::add_tensor::call(&a, &b, opkit::Scalar::Float(alpha))
                }
                _ => opkit::kernels::ops::sub_tensor::call(&a, &b, opkit::Scalar::Float(alpha)),
            }
            .unwrap();
            let mut out = Tensor::empty(&[257], dtype, device).unwrap();
            kc::binary_scaled(
                op,
                &a.to(device).unwrap(),
                &b.to(device).unwrap(),
                alpha as f32,
                &mut out,
            )
            .unwrap();
            let got = out.to(Device::Cpu).unwrap();
            assert_eq!(
                got.to_vec_f64().unwrap(),
                cpu.to_vec_f64().unwrap(),
                "{op:?} alpha={alpha} {dtype}"
            );
        }
    }
}

/// Launchers given an input that overlaps the output: exactly (in place) it is computed there; any
/// other overlap is copied aside first, so the result is what the input held before the call.
#[test]
fn overlapping_inputs_read_the_values_before_the_call() {
    let Some(device) = gpu("overlapping_inputs_read_the_values_before_the_call") else {
        return;
    };
    let host: Vec<f32> = (0..4096).map(|i| i as f32).collect();
    let fresh = || {
        Tensor::from_vec(host.clone(), &[4096])
            .unwrap()
            .to(device)
            .unwrap()
    };
    // out = neg(x shifted by one element): every element's source is another thread's output.
    let buf = fresh();
    let src = buf.narrow(0, 0, 4095).unwrap();
    let mut dst = buf.narrow(0, 1, 4095).unwrap();
    kc::unary(kc::Unary::Neg, &src, &mut dst, 0.0).unwrap();
    let got = buf.to_vec_f64().unwrap();
    assert_eq!(got[0], 0.0);
    for (i, &v) in got.iter().enumerate().skip(1) {
        assert_eq!(v, -((i - 1) as f64), "element {i}");
    }
    // In place: the same view as input and output.
    let buf = fresh();
    let mut same = buf.clone();
    kc::binary(kc::Binary::Add, &buf, &buf.clone(), &mut same).unwrap();
    let got = buf.to_vec_f64().unwrap();
    assert!(got.iter().enumerate().all(|(i, &v)| v == 2.0 * i as f64));
    // A row op over overlapping rows: softmax of rows 0..3 written to rows 1..4.
    let buf = fresh().view_shape(&[64, 64]).unwrap();
    let want = opkit::kernels::ops::softmax::call(
        &Tensor::from_vec(host[..63 * 64].to_vec(), &[63, 64]).unwrap(),
        1,
        None,
    )
    .unwrap()
    .to_vec_f64()
    .unwrap();
    let src = buf.narrow(0, 0, 63).unwrap();
    let mut dst = buf.narrow(0, 1, 63).unwrap();
    kc::softmax(&src, 1, false, &mut dst).unwrap();
    let got = dst.to_vec_f64().unwrap();
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() <= 1e-6, "{g} vs {w}");
    }
}

/// The norms with float32 parameters for f16/bf16 rows (mixed precision, the `_f32p` kernels) and
/// an rms_norm weight of another dtype: the input's dtype out, close to the CPU's result.
#[test]
fn norms_with_parameters_of_another_dtype() {
    let Some(device) = gpu("norms_with_parameters_of_another_dtype") else {
        return;
    };
    let on = |t: &Tensor| t.to(device).unwrap();
    for dtype in [DType::F16, DType::BF16] {
        let x = tensor(&[6, 300], dtype, 41);
        let (w, b) = (
            tensor(&[300], DType::F32, 42),
            tensor(&[300], DType::F32, 43),
        );
        let cpu = opkit::kernels::ops::layer_norm::call(&x, &[300], Some(&w), Some(&b), 1e-5, true)
            .unwrap();
        let got = opkit::kernels::ops::layer_norm::call(
            &on(&x),
            &[300],
            Some(&on(&w)),
            Some(&on(&b)),
            1e-5,
            true,
        )
        .unwrap();
        assert_eq!(got.dtype(), dtype);
        assert_eq!(got.device(), device);
        let tol = if dtype == DType::F16 { 2e-3 } else { 1.6e-2 };
        for (g, c) in got
            .to_vec_f64()
            .unwrap()
            .iter()
            .zip(cpu.to_vec_f64().unwrap())
        {
            assert!(
                (g - c).abs() <= tol * (1.0 + c.abs()),
                "layer_norm {dtype}: {g} vs {c}"
            );
        }
        for wd in [DType::F32, DType::F16, DType::BF16] {
            let w = tensor(&[300], wd, 44);
            let cpu = opkit::kernels::ops::rms_norm::call(&x, &[300], Some(&w), None).unwrap();
            let got =
                opkit::kernels::ops::rms_norm::call(&on(&x), &[300], Some(&on(&w)), None).unwrap();
            assert_eq!(got.dtype(), dtype);
            for (g, c) in got
                .to_vec_f64()
                .unwrap()
                .iter()
                .zip(cpu.to_vec_f64().unwrap())
            {
                assert!(
                    (g - c).abs() <= tol * (1.0 + c.abs()),
                    "rms_norm {dtype} with a {wd} weight: {g} vs {c}"
                );
            }
        }
    }
}

#[test]
fn kernel_errors_are_values() {
    let Some(device) = gpu("kernel_errors_are_values") else {
        return;
    };
    let x = tensor(&[4], DType::F64, 1).to(device).unwrap();
    let mut y = Tensor::empty(&[4], DType::F64, device).unwrap();
    assert!(matches!(
        kc::unary(kc::Unary::Exp, &x, &mut y, 0.0),
        Err(Error::UnsupportedDType { .. })
    ));
    let a = tensor(&[4], DType::F32, 1).to(device).unwrap();
    let mut wrong = Tensor::empty(&[5], DType::F32, device).unwrap();
    assert!(kc::unary(kc::Unary::Exp, &a, &mut wrong, 0.0).is_err());
    let mut broadcast = Tensor::empty(&[1], DType::F32, device)
        .unwrap()
        .expand(&[4])
        .unwrap();
    assert!(matches!(
        kc::unary(kc::Unary::Exp, &a, &mut broadcast, 0.0),
        Err(Error::OverlappingWrite { .. })
    ));
    // Operands that do not broadcast to the output are an error even when it is empty.
    let b = tensor(&[3], DType::F32, 2).to(device).unwrap();
    let mut empty = Tensor::empty(&[0], DType::F32, device).unwrap();
    assert!(matches!(
        kc::binary(kc::Binary::Add, &a, &b, &mut empty),
        Err(Error::ShapeMismatch { .. })
    ));
}
