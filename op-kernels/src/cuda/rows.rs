//! Row kernels on CUDA (`rows.cu`): softmax and log_softmax over any dimension, rms_norm and
//! layer_norm over the trailing elements. One block per row, f32 accumulation.

use cudarc::driver::PushKernelArg;
use op_runtime::cuda as rt;
use op_runtime::{DType, Error, Result, Tensor};

use super::elementwise::{Unary, apart_from, check_writable, contiguous, unary};
use super::launch::{CudaSource, check_tensors, dtype_suffix, grid_rows, launch};

/// The row kernels' source.
pub static ROWS: CudaSource = CudaSource::new(
    "opkit/rows.cu",
    concat!(include_str!("common.cuh"), include_str!("rows.cu")),
);

/// `out = softmax(x)` (or `log_softmax` when `log`) along `dim`; `out` has `x`'s shape.
///
/// The kernel works on rows of the last dimension: another `dim` is moved last (a strided copy on
/// the device), and the result is written back through the same transposition.
pub fn softmax(x: &Tensor, dim: usize, log: bool, out: &mut Tensor) -> Result<()> {
    let what = if log { "log_softmax" } else { "softmax" };
    let device = out.device();
    let dtype = dtype_suffix(out.dtype(), what)?;
    check_tensors(what, device, out.dtype(), &[x])?;
    if x.shape() != out.shape() {
        return Err(Error::ShapeMismatch {
            context: format!(
                "{what}: output of shape {:?} for an input of shape {:?}",
                out.shape(),
                x.shape()
            ),
        });
    }
    let ndim = x.dim();
    if dim >= ndim.max(1) {
        return Err(Error::DimOutOfRange {
            dim: dim as isize,
            ndim,
        });
    }
    if x.numel() == 0 {
        return Ok(());
    }
    check_writable(out)?;
    let last = ndim.saturating_sub(1);
    if dim != last || !out.is_contiguous() {
        // Rows along `dim`: compute on a contiguous transposed copy, then copy back through the
        // same view of `out`.
        let moved = contiguous(&x.transpose(dim as isize, -1)?)?;
        let mut result = Tensor::empty(moved.shape(), moved.dtype(), device)?;
        softmax(&moved, last, log, &mut result)?;
        let mut target = out.transpose(dim as isize, -1)?;
        return unary(Unary::Scale, &result, &mut target, 1.0);
    }
    // An input that overlaps the output is copied first (see `apart_from`); x may be out itself.
    let x = apart_from(&contiguous(x)?, out)?;
    let cols = x.shape().last().copied().unwrap_or(1);
    let rows = x.numel() / cols;
    let entry = format!("{what}_{dtype}");
    let f = ROWS.function(device, &entry)?;
    let (xp, yp, rows64, cols64) = (
        rt::device_ptr(&x)?,
        rt::device_ptr(out)?,
        rows as i64,
        cols as i64,
    );
    let stream = rt::stream(device)?;
    let mut args = stream.launch_builder(&f);
    args.arg(&xp).arg(&yp).arg(&rows64).arg(&cols64);
    // SAFETY: matches `softmax_<dtype>(const T*, T*, i64 rows, i64 cols)`; both tensors are
    // contiguous with rows * cols elements.
    unsafe { launch(device, &entry, args, grid_rows(device, rows, cols)?) }
}

/// `out = x / sqrt(mean(x², over the last `cols` elements) + eps) * weight`, row by row; `weight`
/// (optional) holds `cols` elements, of any float dtype (read as f32 unless it has `x`'s).
pub fn rms_norm(
    x: &Tensor,
    cols: usize,
    weight: Option<&Tensor>,
    eps: f64,
    out: &mut Tensor,
) -> Result<()> {
    norm("rms_norm", x, cols, weight, None, eps, out)
}

/// `out = (x - mean) / sqrt(var + eps) * weight + bias` over the last `cols` elements of each
/// row (the biased variance, as PyTorch); `weight` and `bias` (optional) hold `cols` elements.
/// Parameters of a dtype other than `x`'s are read as f32 (the caller checks which dtypes an op
/// takes).
pub fn layer_norm(
    x: &Tensor,
    cols: usize,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    eps: f64,
    out: &mut Tensor,
) -> Result<()> {
    norm("layer_norm", x, cols, weight, bias, eps, out)
}

fn norm(
    what: &str,
    x: &Tensor,
    cols: usize,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    eps: f64,
    out: &mut Tensor,
) -> Result<()> {
    let device = out.device();
    let dtype = dtype_suffix(out.dtype(), what)?;
    check_tensors(what, device, out.dtype(), &[x])?;
    let params: Vec<&Tensor> = weight.into_iter().chain(bias).collect();
    if let Some(p) = params.iter().find(|p| p.device() != device) {
        return Err(Error::DeviceMismatch {
            expected: device,
            found: p.device(),
        });
    }
    let n = x.numel();
    if cols == 0 || !n.is_multiple_of(cols) || out.shape() != x.shape() || !out.is_contiguous() {
        return Err(Error::ShapeMismatch {
            context: format!(
                "{what}: input of shape {:?} cannot be normalised over its last {cols} elements \
                 into a contiguous output of shape {:?}",
                x.shape(),
                out.shape()
            ),
        });
    }
    if let Some(p) = params.iter().find(|p| p.numel() != cols) {
        return Err(Error::ShapeMismatch {
            context: format!(
                "{what}: weight and bias must hold the {cols} normalised elements, got shape {:?}",
                p.shape()
            ),
        });
    }
    if n == 0 {
        return Ok(());
    }
    // Parameters of another dtype are read as f32 (the f32 rows' own kernel, or the halves'
    // `_f32p` one): exact for f16/bf16 parameters, rounded once for f64 ones. The conversion
    // stages the `cols` elements through the host.
    let mixed = params.iter().any(|p| p.dtype() != x.dtype());
    let entry = match (mixed, x.dtype()) {
        (true, DType::F16 | DType::BF16) => format!("{what}_{dtype}_f32p"),
        _ => format!("{what}_{dtype}"),
    };
    let param = |p: &Tensor| {
        if mixed {
            contiguous(&p.to_dtype(DType::F32)?)
        } else {
            contiguous(p)
        }
    };
    // Inputs that overlap the output are copied first (see `apart_from`); x may be out itself.
    let x = apart_from(&contiguous(x)?, out)?;
    let apart = |p: Tensor| apart_from(&p, out);
    let weight = weight.map(param).transpose()?.map(apart).transpose()?;
    let bias = bias.map(param).transpose()?.map(apart).transpose()?;
    // A null pointer tells the kernel there is no weight (or bias).
    let ptr = |t: &Option<Tensor>| t.as_ref().map_or(Ok(0u64), rt::device_ptr);
    let (xp, wp, bp, yp) = (
        rt::device_ptr(&x)?,
        ptr(&weight)?,
        ptr(&bias)?,
        rt::device_ptr(out)?,
    );
    let rows = n / cols;
    let (rows64, cols64, eps32) = (rows as i64, cols as i64, eps as f32);
    let f = ROWS.function(device, &entry)?;
    let stream = rt::stream(device)?;
    let mut args = stream.launch_builder(&f);
    args.arg(&xp).arg(&wp);
    if what == "layer_norm" {
        args.arg(&bp);
    }
    args.arg(&yp).arg(&rows64).arg(&cols64).arg(&eps32);
    // SAFETY: matches `rms_norm_<dtype>(const T* x, const T* w, T* y, i64, i64, float)` and
    // `layer_norm_<dtype>(x, w, b, y, i64, i64, float)`, whose w and b are `const float*` in the
    // `_f32p` entries (and for f32 rows), as converted above; x and out hold rows * cols
    // elements, weight and bias `cols` or are null.
    unsafe { launch(device, &entry, args, grid_rows(device, rows, cols)?) }
}
