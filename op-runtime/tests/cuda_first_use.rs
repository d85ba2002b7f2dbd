//! The first use of a `Device::Cuda` tensor installs the CUDA backend by itself: without a
//! driver, the error names the missing driver (not "no CUDA backend in this build"). Its own test
//! binary, so that no other test has called `cuda::install()` first.
#![cfg(feature = "cuda")]

use std::io::Write;

use op_runtime::{DType, Device, Error, Tensor, cuda};

#[test]
fn first_use_names_the_missing_driver() {
    let result = Tensor::zeros(&[4], DType::F32, Device::Cuda(0));
    if cuda::driver_info().is_ok() {
        let _ = writeln!(
            std::io::stderr(),
            "skipped: first_use_names_the_missing_driver: a CUDA driver is present"
        );
        assert!(result.is_ok(), "{result:?}");
        return;
    }
    match result {
        Err(Error::DeviceUnavailable { device, reason }) => {
            assert_eq!(device, Device::Cuda(0));
            assert!(
                reason.contains("libcuda.so") || reason.contains("no CUDA device"),
                "the first use did not install the CUDA backend: {reason}"
            );
        }
        other => panic!("expected DeviceUnavailable, got {other:?}"),
    }
}
