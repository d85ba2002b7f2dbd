//! Every error of the tensor layer, produced the way a user would meet it, with its message: what
//! was wrong and how to fix it.

use op_runtime::{BorrowKind, DType, Device, Error, Scalar, Tensor};

fn message(result: Result<impl std::fmt::Debug, Error>) -> String {
    result.unwrap_err().to_string()
}

#[test]
fn shape_errors() {
    let x = Tensor::zeros(&[2, 3], DType::F32, Device::Cpu).unwrap();
    assert_eq!(
        message(Tensor::from_vec(vec![0u8; 5], &[2, 3])),
        "length mismatch: 5 elements cannot have shape [2, 3], which holds 6; pass a shape whose \
         sizes multiply to 5"
    );
    assert_eq!(
        message(x.reshape(&[4, -1])),
        "invalid shape [4, -1]: shape is invalid for input of size 6"
    );
    assert_eq!(
        message(x.reshape(&[-1, -1])),
        "invalid shape [-1, -1]: only one dimension can be inferred (-1)"
    );
    assert_eq!(
        message(x.reshape(&[-3, 2])),
        "invalid shape [-3, 2]: invalid shape dimension -3; sizes must be >= 0"
    );
    assert_eq!(
        message(Tensor::zeros(&[usize::MAX, 2], DType::U8, Device::Cpu)),
        format!(
            "shape [{}, 2] is too large: its element count or size in bytes overflows the address \
             space; use a smaller shape",
            usize::MAX
        )
    );
    assert_eq!(
        message(x.transpose(0, 1).unwrap().view_shape(&[6])),
        "cannot view a tensor of shape [3, 2] and strides [1, 3] as shape [6]: a new dimension \
         would span memory that is not evenly strided; use .reshape(...), which copies when it must"
    );
    let mut out = x.clone();
    assert_eq!(
        message(out.resize_(&[3, 2])),
        "shape mismatch: resize_: cannot resize a non-empty tensor of shape [2, 3] to [3, 2]; pass \
         an output of shape [3, 2] or an empty one"
    );
    assert_eq!(
        message(x.expand(&[4, 3])),
        "invalid shape [4, 3]: the expanded size (4) must match the existing size (2) at \
         non-singleton dimension 0; only size-1 dimensions can be expanded"
    );
}

#[test]
fn index_errors() {
    let x = Tensor::zeros(&[2, 3], DType::F32, Device::Cpu).unwrap();
    assert_eq!(
        message(x.select(-1, 3)),
        "index 3 is out of bounds for dimension 1 with size 3 (valid indices are -3 to 3 \
         exclusive; negative indices count from the end)"
    );
    assert_eq!(
        message(x.size(-3)),
        "dimension out of range (expected to be in range of [-2, 1], but got -3); negative \
         dimensions count from the end"
    );
    assert!(message(Tensor::scalar(1i64).select(0, 0)).contains("the tensor has no dimensions"));
    assert_eq!(
        message(x.narrow(1, 2, 2)),
        "invalid argument: narrow: start (2) + length (2) exceeds dimension 1 of size 3; use a \
         shorter length"
    );
    assert_eq!(
        message(x.permute(&[1, 1])),
        "invalid argument: permute: dimension 1 appears more than once in [1, 1]; pass each \
         dimension exactly once"
    );
    assert_eq!(
        message(x.slice(0, 0, 2, 0)),
        "invalid argument: slice: step must be positive, got 0; use flip for a reversed view"
    );
}

#[test]
fn access_errors() {
    let x = Tensor::zeros(&[2, 2], DType::F16, Device::Cpu).unwrap();
    assert_eq!(
        message(x.as_slice::<f32>()),
        "dtype mismatch: expected float32, found float16"
    );
    assert_eq!(
        message(x.transpose(0, 1).unwrap().as_slice::<op_runtime::f16>()),
        "tensor with shape [2, 2] and strides [1, 2] is not contiguous; call .contiguous() to get a \
         contiguous copy"
    );
    assert_eq!(
        message(x.item::<op_runtime::f16>()),
        "a tensor with 4 elements cannot be converted to a single value; only one-element tensors \
         can (use to_vec to read all elements)"
    );
    let mut e = x
        .select(0, 0)
        .unwrap()
        .unsqueeze(0)
        .unwrap()
        .expand(&[3, 2])
        .unwrap();
    assert_eq!(
        message(e.view_mut::<op_runtime::f16>()),
        "cannot write through a tensor whose elements overlap in memory (shape [3, 2], strides \
         [0, 1], as made by expand or broadcast_to): the writes would race; call .contiguous() for \
         a writable copy"
    );
    let reading = x.as_slice::<op_runtime::f16>().unwrap();
    let mut alias = x.clone();
    assert_eq!(
        message(alias.as_mut_slice::<op_runtime::f16>()),
        "cannot write this tensor: its storage is already being read elsewhere (for example an \
         output that overlaps an input, or a slice or view still alive); drop the other borrow \
         first, or copy the tensor with .deep_clone()"
    );
    drop(reading);
    let writing = alias.as_mut_slice::<op_runtime::f16>().unwrap();
    assert_eq!(
        x.to_vec::<op_runtime::f16>().unwrap_err(),
        Error::StorageBorrowed {
            wanted: BorrowKind::Read,
            held: BorrowKind::Write
        }
    );
    drop(writing);
}

#[test]
fn device_and_parse_errors() {
    assert_eq!(
        Error::DeviceMismatch {
            expected: Device::Cpu,
            found: Device::Cuda(0)
        }
        .to_string(),
        "device mismatch: expected a tensor on cpu, found one on cuda:0; move it with .to(device)"
    );
    assert_eq!(
        message("gpu:0".parse::<Device>()),
        "unknown device `gpu:0`; expected `cpu`, `cuda`, `cuda:N`, `npu`, `npu:N` or `ascend:N` (N \
         a device index such as 0)"
    );
    assert!(
        message("float128".parse::<DType>())
            .starts_with("unknown dtype `float128`; expected one of: bool, uint8, int8")
    );
    assert_eq!(
        message(Scalar::Float(f64::NAN).to_i64()),
        "scalar nan cannot be converted to int64 without loss"
    );
    // With the `cuda` feature the backend answers instead (op-runtime/tests/cuda_no_device.rs).
    #[cfg(not(feature = "cuda"))]
    assert_eq!(
        message(Tensor::zeros(&[1], DType::F32, Device::Cuda(2))),
        "device cuda:2 is not available: this build has no CUDA backend; build opkit with the \
         `cuda` feature (and install the NVIDIA driver) to use CUDA devices"
    );
    assert_eq!(
        Error::UnsupportedDType {
            dtype: DType::Bool,
            context: "my_ops::gelu on cpu".into()
        }
        .to_string(),
        "dtype bool is not supported by my_ops::gelu on cpu"
    );
}
