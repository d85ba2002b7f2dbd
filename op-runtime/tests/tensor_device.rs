//! Without a registered backend, accelerator devices fail with errors that say how to get support.
//! (This test binary never registers a backend; `tensor_backend.rs` does, in its own process.)

use op_runtime::{DType, Device, Error, Storage, Tensor};

// With the `cuda` feature a CUDA backend is always installed and answers with the driver's
// reason instead (op-runtime/tests/cuda_no_device.rs).
#[cfg(not(feature = "cuda"))]
#[test]
fn cuda_without_backend_says_how_to_get_one() {
    assert!(op_runtime::registered_backend(op_runtime::DeviceKind::Cuda).is_none());
    let err = Tensor::zeros(&[2], DType::F32, Device::Cuda(0)).unwrap_err();
    let Error::DeviceUnavailable { device, reason } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*device, Device::Cuda(0));
    assert!(reason.contains("`cuda` feature"), "{reason}");
    assert!(
        err.to_string()
            .starts_with("device cuda:0 is not available: "),
        "{err}"
    );
}

#[test]
fn ascend_without_backend_says_it_is_not_compiled_in() {
    let err = Tensor::empty(&[2], DType::F16, Device::Ascend(1)).unwrap_err();
    let Error::DeviceUnavailable { device, reason } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*device, Device::Ascend(1));
    assert!(
        reason.contains("Ascend support is not compiled in"),
        "{reason}"
    );
    assert!(Storage::zeros(4, Device::Ascend(0)).is_err());
}

#[test]
fn moving_to_a_missing_device_fails_cleanly() {
    let x = Tensor::ones(&[3], DType::F32, Device::Cpu).unwrap();
    assert!(matches!(
        x.to(Device::Cuda(1)),
        Err(Error::DeviceUnavailable { .. })
    ));
    assert!(matches!(
        Tensor::full(&[1], 2, DType::I32, Device::Cuda(0)),
        Err(Error::DeviceUnavailable { .. })
    ));
}
