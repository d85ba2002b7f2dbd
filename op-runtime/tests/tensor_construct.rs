//! Creating tensors, their accessors, DType, Device and Scalar.

use op_runtime::{DType, Device, Element, Error, HOST_ALIGNMENT, Scalar, Tensor, bf16, f16};

#[test]
fn empty_zeros_ones_full() {
    let e = Tensor::empty(&[2, 3, 4], DType::F32, Device::Cpu).unwrap();
    assert_eq!(
        (e.shape(), e.strides(), e.offset()),
        (&[2, 3, 4][..], &[12, 4, 1][..], 0)
    );
    assert_eq!((e.numel(), e.dim(), e.nbytes()), (24, 3, 96));
    assert_eq!(e.device(), Device::Cpu);
    assert!(e.is_contiguous());
    assert_eq!(e.storage().nbytes(), 96);
    assert_eq!(e.storage().host_ptr().unwrap().addr() % HOST_ALIGNMENT, 0);

    for dtype in DType::ALL {
        let z = Tensor::zeros(&[5], dtype, Device::Cpu).unwrap();
        assert_eq!(z.dtype(), dtype);
        assert_eq!(z.to_vec_f64().unwrap(), vec![0.0; 5]);
        let o = Tensor::ones(&[2, 2], dtype, Device::Cpu).unwrap();
        assert_eq!(o.to_vec_f64().unwrap(), vec![1.0; 4], "{dtype}");
    }
    let f = Tensor::full(&[3], -2.5, DType::BF16, Device::Cpu).unwrap();
    assert_eq!(f.to_vec::<bf16>().unwrap(), vec![bf16::from_f32(-2.5); 3]);
    let i = Tensor::full(&[2], Scalar::Int(i64::MAX), DType::I64, Device::Cpu).unwrap();
    assert_eq!(i.to_vec::<i64>().unwrap(), vec![i64::MAX; 2]);
    let b = Tensor::full(&[2], true, DType::F16, Device::Cpu).unwrap();
    assert_eq!(b.to_vec::<f16>().unwrap(), vec![f16::ONE; 2]);
}

#[test]
fn zero_sized_and_scalar_shapes() {
    let z = Tensor::zeros(&[3, 0, 2], DType::F64, Device::Cpu).unwrap();
    assert_eq!((z.numel(), z.nbytes(), z.strides()), (0, 0, &[2, 2, 1][..]));
    assert_eq!(z.to_vec::<f64>().unwrap(), Vec::<f64>::new());
    assert!(z.is_contiguous());
    let s = Tensor::zeros(&[], DType::I8, Device::Cpu).unwrap();
    assert_eq!(
        (s.numel(), s.dim(), s.shape(), s.strides()),
        (1, 0, &[][..], &[][..])
    );
    let s = Tensor::scalar(7u8);
    assert_eq!((s.dtype(), s.item::<u8>().unwrap()), (DType::U8, 7));
}

#[test]
fn from_vec_and_slice() {
    let v = vec![1i16, 2, 3, 4, 5, 6];
    let ptr = v.as_ptr();
    let t = Tensor::from_vec(v, &[3, 2]).unwrap();
    assert_eq!(
        t.storage().host_ptr().unwrap(),
        ptr.cast::<u8>(),
        "from_vec must not copy"
    );
    assert_eq!(t.dtype(), DType::I16);
    assert_eq!(t.to_vec::<i16>().unwrap(), vec![1, 2, 3, 4, 5, 6]);
    let s = Tensor::from_slice(&[true, false], &[2]).unwrap();
    assert_eq!(s.to_vec::<bool>().unwrap(), vec![true, false]);
    // A Vec with spare capacity is adopted and freed correctly.
    let mut v = Vec::with_capacity(100);
    v.extend([1.0f64, 2.0]);
    let t = Tensor::from_vec(v, &[2]).unwrap();
    assert_eq!(t.storage().nbytes(), 16);
    drop(t);
}

#[test]
fn length_mismatch_names_both() {
    let err = Tensor::from_vec(vec![1.0f32; 5], &[2, 3]).unwrap_err();
    assert_eq!(
        err,
        Error::LengthMismatch {
            len: 5,
            shape: vec![2, 3],
            numel: 6
        }
    );
    let msg = err.to_string();
    assert!(
        msg.contains("5 elements") && msg.contains("[2, 3]") && msg.contains("6"),
        "{msg}"
    );
    assert!(Tensor::from_slice(&[1u8], &[]).is_ok());
    assert!(matches!(
        Tensor::from_slice(&[1u8, 2], &[]),
        Err(Error::LengthMismatch { .. })
    ));
}

#[test]
#[cfg_attr(
    miri,
    ignore = "Miri stops at a failed allocation instead of returning null"
)]
fn huge_shapes_are_errors() {
    let huge = [usize::MAX / 2, 4];
    assert_eq!(
        Tensor::empty(&huge, DType::U8, Device::Cpu).unwrap_err(),
        Error::ShapeOverflow {
            shape: huge.to_vec()
        }
    );
    // The element count fits, its byte size does not.
    let big = [1usize << 61];
    assert!(matches!(
        Tensor::zeros(&big, DType::F64, Device::Cpu),
        Err(Error::ShapeOverflow { .. })
    ));
    // Fits the address space, not the memory: an allocation error, not an abort.
    let err = Tensor::zeros(&[1 << 40, 1 << 20], DType::U8, Device::Cpu).unwrap_err();
    assert_eq!(
        err,
        Error::AllocationFailed {
            device: Device::Cpu,
            nbytes: 1 << 60
        }
    );
    assert!(err.to_string().contains("failed to allocate"));
    // Every size must fit in isize, even when another size is zero.
    let err = Tensor::from_vec(Vec::<u8>::new(), &[usize::MAX, 0]).unwrap_err();
    assert_eq!(
        err,
        Error::ShapeOverflow {
            shape: vec![usize::MAX, 0]
        }
    );
    assert!(err.to_string().contains("too large"));
}

#[test]
fn size_wraps_negative_dims() {
    let t = Tensor::zeros(&[2, 3, 4], DType::F32, Device::Cpu).unwrap();
    assert_eq!(t.size(0).unwrap(), 2);
    assert_eq!(t.size(-1).unwrap(), 4);
    assert_eq!(t.size(-3).unwrap(), 2);
    let err = t.size(3).unwrap_err();
    assert_eq!(err, Error::DimOutOfRange { dim: 3, ndim: 3 });
    assert_eq!(
        err.to_string(),
        "dimension out of range (expected to be in range of [-3, 2], but got 3); negative \
         dimensions count from the end"
    );
    assert!(t.size(-4).is_err());
    let s = Tensor::scalar(1.0f32);
    assert!(s.size(0).unwrap_err().to_string().contains("no dimensions"));
}

#[test]
fn arange_every_dtype() {
    for dtype in DType::ALL {
        let t = Tensor::arange(3, dtype).unwrap();
        let expected = if dtype == DType::Bool {
            vec![0.0, 1.0, 1.0]
        } else {
            vec![0.0, 1.0, 2.0]
        };
        assert_eq!(t.to_vec_f64().unwrap(), expected, "{dtype}");
    }
}

#[test]
fn dtype_properties() {
    let sizes = [1, 1, 1, 2, 4, 8, 2, 2, 4, 8];
    for (dtype, size) in DType::ALL.into_iter().zip(sizes) {
        assert_eq!(dtype.size_in_bytes(), size, "{dtype}");
    }
    assert!(DType::BF16.is_floating_point() && !DType::BF16.is_integral());
    assert!(
        DType::U8.is_integral() && !DType::Bool.is_integral() && !DType::Bool.is_floating_point()
    );
    let names: Vec<String> = DType::ALL.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        names,
        [
            "bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
            "float64"
        ]
    );
}

#[test]
fn dtype_parsing_accepts_aliases() {
    let cases = [
        ("float", DType::F32),
        ("double", DType::F64),
        ("half", DType::F16),
        ("long", DType::I64),
        ("int", DType::I32),
        ("short", DType::I16),
        ("byte", DType::U8),
        ("char", DType::I8),
        ("f32", DType::F32),
        ("bf16", DType::BF16),
        ("i64", DType::I64),
        ("u8", DType::U8),
        ("bfloat16", DType::BF16),
    ];
    for (name, dtype) in cases {
        assert_eq!(DType::from_name(name).unwrap(), dtype, "{name}");
        assert_eq!(name.parse::<DType>().unwrap(), dtype, "{name}");
    }
    let err = "Float".parse::<DType>().unwrap_err();
    assert_eq!(
        err,
        Error::UnknownDType {
            name: "Float".into()
        }
    );
    let msg = err.to_string();
    assert!(
        msg.starts_with("unknown dtype `Float`; expected one of: bool, uint8"),
        "{msg}"
    );
    assert!(
        msg.contains("bfloat16") && msg.contains("double") && msg.contains("bf16"),
        "{msg}"
    );
    assert!("cfloat".parse::<DType>().is_err());
}

#[test]
fn promotion_follows_pytorch() {
    use DType::*;
    let cases = [
        (Bool, Bool, Bool),
        (Bool, U8, U8),
        (Bool, F16, F16),
        (U8, I8, I16),
        (U8, I16, I16),
        (U8, I64, I64),
        (I8, I32, I32),
        (I16, I64, I64),
        (I64, F16, F16),
        (U8, BF16, BF16),
        (F16, BF16, F32),
        (F16, F32, F32),
        (BF16, F64, F64),
        (F32, F64, F64),
        (I64, F32, F32),
    ];
    for (a, b, want) in cases {
        assert_eq!(DType::promote(a, b), want, "{a} + {b}");
        assert_eq!(DType::promote(b, a), want, "{b} + {a}");
    }
}

#[test]
fn element_conversions() {
    assert_eq!(f32::from_f64(1e40), f32::INFINITY);
    assert_eq!(i32::from_f64(-2.9), -2);
    assert_eq!(u8::from_f64(300.0), 255);
    assert_eq!(u8::from_f64(-5.0), 0);
    assert_eq!(i64::from_f64(f64::NAN), 0);
    assert_eq!(u8::from_i64(300), 44);
    assert_eq!(i8::from_i64(200), -56);
    assert!(bool::from_f64(f64::NAN));
    assert!(!bool::from_i64(0));
    assert_eq!(true.to_f64(), 1.0);
    assert_eq!(bf16::from_f64(1.0).to_i64(), 1);
    assert_eq!(i64::MAX.cast::<i64>(), i64::MAX);
    assert_eq!((i64::MAX - 1).cast::<u8>(), 254);
    assert_eq!(2.5f32.cast::<f16>(), f16::from_f32(2.5));
}

#[test]
fn devices_print_and_parse() {
    assert_eq!(Device::Cpu.to_string(), "cpu");
    assert_eq!(Device::Cuda(0).to_string(), "cuda:0");
    assert_eq!(Device::Ascend(3).to_string(), "npu:3");
    assert_eq!("ascend:2".parse::<Device>().unwrap(), Device::Ascend(2));
    assert_eq!("cuda".parse::<Device>().unwrap(), Device::Cuda(0));
    assert!(Device::Cpu < Device::Cuda(0) && Device::Cuda(5) < Device::Ascend(0));
    let err = "tpu:0".parse::<Device>().unwrap_err();
    assert_eq!(
        err,
        Error::UnknownDevice {
            name: "tpu:0".into()
        }
    );
    assert!(err.to_string().contains("`cuda:N`"), "{err}");
}

#[test]
fn scalars() {
    assert_eq!(Scalar::from(2i32), Scalar::Int(2));
    assert_eq!(Scalar::from(0.5f32), Scalar::Float(0.5));
    assert_eq!(Scalar::from(true).dtype(), DType::Bool);
    assert_eq!(Scalar::Float(1.0).dtype(), DType::F64);
    assert_eq!(Scalar::Int(3).to_f64(), 3.0);
    assert_eq!(Scalar::Float(3.0).to_i64().unwrap(), 3);
    let err = Scalar::Float(3.5).to_i64().unwrap_err();
    assert_eq!(
        err,
        Error::ScalarConversion {
            value: Scalar::Float(3.5),
            target: DType::I64
        }
    );
    assert_eq!(
        err.to_string(),
        "scalar 3.5 cannot be converted to int64 without loss"
    );
    assert_eq!(Scalar::Float(1e-5).to_string(), "1e-5");
    assert_eq!(Scalar::Int(7).to_string(), "7");
}

#[test]
fn debug_is_compact() {
    let t = Tensor::zeros(&[2, 2], DType::F32, Device::Cpu).unwrap();
    assert_eq!(
        format!("{t:?}"),
        "Tensor { shape: [2, 2], dtype: float32, device: cpu, strides: [2, 1], offset: 0 }"
    );
}

#[test]
fn tensors_are_send_sync_and_small() {
    fn check<T: Send + Sync>() {}
    check::<Tensor>();
    // Shape and strides are inline; a tensor is a handful of words, not a heap object graph.
    assert!(
        std::mem::size_of::<Tensor>() <= 160,
        "{}",
        std::mem::size_of::<Tensor>()
    );
}

#[test]
fn many_dimensions_past_the_inline_capacity() {
    // Up to five dimensions live inline; more take a heap list. Both must give PyTorch's strides.
    for ndim in 0..9usize {
        let shape: Vec<usize> = (0..ndim).map(|d| d % 3 + 1).collect();
        let t = Tensor::zeros(&shape, DType::F32, Device::Cpu).unwrap();
        assert_eq!(t.shape(), &shape[..]);
        let mut expected = vec![0isize; ndim];
        let mut step = 1isize;
        for d in (0..ndim).rev() {
            expected[d] = step;
            step *= shape[d].max(1) as isize;
        }
        assert_eq!(t.strides(), &expected[..], "ndim {ndim}");
        assert!(t.is_contiguous());
        assert_eq!(t.numel(), shape.iter().product::<usize>());
        let p: Vec<isize> = (0..ndim as isize).rev().collect();
        let permuted = t.permute(&p).unwrap();
        assert_eq!(
            permuted.is_contiguous(),
            ndim < 2 || shape.iter().filter(|&&s| s > 1).count() < 2
        );
    }
}
