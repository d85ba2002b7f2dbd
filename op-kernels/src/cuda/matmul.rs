//! Matrix products on CUDA through cuBLAS (`cublasGemmStridedBatchedEx`), f32 accumulation for
//! every dtype.

use std::collections::HashMap;
use std::ffi::c_void;
use std::sync::{Arc, Mutex, OnceLock};

use cudarc::cublas::{CudaBlas, sys};
use op_runtime::cuda as rt;
use op_runtime::{DType, Device, Error, Result, Tensor};

use super::elementwise::contiguous;
use super::launch::{check_tensors, dtype_suffix};
use crate::ops::dims::size_product;

/// `out = a @ b` for `a` of shape `[..., m, k]` and `b` of shape `[k, n]` or `[..., k, n]` with
/// the same leading (batch) dimensions as `a`; `out` is a contiguous `[..., m, n]`.
pub fn matmul(a: &Tensor, b: &Tensor, out: &mut Tensor) -> Result<()> {
    let device = out.device();
    dtype_suffix(out.dtype(), "matmul")?;
    check_tensors("matmul", device, out.dtype(), &[a, b])?;
    let shape_error = || Error::ShapeMismatch {
        context: format!(
            "matmul: cannot multiply shapes {:?} and {:?} into {:?} on CUDA (a is [..., m, k], b \
             is [k, n] or [..., k, n] with a's batch dimensions, out is a contiguous [..., m, n])",
            a.shape(),
            b.shape(),
            out.shape()
        ),
    };
    let (ash, bsh) = (a.shape(), b.shape());
    if ash.len() < 2 || bsh.len() < 2 || !out.is_contiguous() {
        return Err(shape_error());
    }
    let (m, k) = (ash[ash.len() - 2], ash[ash.len() - 1]);
    let (kb, n) = (bsh[bsh.len() - 2], bsh[bsh.len() - 1]);
    let batch_dims = &ash[..ash.len() - 2];
    let b_batched = bsh.len() > 2;
    let expected: Vec<usize> = batch_dims.iter().copied().chain([m, n]).collect();
    if k != kb || (b_batched && &bsh[..bsh.len() - 2] != batch_dims) || out.shape() != expected {
        return Err(shape_error());
    }
    let batch = size_product(batch_dims);
    if out.numel() == 0 {
        return Ok(());
    }
    if k == 0 {
        // An empty sum: zeros, which cuBLAS (k = 0 is invalid for it) is not asked for.
        let zeros = Tensor::zeros(out.shape(), out.dtype(), Device::Cpu)?;
        return out.copy_from(&zeros);
    }
    let int = |v: usize| i32::try_from(v).map_err(|_| shape_error());
    let (m32, n32, k32, batch32) = (int(m)?, int(n)?, int(k)?, int(batch)?);
    let (a, b) = (contiguous(a)?, contiguous(b)?);
    let (ap, bp, cp) = (
        rt::device_ptr(&a)?,
        rt::device_ptr(&b)?,
        rt::device_ptr(out)?,
    );
    let ty = data_type(out.dtype());
    let (alpha, beta) = (1.0f32, 0.0f32);
    let blas = handle(device)?;
    let blas = blas.lock().unwrap_or_else(|p| p.into_inner());
    rt::guarded(device, "cublasGemmStridedBatchedEx", || {
        // Row-major C = A·B is column-major Cᵀ = Bᵀ·Aᵀ: swap the operands and m with n, and no
        // transposition is needed.
        // SAFETY: the pointers address contiguous a (batch·m·k), b (k·n, or batch·k·n) and out
        // (batch·m·n) on this device; alpha and beta are host f32s, as CUBLAS_COMPUTE_32F
        // requires; the handle is used under its lock, on the device's stream.
        unsafe {
            cudarc::cublas::result::gemm_strided_batched_ex(
                *blas.handle(),
                sys::cublasOperation_t::CUBLAS_OP_N,
                sys::cublasOperation_t::CUBLAS_OP_N,
                n32,
                m32,
                k32,
                (&alpha as *const f32).cast::<c_void>(),
                bp as *const c_void,
                ty,
                n32,
                if b_batched { (k * n) as i64 } else { 0 },
                ap as *const c_void,
                ty,
                k32,
                (m * k) as i64,
                (&beta as *const f32).cast::<c_void>(),
                cp as *mut c_void,
                ty,
                n32,
                (m * n) as i64,
                batch32.max(1),
                sys::cublasComputeType_t::CUBLAS_COMPUTE_32F,
                sys::cublasGemmAlgo_t::CUBLAS_GEMM_DEFAULT,
            )
        }
        .map_err(|e| rt::driver_error(device, "cublasGemmStridedBatchedEx", e))
    })
}

fn data_type(dtype: DType) -> sys::cudaDataType {
    match dtype {
        DType::F16 => sys::cudaDataType::CUDA_R_16F,
        DType::BF16 => sys::cudaDataType::CUDA_R_16BF,
        _ => sys::cudaDataType::CUDA_R_32F,
    }
}

/// The device's cuBLAS handle, bound to its stream, created on first use. A handle must not be
/// used by two threads at once, hence the lock.
fn handle(device: Device) -> Result<Arc<Mutex<CudaBlas>>> {
    static HANDLES: OnceLock<Mutex<HashMap<Device, Arc<Mutex<CudaBlas>>>>> = OnceLock::new();
    let handles = HANDLES.get_or_init(Default::default);
    let mut map = handles.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(h) = map.get(&device) {
        return Ok(h.clone());
    }
    // SAFETY: only tries to dlopen the candidate names.
    if !unsafe { sys::is_culib_present() } {
        return Err(Error::DeviceUnavailable {
            device,
            reason: "matmul on CUDA runs on cuBLAS, and cuBLAS (libcublas.so.12) was not found; \
                     install the CUDA toolkit's cuBLAS (the libcublas package, or `pip install \
                     nvidia-cublas-cu12`) and add its lib directory to LD_LIBRARY_PATH"
                .to_string(),
        });
    }
    let stream = rt::stream(device)?;
    let blas = rt::guarded(device, "cublasCreate", || {
        CudaBlas::new(stream).map_err(|e| rt::driver_error(device, "cublasCreate", e))
    })?;
    let blas = Arc::new(Mutex::new(blas));
    map.insert(device, blas.clone());
    Ok(blas)
}
