//! Reductions on CUDA (`reduce.cu`): sum, mean, max and min over one dimension or all of them,
//! accumulated in f32: each thread's running sum compensated (Kahan), the threads' partial sums
//! combined in a tree. When the outputs are too few to fill the device (a full reduction, a few
//! long rows or columns), each row or column is reduced in chunks, then the chunks' f32 results
//! (see `row_splits`, `col_splits`). A mean is the sum divided by the count in f64, rounded once to the output
//! type.

use cudarc::driver::PushKernelArg;
use op_runtime::cuda as rt;
use op_runtime::{DType, Error, Result, Tensor};

use super::elementwise::{apart_from, contiguous};
use super::launch::{
    CudaSource, check_tensors, dtype_suffix, grid_1d, grid_rows, launch, multiprocessors,
};
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
    // An input that overlaps the output is copied first (see `apart_from`).
    let x = apart_from(&contiguous(x)?, out)?;
    // A mean divides the sum by r in f64 on the device, rounding once, as the CPU does.
    let divisor: i64 = if op == Reduction::Mean { r as i64 } else { 1 };
    let (xp, yp) = (rt::device_ptr(&x)?, rt::device_ptr(out)?);
    let (outer64, r64, inner64) = (outer as i64, r as i64, inner as i64);
    let stream = rt::stream(device)?;
    let kind = op.kernel();
    let multiprocessors = multiprocessors(device)?;
    if inner == 1 {
        let splits = row_splits(multiprocessors, outer, r);
        if splits == 1 {
            let entry = format!("reduce_{kind}_{dtype}_rows");
            let f = REDUCE.function(device, &entry)?;
            let mut args = stream.launch_builder(&f);
            args.arg(&xp).arg(&yp).arg(&outer64).arg(&r64).arg(&divisor);
            // SAFETY: matches `reduce_<kind>_<dtype>_rows(const T*, T*, i64 rows, i64 r, i64)`;
            // `x` holds rows * r elements and `out` rows.
            return unsafe { launch(device, &entry, args, grid_rows(device, outer, r)?) };
        }
        let partial = Tensor::empty(&[outer * splits], DType::F32, device)?;
        let pp = rt::device_ptr(&partial)?;
        let splits64 = splits as i64;
        let entry = format!("reduce_{kind}_{dtype}_rows_split");
        let f = REDUCE.function(device, &entry)?;
        let mut args = stream.launch_builder(&f);
        args.arg(&xp)
            .arg(&pp)
            .arg(&outer64)
            .arg(&r64)
            .arg(&splits64);
        let chunk = r.div_ceil(splits);
        // SAFETY: matches `reduce_<kind>_<dtype>_rows_split(const T*, float*, i64 rows, i64 r,
        // i64 splits)`; `x` holds rows * r elements and `partial` rows * splits.
        unsafe {
            launch(
                device,
                &entry,
                args,
                grid_rows(device, outer * splits, chunk)?,
            )?
        };
        let entry = format!("reduce_{kind}_{dtype}_rows_final");
        let f = REDUCE.function(device, &entry)?;
        let mut args = stream.launch_builder(&f);
        args.arg(&pp)
            .arg(&yp)
            .arg(&outer64)
            .arg(&splits64)
            .arg(&divisor);
        // SAFETY: matches `reduce_<kind>_<dtype>_rows_final(const float*, T*, i64 rows,
        // i64 splits, i64)`; `partial` holds rows * splits elements and `out` rows. The same
        // stream orders this pass after the first, and `partial`'s stream-ordered free after both.
        unsafe { launch(device, &entry, args, grid_rows(device, outer, splits)?) }
    } else {
        let splits = col_splits(multiprocessors, outer * inner, r);
        if splits == 1 {
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
            return unsafe { launch(device, &entry, args, grid_1d(device, outer * inner)?) };
        }
        let partial = Tensor::empty(&[outer * splits * inner], DType::F32, device)?;
        let pp = rt::device_ptr(&partial)?;
        let splits64 = splits as i64;
        let entry = format!("reduce_{kind}_{dtype}_cols_split");
        let f = REDUCE.function(device, &entry)?;
        let mut args = stream.launch_builder(&f);
        args.arg(&xp)
            .arg(&pp)
            .arg(&outer64)
            .arg(&r64)
            .arg(&inner64)
            .arg(&splits64);
        // SAFETY: matches `reduce_<kind>_<dtype>_cols_split(const T*, float*, i64 outer, i64 r,
        // i64 inner, i64 splits)`; `x` holds outer * r * inner elements and `partial`
        // outer * splits * inner.
        unsafe {
            launch(
                device,
                &entry,
                args,
                grid_1d(device, outer * splits * inner)?,
            )?
        };
        let entry = format!("reduce_{kind}_{dtype}_cols_final");
        let f = REDUCE.function(device, &entry)?;
        let mut args = stream.launch_builder(&f);
        args.arg(&pp)
            .arg(&yp)
            .arg(&outer64)
            .arg(&splits64)
            .arg(&inner64)
            .arg(&divisor);
        // SAFETY: matches `reduce_<kind>_<dtype>_cols_final(const float*, T*, i64 outer,
        // i64 splits, i64 inner, i64)`; `partial` holds outer * splits * inner elements and
        // `out` outer * inner; ordered after the first pass as above.
        unsafe { launch(device, &entry, args, grid_1d(device, outer * inner)?) }
    }
}

/// Elements per block's chunk below which a row is not split: a block of up to 512 threads then
/// still loads at least 8 elements per thread.
const MIN_ROW_CHUNK: usize = 4096;

/// Elements per thread's chunk below which a column is not split.
const MIN_COL_CHUNK: usize = 64;

/// How many chunks each of `rows` rows of `r` elements is reduced in: 1 (one block per row)
/// while there are rows enough for four blocks per multiprocessor, otherwise enough chunks to
/// make that many blocks, each of at least [`MIN_ROW_CHUNK`] elements. A full reduction is one
/// row, which one block alone would read at a small fraction of the device's bandwidth.
pub(crate) fn row_splits(multiprocessors: usize, rows: usize, r: usize) -> usize {
    let target = 4 * multiprocessors;
    if rows >= target || r < 2 * MIN_ROW_CHUNK {
        return 1;
    }
    even_splits(r, target.div_ceil(rows).min(r / MIN_ROW_CHUNK))
}

/// How many chunks each of `columns` columns of `r` elements is reduced in: 1 while there are
/// columns enough for half the threads the device holds (2048 per multiprocessor), otherwise
/// enough chunks to fill it, each of at least [`MIN_COL_CHUNK`] elements.
pub(crate) fn col_splits(multiprocessors: usize, columns: usize, r: usize) -> usize {
    let target = 2048 * multiprocessors;
    if columns >= target / 2 || r < 2 * MIN_COL_CHUNK {
        return 1;
    }
    even_splits(r, target.div_ceil(columns).min(r / MIN_COL_CHUNK))
}

/// `splits` (at least 1) reduced so that no chunk of `r.div_ceil(splits)` elements is empty.
fn even_splits(r: usize, splits: usize) -> usize {
    let splits = splits.max(1);
    r.div_ceil(r.div_ceil(splits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_fill_the_device_without_empty_chunks() {
        // Enough rows or columns: one pass.
        assert_eq!(row_splits(132, 528, 1 << 20), 1);
        assert_eq!(col_splits(132, 135_168, 1 << 20), 1);
        // Short rows or columns: one pass however few there are.
        assert_eq!(row_splits(132, 1, 8191), 1);
        assert_eq!(col_splits(132, 1, 127), 1);
        // A full reduction of 10^8 elements: four blocks per multiprocessor.
        assert_eq!(row_splits(132, 1, 100_000_000), 528);
        // Two columns of 4·10^6: chunks of the smallest size, 125 000 threads.
        assert_eq!(col_splits(132, 2, 4_000_000), 62_500);
        // 300 columns of 10^5: enough chunks to fill the device (902, evened to chunks of 111).
        assert_eq!(col_splits(132, 300, 100_000), 901);
        for (rows, r) in [(1, 8192), (3, 100_003), (1, 1 << 30), (527, 9000)] {
            let s = row_splits(132, rows, r);
            let chunk = r.div_ceil(s);
            assert!(
                s >= 1 && chunk >= MIN_ROW_CHUNK && (s - 1) * chunk < r,
                "{rows} {r}"
            );
        }
        for (cols, r) in [(1, 128), (7, 100_003), (2, 1 << 30), (1000, 999)] {
            let s = col_splits(132, cols, r);
            let chunk = r.div_ceil(s);
            assert!(
                s >= 1 && chunk >= MIN_COL_CHUNK && (s - 1) * chunk < r,
                "{cols} {r}"
            );
        }
    }
}
