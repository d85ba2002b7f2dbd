//! The `cuda` feature on a machine without a usable driver (CI, this machine): every entry point
//! returns `Error::DeviceUnavailable` naming what is missing and what to do, and nothing panics.
//! On a machine with a GPU these tests check the one error path left (a device index that does
//! not exist) and say that the rest was skipped.
#![cfg(feature = "cuda")]

use std::io::Write;
use std::panic::catch_unwind;

use op_runtime::{DType, Device, Error, Tensor, cuda};

/// Prints past the test harness's capture, so `cargo test` shows why a test did nothing.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// The reason CUDA is unavailable, or `None` (after saying so) when a device is present.
fn unavailable(test: &str) -> Option<String> {
    match cuda::install() {
        Ok(()) => {
            say(&format!(
                "skipped: {test}: a CUDA driver and device are present ({:?}), so the no-driver \
                 path cannot be shown on this machine",
                cuda::driver_info()
            ));
            None
        }
        Err(Error::DeviceUnavailable { device, reason }) => {
            assert_eq!(device, Device::Cuda(0));
            Some(reason)
        }
        Err(other) => panic!("install() failed with an unexpected error: {other}"),
    }
}

/// What every no-driver or no-device message must say.
fn assert_says_what_and_what_to_do(text: &str) {
    let what = text.contains("libcuda.so") || text.contains("no CUDA device");
    assert!(what, "the message does not name what is missing: {text}");
    assert!(
        text.contains("install the NVIDIA driver") || text.contains("nvidia-smi"),
        "the message does not say what to do: {text}"
    );
    assert!(
        text.contains("Device::Cpu"),
        "the message does not offer the CPU: {text}"
    );
}

#[test]
fn install_returns_the_no_driver_error() {
    let Some(reason) = unavailable("install_returns_the_no_driver_error") else {
        return;
    };
    assert_says_what_and_what_to_do(&reason);
    // The result is kept: a second call says the same, and still does not panic.
    assert_eq!(
        cuda::install(),
        Err(Error::DeviceUnavailable {
            device: Device::Cuda(0),
            reason
        })
    );
}

#[test]
fn cuda_tensors_are_refused_with_the_reason() {
    if unavailable("cuda_tensors_are_refused_with_the_reason").is_none() {
        return;
    }
    let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]).unwrap();
    for device in [Device::Cuda(0), Device::Cuda(1)] {
        let moved = x.to(device).unwrap_err();
        let made = Tensor::zeros(&[2, 3], DType::F16, device).unwrap_err();
        for err in [moved, made] {
            match &err {
                Error::DeviceUnavailable { device: d, reason } => {
                    assert_eq!(*d, device);
                    assert_says_what_and_what_to_do(reason);
                }
                other => panic!("expected DeviceUnavailable, got {other}"),
            }
            assert!(
                err.to_string()
                    .starts_with(&format!("device {device} is not available"))
            );
        }
    }
    // Empty tensors too: nothing to copy, but the device must still exist.
    let empty = Tensor::from_vec(Vec::<f32>::new(), &[0]).unwrap();
    assert!(matches!(
        empty.to(Device::Cuda(0)),
        Err(Error::DeviceUnavailable { .. })
    ));
}

#[test]
fn no_entry_point_panics() {
    let device = Device::Cuda(0);
    let outcome = catch_unwind(|| {
        let results = [
            cuda::install().err(),
            cuda::device_count().err(),
            cuda::driver_info().err(),
            cuda::context(device).err(),
            cuda::stream(device).err(),
            cuda::synchronize(device).err(),
            cuda::compute_capability(device).err(),
        ];
        results
            .into_iter()
            .map(|e| e.map(|e| e.to_string()))
            .collect::<Vec<_>>()
    });
    let errors = outcome.expect("a CUDA entry point panicked");
    if cuda::install().is_err() {
        for e in errors {
            let e = e.expect("an entry point succeeded without a driver");
            assert!(e.contains("not available"), "{e}");
        }
    }
}

#[test]
fn a_device_index_that_does_not_exist_is_named() {
    cuda::install().ok();
    let err = cuda::context(Device::Cuda(4096)).unwrap_err();
    let Error::DeviceUnavailable { device, reason } = &err else {
        panic!("expected DeviceUnavailable, got {err}");
    };
    assert_eq!(*device, Device::Cuda(4096));
    // With a driver the message counts the devices; without one it names the driver.
    assert!(
        reason.contains("CUDA device") || reason.contains("libcuda.so"),
        "{reason}"
    );
}

#[test]
fn non_cuda_devices_are_refused() {
    let err = cuda::context(Device::Cpu).unwrap_err();
    assert!(
        matches!(
            err,
            Error::DeviceMismatch {
                found: Device::Cpu,
                ..
            }
        ),
        "{err}"
    );
    let x = Tensor::from_vec(vec![1.0f32], &[1]).unwrap();
    assert!(matches!(
        cuda::device_ptr(&x),
        Err(Error::DeviceMismatch {
            found: Device::Cpu,
            ..
        })
    ));
}
