//! Row-wise kernels over a contiguous `[rows, cols]` buffer: reductions over the last dimension (sum,
//! mean, max, min, or a user's [`ReduceOp`]) and normalisations (softmax, log_softmax, rms_norm,
//! layer_norm).
//!
//! Each row is reduced by one thread in a fixed order (four vector accumulators, then a fixed
//! horizontal order), so results are identical whatever the thread count; rows are split across
//! threads. Half types accumulate in f32, f64 in f64. A row that fits in L2 is read from memory once;
//! the normalisations keep their intermediate row in an f32/f64 scratch buffer and write the output once
//! (non-temporal for large outputs).
//!
//! Accuracy: sums have relative error ≤ (cols / (4·LANES) + 8) · ε · Σ|x| / |Σx| (ε of the lane type);
//! softmax ≤ 4 ULP + sum error; rms_norm, layer_norm ≤ 4 ULP + the error of the mean/variance.

use super::elementwise::{SendPtr, drive, streaming_for};
use super::threads::{run_chunks, threads_for};
use super::vector::MAX_LANES;
use super::{Element, Isa, Kernel, LaneFloat, Simd, SimdError};

/// A row reduction: `identity` pads partial vectors, `combine` folds a vector in, `horizontal` folds the
/// accumulator's lanes, `finish` post-processes the row's result (e.g. divides by `cols`).
///
/// ```
/// use op_kernels::simd::{Simd, rows::{self, ReduceOp}};
/// /// Sum of squares.
/// struct SumSq;
/// impl ReduceOp for SumSq {
///     fn identity(&self) -> f64 { 0.0 }
///     #[inline(always)]
///     fn combine<S: Simd>(&self, s: S, acc: S::V, x: S::V) -> S::V { s.mul_add(x, x, acc) }
///     #[inline(always)]
///     fn merge<S: Simd>(&self, s: S, a: S::V, b: S::V) -> S::V { s.add(a, b) }
///     #[inline(always)]
///     fn horizontal<S: Simd>(&self, s: S, acc: S::V) -> S::Elem { s.reduce_sum(acc) }
/// }
/// let mut out = [0.0f32; 2];
/// rows::reduce_rows(&SumSq, &[1.0f32, 2.0, 3.0, 4.0], 2, &mut out).unwrap();
/// assert_eq!(out, [5.0, 25.0]);
/// ```
pub trait ReduceOp: Sync {
    /// The neutral element (padding for partial vectors; the result of an empty row before `finish`).
    fn identity(&self) -> f64;
    /// Folds `x` into `acc`.
    fn combine<S: Simd>(&self, s: S, acc: S::V, x: S::V) -> S::V;
    /// Merges two accumulators.
    fn merge<S: Simd>(&self, s: S, a: S::V, b: S::V) -> S::V;
    /// Folds an accumulator's lanes.
    fn horizontal<S: Simd>(&self, s: S, acc: S::V) -> S::Elem;
    /// Post-processes a row's result.
    fn finish(&self, r: f64, _cols: usize) -> f64 {
        r
    }
}

/// Loads `len <= LANES` elements converted to lanes, padding the rest with `pad`.
///
/// # Safety
/// `p` readable for `len` elements.
#[inline(always)]
unsafe fn load_pad<S: Simd<Elem = T::Lane>, T: Element>(
    s: S,
    p: *const T,
    len: usize,
    pad: T::Lane,
) -> S::V {
    if len == S::LANES {
        // SAFETY: a full vector is readable.
        return unsafe { T::vload(s, p) };
    }
    let mut buf = [pad; MAX_LANES];
    for (i, b) in buf[..len].iter_mut().enumerate() {
        // SAFETY: i < len.
        *b = unsafe { p.add(i).read() }.to_lane();
    }
    // SAFETY: buf holds MAX_LANES >= LANES lanes.
    unsafe { s.load(buf.as_ptr()) }
}

/// Loads `len <= LANES` lanes, zero-padded.
///
/// # Safety
/// `p` readable for `len` lanes.
#[inline(always)]
unsafe fn load_lanes<S: Simd>(s: S, p: *const S::Elem, len: usize) -> S::V {
    let mut buf = [S::Elem::ZERO; MAX_LANES];
    // SAFETY: len <= LANES <= MAX_LANES; p readable for len (or LANES when full).
    unsafe {
        if len == S::LANES {
            return s.load(p);
        }
        std::ptr::copy_nonoverlapping(p, buf.as_mut_ptr(), len);
        s.load(buf.as_ptr())
    }
}

/// Stores the first `len <= LANES` lanes.
///
/// # Safety
/// `p` writable for `len` lanes.
#[inline(always)]
unsafe fn store_lanes<S: Simd>(s: S, p: *mut S::Elem, v: S::V, len: usize) {
    let mut buf = [S::Elem::ZERO; MAX_LANES];
    // SAFETY: as load_lanes.
    unsafe {
        if len == S::LANES {
            return s.store(p, v);
        }
        s.store(buf.as_mut_ptr(), v);
        std::ptr::copy_nonoverlapping(buf.as_ptr(), p, len);
    }
}

/// Folds a row with four accumulators: `f(acc, i, len)` combines the vector at `i`.
#[inline(always)]
fn fold_row<S: Simd>(
    _s: S,
    cols: usize,
    init: S::V,
    f: impl Fn(S::V, usize, usize) -> S::V,
    merge: impl Fn(S::V, S::V) -> S::V,
) -> S::V {
    let l = S::LANES;
    let (mut a0, mut a1, mut a2, mut a3) = (init, init, init, init);
    let mut i = 0;
    while i + 4 * l <= cols {
        a0 = f(a0, i, l);
        a1 = f(a1, i + l, l);
        a2 = f(a2, i + 2 * l, l);
        a3 = f(a3, i + 3 * l, l);
        i += 4 * l;
    }
    while i + l <= cols {
        a0 = f(a0, i, l);
        i += l;
    }
    if i < cols {
        a1 = f(a1, i, cols - i);
    }
    merge(merge(a0, a1), merge(a2, a3))
}

/// One row of work: reads `cols` elements at `x`, writes at `out`.
#[allow(clippy::too_many_arguments)]
trait RowOp<T: Element>: Sync {
    /// Output elements per row.
    fn out_cols(&self, cols: usize) -> usize;
    /// Processes row `r`.
    ///
    /// # Safety
    /// `x` readable for `cols`, `out` writable for `out_cols(cols)`; `scratch` holds `cols` lanes.
    unsafe fn row<S: Simd<Elem = T::Lane>>(
        &self,
        s: S,
        x: *const T,
        out: *mut T,
        r: usize,
        cols: usize,
        nt: bool,
        scratch: &mut [T::Lane],
    );
}

struct RowsKernel<'a, T, Op> {
    op: &'a Op,
    x: *const T,
    out: *mut T,
    cols: usize,
    start: usize,
    end: usize,
    nt: bool,
}

impl<T: Element, Op: RowOp<T>> Kernel<T::Lane> for RowsKernel<'_, T, Op> {
    type Output = ();
    #[inline(always)]
    fn run<S: Simd<Elem = T::Lane>>(self, s: S) {
        let oc = self.op.out_cols(self.cols);
        let mut scratch = vec![T::Lane::ZERO; self.cols];
        for r in self.start..self.end {
            // SAFETY: the caller checked x holds rows × cols and out rows × out_cols.
            unsafe {
                self.op.row(
                    s,
                    self.x.add(r * self.cols),
                    self.out.add(r * oc),
                    r,
                    self.cols,
                    self.nt,
                    &mut scratch,
                );
            }
            if self.nt {
                s.fence();
            }
        }
    }
}

fn run_rows<T: Element, Op: RowOp<T>>(
    op: &Op,
    x: &[T],
    rows: usize,
    cols: usize,
    out: &mut [T],
) -> Result<(), SimdError> {
    if x.len() != rows * cols {
        return Err(SimdError::LengthMismatch {
            what: "x",
            expected: rows * cols,
            got: x.len(),
        });
    }
    let oc = op.out_cols(cols);
    if out.len() != rows * oc {
        return Err(SimdError::LengthMismatch {
            what: "out",
            expected: rows * oc,
            got: out.len(),
        });
    }
    let isa = Isa::active();
    let nt = oc > 1 && streaming_for(std::mem::size_of_val(out));
    let (xp, op_out) = (SendPtr(x.as_ptr().cast_mut()), SendPtr(out.as_mut_ptr()));
    let threads = threads_for(rows, (cols + oc) * size_of::<T>());
    run_chunks(rows, 1, threads, &|r| {
        let k = RowsKernel {
            op,
            x: xp.get().cast_const(),
            out: op_out.get(),
            cols,
            start: r.start,
            end: r.end,
            nt,
        };
        T::Lane::dispatch(isa, k)
    });
    Ok(())
}

struct Reduce<'a, R>(&'a R);

impl<T: Element, R: ReduceOp> RowOp<T> for Reduce<'_, R> {
    fn out_cols(&self, _cols: usize) -> usize {
        1
    }
    #[inline(always)]
    unsafe fn row<S: Simd<Elem = T::Lane>>(
        &self,
        s: S,
        x: *const T,
        out: *mut T,
        _r: usize,
        cols: usize,
        _nt: bool,
        _scratch: &mut [T::Lane],
    ) {
        let id = T::Lane::from_f64(self.0.identity());
        // SAFETY: fold_row stays within 0..cols.
        let acc = fold_row(
            s,
            cols,
            s.splat(id),
            #[inline(always)]
            |acc, i, len| {
                self.0
                    .combine(s, acc, unsafe { load_pad(s, x.add(i), len, id) })
            },
            #[inline(always)]
            |a, b| self.0.merge(s, a, b),
        );
        let r = self.0.finish(self.0.horizontal(s, acc).to_f64(), cols);
        // SAFETY: out writable for one element.
        unsafe { out.write(T::from_f64(r)) };
    }
}

/// Reduces each row of the contiguous `[out.len(), cols]` buffer `x` with `op` into `out`.
pub fn reduce_rows<T: Element, R: ReduceOp>(
    op: &R,
    x: &[T],
    cols: usize,
    out: &mut [T],
) -> Result<(), SimdError> {
    run_rows(&Reduce(op), x, out.len(), cols, out)
}

/// Sum of each row.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sum;
impl ReduceOp for Sum {
    fn identity(&self) -> f64 {
        0.0
    }
    #[inline(always)]
    fn combine<S: Simd>(&self, s: S, acc: S::V, x: S::V) -> S::V {
        s.add(acc, x)
    }
    #[inline(always)]
    fn merge<S: Simd>(&self, s: S, a: S::V, b: S::V) -> S::V {
        s.add(a, b)
    }
    #[inline(always)]
    fn horizontal<S: Simd>(&self, s: S, acc: S::V) -> S::Elem {
        s.reduce_sum(acc)
    }
}

/// Mean of each row (NaN for an empty row, like PyTorch).
#[derive(Clone, Copy, Debug, Default)]
pub struct Mean;
impl ReduceOp for Mean {
    fn identity(&self) -> f64 {
        0.0
    }
    #[inline(always)]
    fn combine<S: Simd>(&self, s: S, acc: S::V, x: S::V) -> S::V {
        s.add(acc, x)
    }
    #[inline(always)]
    fn merge<S: Simd>(&self, s: S, a: S::V, b: S::V) -> S::V {
        s.add(a, b)
    }
    #[inline(always)]
    fn horizontal<S: Simd>(&self, s: S, acc: S::V) -> S::Elem {
        s.reduce_sum(acc)
    }
    fn finish(&self, r: f64, cols: usize) -> f64 {
        r / cols as f64
    }
}

/// Maximum of each row; NaN if the row has one (-inf for an empty row).
#[derive(Clone, Copy, Debug, Default)]
pub struct Max;
impl ReduceOp for Max {
    fn identity(&self) -> f64 {
        f64::NEG_INFINITY
    }
    #[inline(always)]
    fn combine<S: Simd>(&self, s: S, acc: S::V, x: S::V) -> S::V {
        s.max(x, acc)
    }
    #[inline(always)]
    fn merge<S: Simd>(&self, s: S, a: S::V, b: S::V) -> S::V {
        s.max(a, b)
    }
    #[inline(always)]
    fn horizontal<S: Simd>(&self, s: S, acc: S::V) -> S::Elem {
        s.reduce_max(acc)
    }
}

/// Minimum of each row; NaN if the row has one (+inf for an empty row).
#[derive(Clone, Copy, Debug, Default)]
pub struct Min;
impl ReduceOp for Min {
    fn identity(&self) -> f64 {
        f64::INFINITY
    }
    #[inline(always)]
    fn combine<S: Simd>(&self, s: S, acc: S::V, x: S::V) -> S::V {
        s.min(x, acc)
    }
    #[inline(always)]
    fn merge<S: Simd>(&self, s: S, a: S::V, b: S::V) -> S::V {
        s.min(a, b)
    }
    #[inline(always)]
    fn horizontal<S: Simd>(&self, s: S, acc: S::V) -> S::Elem {
        s.reduce_min(acc)
    }
}

/// Sum of each row of the `[out.len(), cols]` buffer `x`.
pub fn sum_rows<T: Element>(x: &[T], cols: usize, out: &mut [T]) -> Result<(), SimdError> {
    reduce_rows(&Sum, x, cols, out)
}

/// Mean of each row.
pub fn mean_rows<T: Element>(x: &[T], cols: usize, out: &mut [T]) -> Result<(), SimdError> {
    reduce_rows(&Mean, x, cols, out)
}

/// Maximum of each row (NaN-propagating).
pub fn max_rows<T: Element>(x: &[T], cols: usize, out: &mut [T]) -> Result<(), SimdError> {
    reduce_rows(&Max, x, cols, out)
}

/// Minimum of each row (NaN-propagating).
pub fn min_rows<T: Element>(x: &[T], cols: usize, out: &mut [T]) -> Result<(), SimdError> {
    reduce_rows(&Min, x, cols, out)
}

/// Row maximum and `Σ exp(x - max)`, the intermediate row (`exp(x - max)`) left in `scratch` if asked.
#[inline(always)]
unsafe fn exp_sum<S: Simd<Elem = T::Lane>, T: Element>(
    s: S,
    x: *const T,
    cols: usize,
    scratch: Option<&mut [T::Lane]>,
) -> (S::V, S::V) {
    let ninf = T::Lane::from_f64(f64::NEG_INFINITY);
    // SAFETY (closures): fold_row stays within 0..cols.
    let m = fold_row(
        s,
        cols,
        s.splat(ninf),
        #[inline(always)]
        |acc, i, len| s.max(unsafe { load_pad(s, x.add(i), len, ninf) }, acc),
        #[inline(always)]
        |a, b| s.max(a, b),
    );
    let m = s.splat(s.reduce_max(m));
    let sum = match scratch {
        Some(sc) => {
            let sp = sc.as_mut_ptr();
            fold_row(
                s,
                cols,
                s.constant(0.0),
                #[inline(always)]
                |acc, i, len| {
                    let e = s.exp(s.sub(unsafe { load_pad(s, x.add(i), len, ninf) }, m));
                    unsafe { store_lanes(s, sp.add(i), e, len) };
                    s.add(acc, e)
                },
                #[inline(always)]
                |a, b| s.add(a, b),
            )
        }
        None => fold_row(
            s,
            cols,
            s.constant(0.0),
            #[inline(always)]
            |acc, i, len| {
                s.add(
                    acc,
                    s.exp(s.sub(unsafe { load_pad(s, x.add(i), len, ninf) }, m)),
                )
            },
            #[inline(always)]
            |a, b| s.add(a, b),
        ),
    };
    (m, s.splat(s.reduce_sum(sum)))
}

struct Softmax;

impl<T: Element> RowOp<T> for Softmax {
    fn out_cols(&self, cols: usize) -> usize {
        cols
    }
    #[inline(always)]
    unsafe fn row<S: Simd<Elem = T::Lane>>(
        &self,
        s: S,
        x: *const T,
        out: *mut T,
        _r: usize,
        cols: usize,
        nt: bool,
        scratch: &mut [T::Lane],
    ) {
        // SAFETY: x readable and out writable for cols; scratch holds cols lanes.
        unsafe {
            let (_, sum) = exp_sum(s, x, cols, Some(scratch));
            let inv = s.div(s.constant(1.0), sum);
            let sp = scratch.as_ptr();
            drive(
                s,
                out,
                0,
                cols,
                nt,
                #[inline(always)]
                |i, len| s.mul(load_lanes(s, sp.add(i), len), inv),
            );
        }
    }
}

struct LogSoftmax;

impl<T: Element> RowOp<T> for LogSoftmax {
    fn out_cols(&self, cols: usize) -> usize {
        cols
    }
    #[inline(always)]
    unsafe fn row<S: Simd<Elem = T::Lane>>(
        &self,
        s: S,
        x: *const T,
        out: *mut T,
        _r: usize,
        cols: usize,
        nt: bool,
        _scratch: &mut [T::Lane],
    ) {
        // SAFETY: x readable and out writable for cols.
        unsafe {
            let (m, sum) = exp_sum(s, x, cols, None);
            let shift = s.add(m, s.log(sum));
            drive(
                s,
                out,
                0,
                cols,
                nt,
                #[inline(always)]
                |i, len| s.sub(super::elementwise::load_n(s, x.add(i), len), shift),
            );
        }
    }
}

struct Norm<'a, T> {
    weight: Option<&'a [T]>,
    bias: Option<&'a [T]>,
    eps: f64,
    /// layer_norm subtracts the mean; rms_norm does not.
    center: bool,
}

impl<T: Element> RowOp<T> for Norm<'_, T> {
    fn out_cols(&self, cols: usize) -> usize {
        cols
    }
    #[inline(always)]
    unsafe fn row<S: Simd<Elem = T::Lane>>(
        &self,
        s: S,
        x: *const T,
        out: *mut T,
        _r: usize,
        cols: usize,
        nt: bool,
        _scratch: &mut [T::Lane],
    ) {
        use super::elementwise::load_n;
        let zero = T::Lane::ZERO;
        let n = s.constant(cols as f64);
        // SAFETY (whole body): x, weight, bias readable and out writable for cols (checked by the caller).
        unsafe {
            let mean = if self.center {
                let sum = fold_row(
                    s,
                    cols,
                    s.splat(zero),
                    #[inline(always)]
                    |acc, i, len| s.add(acc, load_pad(s, x.add(i), len, zero)),
                    #[inline(always)]
                    |a, b| s.add(a, b),
                );
                s.div(s.splat(s.reduce_sum(sum)), n)
            } else {
                s.splat(zero)
            };
            // Padded lanes equal the mean, so they add nothing to the sum of squares.
            let pad = s.reduce_max(mean);
            let sq = fold_row(
                s,
                cols,
                s.splat(zero),
                #[inline(always)]
                |acc, i, len| {
                    let d = s.sub(load_pad(s, x.add(i), len, pad), mean);
                    s.mul_add(d, d, acc)
                },
                #[inline(always)]
                |a, b| s.add(a, b),
            );
            let var = s.div(s.splat(s.reduce_sum(sq)), n);
            let rstd = s.div(s.constant(1.0), s.sqrt(s.add(var, s.constant(self.eps))));
            let (w, b) = (self.weight.map(<[T]>::as_ptr), self.bias.map(<[T]>::as_ptr));
            match (w, b) {
                (None, None) => drive(
                    s,
                    out,
                    0,
                    cols,
                    nt,
                    #[inline(always)]
                    |i, len| s.mul(s.sub(load_n(s, x.add(i), len), mean), rstd),
                ),
                (Some(w), None) => drive(
                    s,
                    out,
                    0,
                    cols,
                    nt,
                    #[inline(always)]
                    |i, len| {
                        s.mul(
                            s.mul(s.sub(load_n(s, x.add(i), len), mean), rstd),
                            load_n(s, w.add(i), len),
                        )
                    },
                ),
                (None, Some(b)) => drive(
                    s,
                    out,
                    0,
                    cols,
                    nt,
                    #[inline(always)]
                    |i, len| {
                        s.add(
                            s.mul(s.sub(load_n(s, x.add(i), len), mean), rstd),
                            load_n(s, b.add(i), len),
                        )
                    },
                ),
                (Some(w), Some(b)) => drive(
                    s,
                    out,
                    0,
                    cols,
                    nt,
                    #[inline(always)]
                    |i, len| {
                        s.mul_add(
                            s.mul(s.sub(load_n(s, x.add(i), len), mean), rstd),
                            load_n(s, w.add(i), len),
                            load_n(s, b.add(i), len),
                        )
                    },
                ),
            }
        }
    }
}

fn rows_of(len: usize, cols: usize) -> Result<usize, SimdError> {
    if cols == 0 {
        return if len == 0 {
            Ok(0)
        } else {
            Err(SimdError::LengthMismatch {
                what: "x",
                expected: 0,
                got: len,
            })
        };
    }
    if !len.is_multiple_of(cols) {
        return Err(SimdError::LengthMismatch {
            what: "x",
            expected: len / cols * cols,
            got: len,
        });
    }
    Ok(len / cols)
}

fn check_param<T>(what: &'static str, p: Option<&[T]>, cols: usize) -> Result<(), SimdError> {
    match p {
        Some(p) if p.len() != cols => Err(SimdError::LengthMismatch {
            what,
            expected: cols,
            got: p.len(),
        }),
        _ => Ok(()),
    }
}

/// Softmax over each row of the contiguous `[rows, cols]` buffer `x` (`exp(x - max) / Σ exp(x - max)`;
/// a row holding +inf or NaN gives NaN, like PyTorch).
pub fn softmax<T: Element>(x: &[T], cols: usize, out: &mut [T]) -> Result<(), SimdError> {
    run_rows(&Softmax, x, rows_of(x.len(), cols)?, cols, out)
}

/// Log-softmax over each row (`x - max - ln Σ exp(x - max)`).
pub fn log_softmax<T: Element>(x: &[T], cols: usize, out: &mut [T]) -> Result<(), SimdError> {
    run_rows(&LogSoftmax, x, rows_of(x.len(), cols)?, cols, out)
}

/// PyTorch `rms_norm` over the last dimension: `x / sqrt(mean(x²) + eps) * weight`. `eps` defaults to
/// the lane type's machine epsilon (f32's for f32, f16 and bf16, like PyTorch's opmath type).
pub fn rms_norm<T: Element>(
    x: &[T],
    cols: usize,
    weight: Option<&[T]>,
    eps: Option<f64>,
    out: &mut [T],
) -> Result<(), SimdError> {
    check_param("weight", weight, cols)?;
    let eps = eps.unwrap_or(if size_of::<T::Lane>() == 4 {
        f32::EPSILON as f64
    } else {
        f64::EPSILON
    });
    let op = Norm {
        weight,
        bias: None,
        eps,
        center: false,
    };
    run_rows(&op, x, rows_of(x.len(), cols)?, cols, out)
}

/// PyTorch `layer_norm` over the last dimension: `(x - mean) / sqrt(var + eps) * weight + bias`, with
/// the biased variance (PyTorch's default `eps` is 1e-5).
pub fn layer_norm<T: Element>(
    x: &[T],
    cols: usize,
    weight: Option<&[T]>,
    bias: Option<&[T]>,
    eps: f64,
    out: &mut [T],
) -> Result<(), SimdError> {
    check_param("weight", weight, cols)?;
    check_param("bias", bias, cols)?;
    let op = Norm {
        weight,
        bias,
        eps,
        center: true,
    };
    run_rows(&op, x, rows_of(x.len(), cols)?, cols, out)
}
