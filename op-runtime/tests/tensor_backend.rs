//! A stand-in CUDA backend that keeps "device memory" in host vectors, to exercise the device
//! paths of storage and tensors: allocation, copies both ways, device-to-device, freeing.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use op_runtime::{
    DType, Device, DeviceBackend, DeviceKind, DevicePtr, Error, Result, Tensor, register_backend,
};

/// Fake device memory: allocations at made-up addresses, 4 KiB apart.
struct FakeCuda {
    memory: Mutex<BTreeMap<u64, Vec<u8>>>,
    next: AtomicUsize,
}

static LIVE: AtomicUsize = AtomicUsize::new(0);

impl FakeCuda {
    fn with<R>(&self, ptr: DevicePtr, len: usize, f: impl FnOnce(&mut [u8]) -> R) -> Result<R> {
        let mut memory = self.memory.lock().unwrap();
        let (&base, block) =
            memory
                .range_mut(..=ptr.0)
                .next_back()
                .ok_or_else(|| Error::DeviceError {
                    device: Device::Cuda(0),
                    message: "bad pointer".into(),
                })?;
        let start = (ptr.0 - base) as usize;
        let bytes = block
            .get_mut(start..start + len)
            .ok_or_else(|| Error::DeviceError {
                device: Device::Cuda(0),
                message: "out of range".into(),
            })?;
        Ok(f(bytes))
    }
}

impl DeviceBackend for FakeCuda {
    fn name(&self) -> &str {
        "fake cuda"
    }
    fn kind(&self) -> DeviceKind {
        DeviceKind::Cuda
    }
    fn allocate(&self, _device: Device, nbytes: usize, zeroed: bool) -> Result<DevicePtr> {
        let addr = 0x1000_0000
            + self
                .next
                .fetch_add(nbytes.max(1).next_multiple_of(4096), Ordering::Relaxed);
        self.memory
            .lock()
            .unwrap()
            .insert(addr as u64, vec![if zeroed { 0 } else { 0xAB }; nbytes]);
        LIVE.fetch_add(1, Ordering::SeqCst);
        Ok(DevicePtr(addr as u64))
    }
    fn deallocate(&self, _device: Device, ptr: DevicePtr, nbytes: usize) {
        let block = self
            .memory
            .lock()
            .unwrap()
            .remove(&ptr.0)
            .expect("freed twice");
        assert_eq!(block.len(), nbytes);
        LIVE.fetch_sub(1, Ordering::SeqCst);
    }
    fn copy_host_to_device(&self, src: &[u8], _device: Device, dst: DevicePtr) -> Result<()> {
        self.with(dst, src.len(), |d| d.copy_from_slice(src))
    }
    fn copy_device_to_host(&self, _device: Device, src: DevicePtr, dst: &mut [u8]) -> Result<()> {
        self.with(src, dst.len(), |s| dst.copy_from_slice(s))
    }
    fn copy_device_to_device(
        &self,
        _src_device: Device,
        src: DevicePtr,
        _dst_device: Device,
        dst: DevicePtr,
        nbytes: usize,
    ) -> Result<()> {
        let bytes = self.with(src, nbytes, |s| s.to_vec())?;
        self.with(dst, nbytes, |d| d.copy_from_slice(&bytes))
    }
    fn synchronize(&self, _device: Device) -> Result<()> {
        Ok(())
    }
}

fn setup() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let backend = FakeCuda {
            memory: Mutex::new(BTreeMap::new()),
            next: AtomicUsize::new(0),
        };
        register_backend(Box::new(backend)).unwrap();
    });
}

#[test]
fn round_trip_through_the_device() {
    setup();
    let x = Tensor::from_vec((0..12).map(|i| i as f32).collect::<Vec<_>>(), &[3, 4]).unwrap();
    let d = x.to(Device::Cuda(0)).unwrap();
    assert_eq!(
        (d.device(), d.shape(), d.dtype()),
        (Device::Cuda(0), &[3, 4][..], DType::F32)
    );
    assert!(d.storage().device_ptr().is_some() && d.storage().host_ptr().is_none());
    assert_eq!(d.to_vec::<f32>().unwrap(), x.to_vec::<f32>().unwrap());
    // A strided view moves with its strides, copying only the span it reaches.
    let v = x.narrow(0, 1, 2).unwrap().flip(1).unwrap();
    let dv = v.to(Device::Cuda(0)).unwrap();
    assert_eq!(dv.strides(), v.strides());
    assert_eq!(dv.storage().nbytes(), 8 * 4);
    assert_eq!(
        dv.to(Device::Cpu).unwrap().to_vec::<f32>().unwrap(),
        v.to_vec::<f32>().unwrap()
    );
    // Device to device.
    let d1 = dv.to(Device::Cuda(1)).unwrap();
    assert_eq!(d1.to_vec_f64().unwrap(), v.to_vec_f64().unwrap());
    assert!(d.to_string().ends_with("device='cuda:0')"), "{d}");
}

#[test]
fn device_tensors_are_created_filled_and_written() {
    setup();
    let z = Tensor::zeros(&[4], DType::I16, Device::Cuda(0)).unwrap();
    assert_eq!(z.to_vec::<i16>().unwrap(), vec![0; 4]);
    let f = Tensor::full(&[2, 2], 1.5, DType::F64, Device::Cuda(0)).unwrap();
    assert_eq!(f.to_vec::<f64>().unwrap(), vec![1.5; 4]);
    let mut out = Tensor::empty(&[2, 3], DType::F32, Device::Cuda(0)).unwrap();
    out.copy_from(&Tensor::from_vec(vec![1i64, 2, 3], &[3]).unwrap())
        .unwrap();
    assert_eq!(
        out.to_vec::<f32>().unwrap(),
        vec![1.0, 2.0, 3.0, 1.0, 2.0, 3.0]
    );
    // Strided device outputs cannot be written until device copy kernels exist.
    let mut strided = out.transpose(0, 1).unwrap();
    assert!(matches!(strided.fill_(0), Err(Error::NotContiguous { .. })));
    // Host access to device memory is refused with the device named.
    assert_eq!(
        out.as_slice::<f32>().unwrap_err(),
        Error::DeviceMismatch {
            expected: Device::Cpu,
            found: Device::Cuda(0)
        }
    );
    assert!(out.view::<f32>().is_err());
    // Bools coming back from a device are normalised to 0/1.
    let b = Tensor::from_vec(vec![true, false], &[2])
        .unwrap()
        .to(Device::Cuda(0))
        .unwrap();
    assert_eq!(b.to_vec::<bool>().unwrap(), vec![true, false]);
}

#[test]
fn device_memory_is_freed_and_registration_is_once() {
    setup();
    let before = LIVE.load(Ordering::SeqCst);
    let t = Tensor::zeros(&[1000], DType::U8, Device::Cuda(0)).unwrap();
    let view = t.narrow(0, 10, 10).unwrap();
    drop(t);
    assert!(LIVE.load(Ordering::SeqCst) > before || before > 0);
    drop(view);
    let err = register_backend(Box::new(FakeCuda {
        memory: Mutex::new(BTreeMap::new()),
        next: AtomicUsize::new(0),
    }))
    .unwrap_err();
    assert_eq!(
        err,
        Error::BackendAlreadyRegistered {
            kind: DeviceKind::Cuda,
            existing: "fake cuda".into()
        }
    );
    assert!(err.to_string().contains("already registered"));
    // Ascend still has none.
    assert!(matches!(
        Tensor::zeros(&[1], DType::F32, Device::Ascend(0)),
        Err(Error::DeviceUnavailable { .. })
    ));
}
