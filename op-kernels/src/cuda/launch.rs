//! Launching: [`CudaSource`], a CUDA C source whose functions are compiled (through the NVRTC
//! cache) and loaded once per device, and the launch shapes the built-in kernels use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use cudarc::driver::{CudaFunction, CudaModule, LaunchConfig, sys};
use op_runtime::cuda::{self as rt, cudarc};
use op_runtime::{DType, Device, Error, Result, Tensor};

use super::nvrtc::{self, CacheKey};

/// CUDA C source and a name for it in messages: what a user (or opkit) hands over to get kernels.
/// Compiled by NVRTC for a device's architecture when one of its functions is first asked for,
/// then cached (in memory per device, on disk across runs; see [`nvrtc`]).
///
/// ```no_run
/// use op_kernels::cuda::CudaSource;
/// use op_runtime::Device;
///
/// static SOURCE: CudaSource = CudaSource::new(
///     "add_one.cu",
///     r#"extern "C" __global__ void add_one(float* x, long long n) {
///         long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
///         if (i < n) x[i] += 1.0f;
///     }"#,
/// );
/// # fn demo() -> op_runtime::Result<()> {
/// let add_one = SOURCE.function(Device::Cuda(0), "add_one")?;
/// # Ok(()) }
/// ```
///
/// Use `include_str!("kernels.cu")` for a source kept in a file. Entry points must be
/// `extern "C"` so their names are not mangled.
#[derive(Debug)]
pub struct CudaSource {
    name: &'static str,
    code: &'static str,
}

/// Loaded modules by (device index, source key), and functions by entry point within them.
type Modules = HashMap<(u32, CacheKey), (Arc<CudaModule>, HashMap<String, CudaFunction>)>;

impl CudaSource {
    /// A source named `name` (for messages) with the CUDA C `code`.
    pub const fn new(name: &'static str, code: &'static str) -> CudaSource {
        CudaSource { name, code }
    }

    /// The source's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The CUDA C text.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The function `entry` of this source, loaded on `device` (compiled for its architecture on
    /// first use, then cached). Fails with [`Error::DeviceUnavailable`] without a driver or
    /// NVRTC, and [`Error::DeviceError`] when the source does not compile (the message holds
    /// NVRTC's log) or has no such entry point.
    pub fn function(&self, device: Device, entry: &str) -> Result<CudaFunction> {
        static MODULES: OnceLock<Mutex<Modules>> = OnceLock::new();
        let index = cuda_index(device)?;
        let arch = rt::compute_capability(device)?;
        let key = CacheKey::new(self.code, arch);
        let modules = MODULES.get_or_init(Default::default);
        if let Some(f) = lock(modules)
            .get(&(index, key))
            .and_then(|(_, fns)| fns.get(entry))
        {
            return Ok(f.clone());
        }
        let module = self.module(device, index, key, modules)?;
        let function = rt::guarded(device, "cuModuleGetFunction", || {
            module.load_function(entry).map_err(|e| Error::DeviceError {
                device,
                message: format!(
                    "`{}` has no kernel `{entry}` ({e:?}); check the name, and that the kernel \
                     is declared extern \"C\"",
                    self.name
                ),
            })
        })?;
        lock(modules)
            .entry((index, key))
            .or_insert_with(|| (module, HashMap::new()))
            .1
            .insert(entry.to_string(), function.clone());
        Ok(function)
    }

    fn module(
        &self,
        device: Device,
        index: u32,
        key: CacheKey,
        modules: &Mutex<Modules>,
    ) -> Result<Arc<CudaModule>> {
        if let Some((m, _)) = lock(modules).get(&(index, key)) {
            return Ok(m.clone());
        }
        // Compile outside the lock: NVRTC takes seconds, and other sources need not wait.
        let ptx = nvrtc::ptx(device, self.name, self.code, key.arch)?;
        let ctx = rt::context(device)?;
        let module = rt::guarded(device, "cuModuleLoadData", || {
            ctx.load_module(cudarc::nvrtc::Ptx::from_src(ptx.to_string()))
                .map_err(|e| Error::DeviceError {
                    device,
                    message: format!(
                        "the driver could not load the PTX of `{}` ({e:?}); a driver older than \
                         NVRTC cannot load its PTX: update the driver or use an older NVRTC",
                        self.name
                    ),
                })
        })?;
        Ok(lock(modules)
            .entry((index, key))
            .or_insert_with(|| (module, HashMap::new()))
            .0
            .clone())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn cuda_index(device: Device) -> Result<u32> {
    match device {
        Device::Cuda(i) => Ok(i),
        other => Err(Error::DeviceMismatch {
            expected: Device::Cuda(0),
            found: other,
        }),
    }
}

/// Threads per block of the built-in kernels: 256 is a good default on every architecture since
/// sm_50 (enough warps to hide latency, low register pressure).
pub const BLOCK: u32 = 256;

/// A 1-D launch over `n` items for grid-stride kernels: enough blocks to fill the device a few
/// times over (more only adds scheduling), and never more than the items need.
pub fn grid_1d(device: Device, n: usize) -> Result<LaunchConfig> {
    let blocks = n.div_ceil(BLOCK as usize).max(1);
    let cap = multiprocessors(device)? * 8;
    Ok(LaunchConfig {
        grid_dim: (blocks.min(cap).max(1) as u32, 1, 1),
        block_dim: (BLOCK, 1, 1),
        shared_mem_bytes: 0,
    })
}

/// One block per row (grid-stride over rows beyond what fits), for the row kernels. Narrow rows
/// get a smaller block so that fewer threads sit idle.
pub fn grid_rows(device: Device, rows: usize, cols: usize) -> Result<LaunchConfig> {
    // Clamped before the cast: a count of 2^32 columns or more must not wrap to a tiny block.
    let threads = (cols.min(1024).next_multiple_of(32) as u32).clamp(32, BLOCK * 2);
    let cap = multiprocessors(device)? * 32;
    Ok(LaunchConfig {
        grid_dim: (rows.clamp(1, cap) as u32, 1, 1),
        block_dim: (threads, 1, 1),
        shared_mem_bytes: 0,
    })
}

/// The device's multiprocessor count, read once per device.
pub(crate) fn multiprocessors(device: Device) -> Result<usize> {
    static COUNTS: OnceLock<Mutex<HashMap<Device, usize>>> = OnceLock::new();
    let counts = COUNTS.get_or_init(Default::default);
    if let Some(&n) = lock(counts).get(&device) {
        return Ok(n);
    }
    let ctx = rt::context(device)?;
    let n = rt::guarded(device, "cuDeviceGetAttribute", || {
        ctx.attribute(sys::CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)
            .map_err(|e| rt::driver_error(device, "reading the multiprocessor count", e))
    })?;
    let n = usize::try_from(n).unwrap_or(1).max(1);
    lock(counts).insert(device, n);
    Ok(n)
}

/// The kernel-name suffix of a dtype the built-in kernels support (`f32`, `f16`, `bf16`), or
/// [`Error::UnsupportedDType`] naming `what`.
pub fn dtype_suffix(dtype: DType, what: &str) -> Result<&'static str> {
    match dtype {
        DType::F32 => Ok("f32"),
        DType::F16 => Ok("f16"),
        DType::BF16 => Ok("bf16"),
        other => Err(Error::UnsupportedDType {
            dtype: other,
            context: format!("the CUDA kernel of {what} (it takes float32, float16 and bfloat16)"),
        }),
    }
}

/// Checks that every tensor is on `device` and has `dtype`, naming `what` in the error.
pub fn check_tensors(what: &str, device: Device, dtype: DType, tensors: &[&Tensor]) -> Result<()> {
    for t in tensors {
        if t.device() != device {
            return Err(Error::DeviceMismatch {
                expected: device,
                found: t.device(),
            });
        }
        if t.dtype() != dtype {
            return Err(Error::UnsupportedDType {
                dtype: t.dtype(),
                context: format!("{what} on {device} with other operands of {dtype}"),
            });
        }
    }
    Ok(())
}

/// Queues a launch built with `rt::stream(device)?.launch_builder(&function)` and its `.arg(...)`
/// calls, turning a driver failure (or a cudarc panic) into an error naming `entry`.
///
/// # Safety
/// The arguments pushed must match the kernel's parameters in number, order and type, and every
/// pointer among them must be valid for what the kernel reads and writes.
pub unsafe fn launch(
    device: Device,
    entry: &str,
    mut args: cudarc::driver::LaunchArgs<'_>,
    config: LaunchConfig,
) -> Result<()> {
    rt::guarded(device, entry, || {
        // SAFETY: the caller's contract.
        unsafe { args.launch(config) }
            .map(|_| ())
            .map_err(|e| rt::driver_error(device, &format!("launching `{entry}`"), e))
    })
}
