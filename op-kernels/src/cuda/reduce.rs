//! Reductions on CUDA (`reduce.cu`): sum, mean, max and min over one dimension or all of them,
//! accumulated in f32: each thread's running sum compensated (Kahan), the threads' partial sums
//! combined in a tree. A mean is the sum divided by the count in f64, rounded once to the output
//! type.

use cudarc::driver::PushKernelArg;
use op_runtime::cuda as rt;
use op_runtime::{Error, Result, Tensor};

use super::elementwise::contiguous;
use super::launch::{CudaSource, check_tensors, dtype_suffix, grid_1d, grid_rows, launch};
use crate::ops::dims::size_product;

/// The reduction kernels' source.
pub static REDUCE: CudaSource = CudaSource::new(
    "opkit/reduce.cu",
    concat!(include_str!("common.cuh"), include_str!("reduce.cu")),
);

/// What a reduction computes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Reduction {
    /// The sum.
    Sum,
    /// The sum divided by the count (NaN for no elements, as PyTorch).
    Mean,
    /// The largest element (NaN if any is).
    Max,
    /// The smallest element (NaN if any is).
    Min,
}

impl Reduction {
    /// The kernel family: a mean is a sum divided by the count.
    const fn kernel(self) -> &'static str {
        match self {
            Reduction::Sum | Reduction::Mean => "sum",
            Reduction::Max => "max",
            Reduction::Min => "min",
        }
    }

    /// The op's name, for messages.
    pub const fn name(self) -> &'static str {
        match self {
            Reduction::Sum => "sum",
            Reduction::Mean => "mean",
            Reduction::Max => "max",
            Reduction::Min => "min",
        }
    }
}

/// Reduces `x` over dimension `dim` (or over every element for `None`) into `out`, which must be
/// contiguous and hold one element per remaining position (with or without the reduced
/// dimension kept as size 1).
pub fn reduce(op: Reduction, x: &Tensor, dim: Option<usize>, out: &mut Tensor) -> Result<()> {
    let device = out.device();
    let what = op.name();
    let dtype = dtype_suffix(out.dtype(), what)?;
    check_tensors(what, device, out.dtype(), &[x])?;
    let shape = x.shape();
    let (outer, r, inner) = match dim {
        None => (1, x.numel(), 1),
        Some(d) if d < shape.len() => (
            size_product(&shape[..d]),
            shape[d],
            size_product(&shape[d + 1..]),
        ),
        Some(d) => {
            return Err(Error::DimOutOfRange {
                dim: d as isize,
                ndim: shape.len(),
            });
        }
    };
    if out.numel() != outer * inner || !out.is_contiguous() {
        return Err(Error::ShapeMismatch {
            context: format!(
                "{what} over dim {dim:?} of shape {shape:?} needs a contiguous output of {} \
                 elements, got shape {:?} with strides {:?}",
                outer * inner,
                out.shape(),
                out.strides()
            ),
        });
    }
    if r == 0 && matches!(op, Reduction::Max | Reduction::Min) {
        return Err(Error::InvalidArgument(format!(
            "{what}() of an empty dimension has no identity; reduce over a non-empty dimension"
        )));
    }
    if out.numel() == 0 {
        return Ok(());
    }
    let x = contiguous(x)?;
    // A mean divides the sum by r in f64 on the device, rounding once, as the CPU does.
    let divisor: i64 = if op == Reduction::Mean { r as i64 } else { 1 };
    let (xp, yp) = (rt::device_ptr(&x)?, rt::device_ptr(out)?);
    let (outer64, r64, inner64) = (outer as i64, r as i64, inner as i64);
    let stream = rt::stream(device)?;
    let kind = op.kernel();
    if inner == 1 {
        let entry = format!("reduce_{kind}_{dtype}_rows");
        let f = REDUCE.function(device, &entry)?;
        let mut args = stream.launch_builder(&f);
        args.arg(&xp).arg(&yp).arg(&outer64).arg(&r64).arg(&divisor);
        // SAFETY: matches `reduce_<kind>_<dtype>_rows(const T*, T*, i64 rows, i64 r, i64)`;
        // `x` holds rows * r elements and `out` rows.
        unsafe { launch(device, &entry, args, grid_rows(device, outer, r)?) }
    } else {
        let entry = format!("reduce_{kind}_{dtype}_cols");
        let f = REDUCE.function(device, &entry)?;
        let mut args = stream.launch_builder(&f);
        args.arg(&xp)
            .arg(&yp)
            .arg(&outer64)
            .arg(&r64)
            .arg(&inner64)
            .arg(&divisor);
        // SAFETY: matches `reduce_<kind>_<dtype>_cols(const T*, T*, i64, i64, i64, i64)`;
        // `x` holds outer * r * inner elements and `out` outer * inner.
        unsafe { launch(device, &entry, args, grid_1d(device, outer * inner)?) }
    }
}
