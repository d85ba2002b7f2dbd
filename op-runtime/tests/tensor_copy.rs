//! Copies: contiguous, copy_from (broadcasting, dtype conversion, strides), to_dtype, fill_,
//! resize_, to(device) on the CPU.

use op_runtime::{DType, Device, Error, Scalar, Tensor, bf16, f16};

fn arange(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::from_vec((0..n as i64).collect::<Vec<_>>(), shape).unwrap()
}

#[test]
fn contiguous_is_cheap_when_possible() {
    let t = arange(&[2, 3]);
    let c = t.contiguous().unwrap();
    assert!(c.same_storage(&t));
    let tt = t.transpose(0, 1).unwrap();
    let c = tt.contiguous().unwrap();
    assert!(!c.same_storage(&t) && c.is_contiguous());
    assert_eq!(c.strides(), &[2, 1]);
    assert_eq!(c.to_vec::<i64>().unwrap(), vec![0, 3, 1, 4, 2, 5]);
    let flipped = t.flip(1).unwrap().contiguous().unwrap();
    assert_eq!(flipped.to_vec::<i64>().unwrap(), vec![2, 1, 0, 5, 4, 3]);
    let d = t.deep_clone().unwrap();
    assert!(!d.same_storage(&t));
    assert_eq!(d.to_vec::<i64>().unwrap(), t.to_vec::<i64>().unwrap());
}

#[test]
fn copy_from_broadcasts_and_converts() {
    let mut out = Tensor::zeros(&[2, 3], DType::F32, Device::Cpu).unwrap();
    out.copy_from(&Tensor::from_vec(vec![1i8, -2, 3], &[3]).unwrap())
        .unwrap();
    assert_eq!(
        out.to_vec::<f32>().unwrap(),
        vec![1.0, -2.0, 3.0, 1.0, -2.0, 3.0]
    );
    out.copy_from(&Tensor::from_vec(vec![7.5f64, 8.5], &[2, 1]).unwrap())
        .unwrap();
    assert_eq!(
        out.to_vec::<f32>().unwrap(),
        vec![7.5, 7.5, 7.5, 8.5, 8.5, 8.5]
    );
    out.copy_from(&Tensor::scalar(true)).unwrap();
    assert_eq!(out.to_vec::<f32>().unwrap(), vec![1.0; 6]);
    let err = out.copy_from(&arange(&[4])).unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { .. }));
    assert!(
        err.to_string()
            .contains("[4] cannot be broadcast to the destination shape [2, 3]")
    );
}

#[test]
fn copy_from_any_strides_on_both_sides() {
    let src = arange(&[3, 4]).flip(0).unwrap().transpose(0, 1).unwrap(); // [4, 3], strides [1, -4]
    let base = Tensor::zeros(&[3, 8], DType::I32, Device::Cpu).unwrap();
    // Destination: every other column of the transpose of `base` — strided and transposed.
    let mut dst = base.transpose(0, 1).unwrap().slice(0, 0, 8, 2).unwrap(); // [4, 3], strides [2, 8]
    dst.copy_from(&src).unwrap();
    let expected: Vec<i32> = src
        .to_vec::<i64>()
        .unwrap()
        .iter()
        .map(|&v| v as i32)
        .collect();
    assert_eq!(dst.to_vec::<i32>().unwrap(), expected);
    // Untouched odd columns stay zero.
    let odd = base.slice(1, 1, 8, 2).unwrap();
    assert_eq!(odd.to_vec::<i32>().unwrap(), vec![0; 12]);
}

#[test]
fn copy_within_one_storage_is_exact() {
    let mut t = arange(&[4]);
    let src = t.flip(0).unwrap();
    t.copy_from(&src).unwrap();
    assert_eq!(t.to_vec::<i64>().unwrap(), vec![3, 2, 1, 0]);
    let base = arange(&[2, 3]);
    let mut row1 = base.select(0, 1).unwrap();
    row1.copy_from(&base.select(0, 0).unwrap()).unwrap();
    assert_eq!(base.to_vec::<i64>().unwrap(), vec![0, 1, 2, 0, 1, 2]);
}

#[test]
fn copy_refuses_overlapping_destinations() {
    let mut e = Tensor::zeros(&[1, 3], DType::F32, Device::Cpu)
        .unwrap()
        .expand(&[2, 3])
        .unwrap();
    let err = e
        .copy_from(&Tensor::ones(&[2, 3], DType::F32, Device::Cpu).unwrap())
        .unwrap_err();
    assert_eq!(
        err,
        Error::OverlappingWrite {
            shape: vec![2, 3],
            strides: vec![0, 1]
        }
    );
    assert!(err.to_string().contains("call .contiguous()"));
    assert!(matches!(e.fill_(1), Err(Error::OverlappingWrite { .. })));
}

#[test]
fn to_dtype_converts_every_pair() {
    let values = [0.0, 1.0, 2.0, 100.0];
    for from in DType::ALL {
        let src = Tensor::from_vec(values.to_vec(), &[4])
            .unwrap()
            .to_dtype(from)
            .unwrap();
        for to in DType::ALL {
            let out = src.to_dtype(to).unwrap();
            assert_eq!(out.dtype(), to);
            let want: Vec<f64> = src
                .to_vec_f64()
                .unwrap()
                .iter()
                .map(|&v| {
                    if to == DType::Bool {
                        f64::from(u8::from(v != 0.0))
                    } else {
                        v
                    }
                })
                .collect();
            assert_eq!(out.to_vec_f64().unwrap(), want, "{from} -> {to}");
        }
    }
    let x = Tensor::from_vec(vec![i64::MAX, -1, 256 + 7], &[3]).unwrap();
    assert_eq!(
        x.to_dtype(DType::I64).unwrap().to_vec::<i64>().unwrap()[0],
        i64::MAX
    );
    assert_eq!(
        x.to_dtype(DType::U8).unwrap().to_vec::<u8>().unwrap(),
        vec![255, 255, 7]
    );
    let f = Tensor::from_vec(vec![1.5f32, f32::NAN, -3.7, 1e10], &[4]).unwrap();
    assert_eq!(
        f.to_dtype(DType::I32).unwrap().to_vec::<i32>().unwrap(),
        vec![1, 0, -3, i32::MAX]
    );
    assert_eq!(
        f.to_dtype(DType::Bool).unwrap().to_vec::<bool>().unwrap(),
        vec![true, true, true, true]
    );
    let h = f.to_dtype(DType::F16).unwrap().to_vec::<f16>().unwrap();
    assert_eq!(h[0], f16::from_f32(1.5));
    assert!(h[3].is_infinite());
    let b = Tensor::scalar(bf16::from_f32(3.0))
        .to_dtype(DType::F64)
        .unwrap();
    assert_eq!(b.item::<f64>().unwrap(), 3.0);
    assert!(x.to_dtype(DType::I64).unwrap().same_storage(&x));
}

#[test]
fn fill_sets_every_element_of_a_view() {
    let base = Tensor::zeros(&[3, 3], DType::I16, Device::Cpu).unwrap();
    let mut diag_block = base.narrow(0, 1, 2).unwrap().narrow(1, 1, 2).unwrap();
    diag_block.fill_(Scalar::Float(-2.9)).unwrap();
    assert_eq!(
        base.to_vec::<i16>().unwrap(),
        vec![0, 0, 0, 0, -2, -2, 0, -2, -2]
    );
    let mut f = base.flip(1).unwrap().select(0, 0).unwrap();
    f.fill_(true).unwrap();
    assert_eq!(
        base.select(0, 0).unwrap().to_vec::<i16>().unwrap(),
        vec![1, 1, 1]
    );
}

#[test]
fn resize_only_empty_tensors() {
    let mut out = Tensor::empty(&[0], DType::F16, Device::Cpu).unwrap();
    out.resize_(&[2, 2]).unwrap();
    assert_eq!(
        (out.shape(), out.dtype(), out.is_contiguous()),
        (&[2, 2][..], DType::F16, true)
    );
    assert_eq!(out.to_vec_f64().unwrap(), vec![0.0; 4]);
    out.resize_(&[2, 2]).unwrap();
    let err = out.resize_(&[4]).unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { .. }));
    assert!(
        err.to_string()
            .contains("cannot resize a non-empty tensor of shape [2, 2] to [4]")
    );
}

#[test]
fn data_accessors_check_dtype_layout_and_count() {
    let t = arange(&[2, 2]);
    assert_eq!(
        t.to_vec::<f64>().unwrap_err(),
        Error::DTypeMismatch {
            expected: DType::F64,
            found: DType::I64
        }
    );
    assert_eq!(
        t.to_vec::<f64>().unwrap_err().to_string(),
        "dtype mismatch: expected float64, found int64"
    );
    let err = t.item::<i64>().unwrap_err();
    assert_eq!(err, Error::NotOneElement { numel: 4 });
    assert!(
        err.to_string()
            .contains("4 elements cannot be converted to a single value")
    );
    assert_eq!(
        t.select(0, 1)
            .unwrap()
            .select(0, 0)
            .unwrap()
            .item::<i64>()
            .unwrap(),
        2
    );
    let tt = t.transpose(0, 1).unwrap();
    let err = tt.as_slice::<i64>().unwrap_err();
    assert_eq!(
        err,
        Error::NotContiguous {
            shape: vec![2, 2],
            strides: vec![1, 2]
        }
    );
    assert!(err.to_string().contains("call .contiguous()"));
    assert_eq!(
        &*tt.contiguous().unwrap().as_slice::<i64>().unwrap(),
        &[0, 2, 1, 3]
    );
    assert_eq!(
        &*t.narrow(0, 1, 1).unwrap().as_slice::<i64>().unwrap(),
        &[2, 3]
    );
    assert_eq!(
        t.as_slice::<i32>().unwrap_err(),
        Error::DTypeMismatch {
            expected: DType::I32,
            found: DType::I64
        }
    );
    assert_eq!(tt.to_vec_f64().unwrap(), vec![0.0, 2.0, 1.0, 3.0]);
    let empty = t.narrow(0, 2, 0).unwrap();
    assert_eq!(empty.as_slice::<i64>().unwrap().len(), 0);
}

#[test]
fn to_same_device_is_a_clone() {
    let t = arange(&[3]);
    assert!(t.to(Device::Cpu).unwrap().same_storage(&t));
}

/// Integers convert to floats rounded once, as Rust's `as` and PyTorch do: an int64 beyond 2^53
/// used to go through f64 first (two roundings), and disagreed with `fill_`.
#[test]
fn large_integers_round_once_to_floats() {
    let v = (1i64 << 62) + (1 << 38) + 1;
    let t = Tensor::from_vec(vec![v, -v, i64::MAX, i64::MIN], &[4]).unwrap();
    let f = t.to_dtype(DType::F32).unwrap().to_vec::<f32>().unwrap();
    assert_eq!(f[0].to_bits(), 0x5e80_0001);
    assert_eq!(
        f,
        vec![v as f32, -v as f32, i64::MAX as f32, i64::MIN as f32]
    );
    let mut filled = Tensor::zeros(&[1], DType::F32, Device::Cpu).unwrap();
    filled.fill_(v).unwrap();
    assert_eq!(filled.to_vec::<f32>().unwrap()[0], f[0]);
    // bf16 reaches 2^63: just above a tie (2^62 · (1 + 2^-8) + 1) rounds up.
    let w = (1i64 << 62) + (1 << 54) + 1;
    let b = Tensor::from_vec(vec![w], &[1])
        .unwrap()
        .to_dtype(DType::BF16)
        .unwrap();
    assert_eq!(b.to_vec::<bf16>().unwrap()[0].to_bits(), 0x5e81);
    // f64 keeps 53 bits, rounded once.
    let d = t.to_dtype(DType::F64).unwrap().to_vec::<f64>().unwrap();
    assert_eq!(d[0], v as f64);
}

/// `fill_` and `full` refuse what PyTorch refuses ("value cannot be converted to type … without
/// overflow") and leave the tensor unchanged; what PyTorch takes, they take.
#[test]
fn fill_refuses_values_the_dtype_cannot_hold() {
    let refused: [(DType, Scalar); 8] = [
        (DType::U8, Scalar::Int(300)),
        (DType::U8, Scalar::Int(-256)),
        (DType::I8, Scalar::Int(-129)),
        (DType::I32, Scalar::Float(f64::NAN)),
        (DType::I32, Scalar::Float(1e10)),
        (DType::F32, Scalar::Float(1e39)),
        (DType::F16, Scalar::Int(70000)),
        (DType::BF16, Scalar::Float(3.5e38)),
    ];
    for (dtype, value) in refused {
        let mut t = Tensor::zeros(&[2], dtype, Device::Cpu).unwrap();
        assert!(
            matches!(t.fill_(value), Err(Error::ScalarConversion { .. })),
            "{dtype} {value}"
        );
        assert_eq!(t.to_vec_f64().unwrap(), vec![0.0, 0.0], "{dtype} unchanged");
        assert!(Tensor::full(&[2], value, dtype, Device::Cpu).is_err());
    }
    let taken: [(DType, Scalar, f64); 7] = [
        (DType::U8, Scalar::Int(-1), 255.0),
        (DType::U8, Scalar::Bool(true), 1.0),
        (DType::I32, Scalar::Float(2.5), 2.0),
        (DType::F32, Scalar::Float(f64::INFINITY), f64::INFINITY),
        (DType::F16, Scalar::Float(65504.0), 65504.0),
        (DType::Bool, Scalar::Int(5), 1.0),
        (DType::I64, Scalar::Int(i64::MAX), i64::MAX as f64),
    ];
    for (dtype, value, want) in taken {
        let t = Tensor::full(&[2], value, dtype, Device::Cpu).unwrap();
        assert_eq!(t.to_vec_f64().unwrap(), vec![want; 2], "{dtype} {value}");
    }
}
