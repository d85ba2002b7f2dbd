//! Matrix products on CUDA through cuBLAS (`cublasGemmStridedBatchedEx`), f32 accumulation for
//! every dtype.

use std::collections::HashMap;
use std::ffi::c_void;
use std::sync::{Arc, Mutex, OnceLock};

use cudarc::cublas::{CudaBlas, sys};
use op_runtime::cuda as rt;
use op_runtime::{DType, Device, Error, Result, Tensor, broadcast_shapes};

use super::elementwise::contiguous;
use super::launch::{check_tensors, dtype_suffix};
use crate::ops::dims::size_product;

/// `out = a @ b` for `a` of shape `[..., m, k]` and `b` of shape `[..., k, n]`, whose batch
/// dimensions broadcast (as PyTorch's matmul), into a contiguous `out` of shape
/// `[broadcast batch..., m, n]`.
///
/// Each operand is read where it lies when its matrices are row-major or column-major (a
/// transposed view, such as linear's weight, is handed to cuBLAS as a transposed operand) and
/// its batch dimensions step by one stride (0 for a broadcast operand); otherwise it is copied to
/// a contiguous layout first.
pub fn matmul(a: &Tensor, b: &Tensor, out: &mut Tensor) -> Result<()> {
    let device = out.device();
    dtype_suffix(out.dtype(), "matmul")?;
    check_tensors("matmul", device, out.dtype(), &[a, b])?;
    let shape_error = || Error::ShapeMismatch {
        context: format!(
            "matmul: cannot multiply shapes {:?} and {:?} into {:?} on CUDA (a is [..., m, k], b \
             is [..., k, n] with batch dimensions that broadcast, out is a contiguous \
             [batch..., m, n])",
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
    let batch_dims = broadcast_shapes(&[&ash[..ash.len() - 2], &bsh[..bsh.len() - 2]])
        .map_err(|_| shape_error())?;
    let expected: Vec<usize> = batch_dims.iter().copied().chain([m, n]).collect();
    if k != kb || out.shape() != expected {
        return Err(shape_error());
    }
    let batch = size_product(&batch_dims);
    if out.numel() == 0 {
        return Ok(());
    }
    if k == 0 {
        // An empty sum: zeros, which cuBLAS (k = 0 is invalid for it) is not asked for.
        let zeros = Tensor::zeros(out.shape(), out.dtype(), Device::Cpu)?;
        return out.copy_from(&zeros);
    }
    let with_batch = |t: &Tensor, rows: usize, cols: usize| {
        let shape: Vec<usize> = batch_dims.iter().copied().chain([rows, cols]).collect();
        t.broadcast_to(&shape).and_then(|t| Operand::of(&t))
    };
    let (a, b) = (with_batch(a, m, k)?, with_batch(b, k, n)?);
    let int = |v: usize| i32::try_from(v).map_err(|_| shape_error());
    let (m32, n32, k32, batch32) = (int(m)?, int(n)?, int(k)?, int(batch)?);
    let (lda, ldb) = (int(a.ld)?, int(b.ld)?);
    let (ap, bp, cp) = (
        rt::device_ptr(&a.tensor)?,
        rt::device_ptr(&b.tensor)?,
        rt::device_ptr(out)?,
    );
    let ty = data_type(out.dtype());
    let (alpha, beta) = (1.0f32, 0.0f32);
    let blas = handle(device)?;
    let blas = blas.lock().unwrap_or_else(|p| p.into_inner());
    rt::guarded(device, "cublasGemmStridedBatchedEx", || {
        // Row-major C = A·B is column-major Cᵀ = Bᵀ·Aᵀ: the operands swap, and m with n. A
        // row-major operand read column-major is already the transpose wanted (no operation);
        // a column-major one (a transposed view) is transposed by cuBLAS.
        // SAFETY: the pointers address a's, b's and out's first elements on this device; every
        // element cuBLAS reads, (batch index · stride + row/column · ld) within the dims given,
        // is an element of the broadcast view it came from, so within its storage; out is a
        // contiguous batch·m·n. alpha and beta are host f32s, as CUBLAS_COMPUTE_32F requires;
        // the handle is used under its lock, on the device's stream.
        unsafe {
            cudarc::cublas::result::gemm_strided_batched_ex(
                *blas.handle(),
                b.op(),
                a.op(),
                n32,
                m32,
                k32,
                (&alpha as *const f32).cast::<c_void>(),
                bp as *const c_void,
                ty,
                ldb,
                b.batch_stride,
                ap as *const c_void,
                ty,
                lda,
                a.batch_stride,
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

/// A batch of matrices `[batch..., rows, cols]` as cuBLAS reads it: each matrix row-major
/// (`transposed == false`) or column-major, `ld` elements between its rows (or columns), and
/// `batch_stride` elements between matrices.
struct Operand {
    /// The tensor the pointer comes from (the input's view, or a contiguous copy of it).
    tensor: Tensor,
    transposed: bool,
    ld: usize,
    batch_stride: i64,
}

impl Operand {
    /// `t` where it lies if its layout allows (see [`Operand::layout`]), otherwise a contiguous
    /// copy.
    fn of(t: &Tensor) -> Result<Operand> {
        if let Some((transposed, ld, batch_stride)) = Self::layout(t.shape(), t.strides()) {
            return Ok(Operand {
                tensor: t.clone(),
                transposed,
                ld,
                batch_stride,
            });
        }
        let tensor = contiguous(t)?;
        let (transposed, ld, batch_stride) = Self::layout(tensor.shape(), tensor.strides())
            .ok_or_else(|| {
                Error::Internal(format!(
                    "matmul: a contiguous {:?} is not a row-major batch",
                    tensor.shape()
                ))
            })?;
        Ok(Operand {
            tensor,
            transposed,
            ld,
            batch_stride,
        })
    }

    /// `(transposed, ld, batch_stride)` for a `[batch..., rows, cols]` layout cuBLAS can read
    /// as it is: unit stride along one matrix dim and at least a full row (column) along the
    /// other, and batch dims that step by one stride, or `None`. Strides of size-1 dims do not
    /// matter.
    fn layout(shape: &[usize], strides: &[isize]) -> Option<(bool, usize, i64)> {
        let nd = shape.len();
        let (rows, cols) = (shape[nd - 2], shape[nd - 1]);
        let stride = |d: usize| usize::try_from(strides[d]).ok();
        let (sr, sc) = (stride(nd - 2)?, stride(nd - 1)?);
        let row_major = (cols <= 1 || sc == 1) && (rows <= 1 || sr >= cols.max(1));
        let col_major = (rows <= 1 || sr == 1) && (cols <= 1 || sc >= rows.max(1));
        let (transposed, ld) = if row_major {
            (false, if rows <= 1 { cols.max(1) } else { sr })
        } else if col_major {
            (true, if cols <= 1 { rows.max(1) } else { sc })
        } else {
            return None;
        };
        // The batch dims with more than one element must step evenly, innermost first.
        let mut batch_stride = None;
        let mut step = 0usize;
        for d in (0..nd - 2).rev().filter(|&d| shape[d] > 1) {
            let s = stride(d)?;
            match batch_stride {
                None => batch_stride = Some(s),
                Some(_) if s == step => {}
                Some(_) => return None,
            }
            step = s.checked_mul(shape[d])?;
        }
        Some((
            transposed,
            ld,
            i64::try_from(batch_stride.unwrap_or(0)).ok()?,
        ))
    }

    fn op(&self) -> sys::cublasOperation_t {
        if self.transposed {
            sys::cublasOperation_t::CUBLAS_OP_T
        } else {
            sys::cublasOperation_t::CUBLAS_OP_N
        }
    }
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

#[cfg(test)]
mod tests {
    use super::Operand;

    #[test]
    fn operands_are_read_where_they_lie_when_cublas_can() {
        let layout = |shape: &[usize], strides: &[isize]| Operand::layout(shape, strides);
        // Contiguous batches, row-major with gaps, and transposed views.
        assert_eq!(layout(&[2, 3, 4, 5], &[60, 20, 5, 1]), Some((false, 5, 20)));
        assert_eq!(layout(&[4, 5], &[8, 1]), Some((false, 8, 0)));
        assert_eq!(layout(&[5, 4], &[1, 5]), Some((true, 5, 0)));
        assert_eq!(layout(&[3, 5, 4], &[20, 1, 5]), Some((true, 5, 20)));
        // Vectors as matrices: the stride of a size-1 dim does not matter.
        assert_eq!(layout(&[1, 7], &[0, 1]), Some((false, 7, 0)));
        assert_eq!(layout(&[7, 1], &[1, 1]), Some((false, 1, 0)));
        assert_eq!(layout(&[1, 7], &[1, 3]), Some((true, 3, 0)));
        // A broadcast batch steps by 0; size-1 batch dims are skipped.
        assert_eq!(layout(&[3, 4, 5], &[0, 5, 1]), Some((false, 5, 0)));
        assert_eq!(
            layout(&[2, 1, 3, 4, 5], &[60, 7, 20, 5, 1]),
            Some((false, 5, 20))
        );
        assert_eq!(layout(&[2, 3, 4, 5], &[0, 0, 5, 1]), Some((false, 5, 0)));
        // Not expressible: batch dims that do not step evenly, overlapping or negative strides,
        // no unit stride.
        assert_eq!(layout(&[2, 3, 4, 5], &[0, 20, 5, 1]), None);
        assert_eq!(layout(&[2, 3, 4, 5], &[200, 20, 5, 1]), None);
        assert_eq!(layout(&[4, 5], &[1, 3]), None);
        assert_eq!(layout(&[4, 5], &[-5, 1]), None);
        assert_eq!(layout(&[4, 5], &[10, 2]), None);
    }
}
