//! Row-wise kernels over a contiguous `[rows, cols]` buffer: reductions over the last dimension (sum,
//! mean, max, min, or a user's [`ReduceOp`]) and normalisations (softmax, log_softmax, rms_norm,
//! layer_norm).
//!
//! Each row is reduced by one thread in a fixed order (four vector accumulators, then a fixed
//! horizontal order), so results are identical whatever the thread count; rows are split across
//! threads. Half types accumulate in f32, f64 in f64.
//!
//! Memory traffic: a row that fits in L2 is read from memory once (its later passes hit the cache),
//! and the output is written once (non-temporal for large outputs, one fence per thread at the end).
//! While a row is worked on, the next row is prefetched, so that reading it overlaps this row's
//! compute and writes (`PREFETCH_MAX_ROW_BYTES`). Norms make two passes (statistics, output), each
//! prefetching the next row; layer_norm gets its mean and variance in one pass (`moments`,
//! Welford's update per lane, relative to the row's first element). Softmax keeps its
//! exponentials in the output row itself (plain stores of f32/f64) or in an f32/f64 scratch row
//! (non-temporal stores, half types), then scales them by `1 / Σ`.
//!
//! Accuracy: sums have relative error ≤ (cols / (4·LANES) + 8) · ε · Σ|x| / |Σx| (ε of the lane type)
//! in softmax and the norms; the reductions cascade long rows (`cascade`: at most
//! `64 + log₂(cols / (256·LANES)) + 8` steps instead of `cols / (4·LANES) + 8`);
//! softmax ≤ 4 ULP + sum error (ULP of the output type: half rows take their exponentials from
//! [`Simd::exp_half`], 1.2e-5 relative); rms_norm, layer_norm ≤ 4 ULP + the error of the
//! mean/variance.

use super::elementwise::{SendPtr, drive_unfenced, drive_unfenced_with, load_n, streaming_for};
use super::threads::{run_chunks, threads_for};
use super::vector::{MAX_LANES, exp_stage1_for, exp_stage2_for, is_bf16, is_half};
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
    // SAFETY: forwarded contract.
    unsafe { load_lanes_pad(s, p, len, S::Elem::ZERO) }
}

/// Loads `len <= LANES` lanes, the others `pad`.
///
/// # Safety
/// `p` readable for `len` lanes.
#[inline(always)]
unsafe fn load_lanes_pad<S: Simd>(s: S, p: *const S::Elem, len: usize, pad: S::Elem) -> S::V {
    let mut buf = [pad; MAX_LANES];
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

/// `p[i] *= k` for `i` in `0..len`, in place.
///
/// # Safety
/// `p` readable and writable for `len` lanes.
#[inline(always)]
unsafe fn scale_lanes<S: Simd>(s: S, p: *mut S::Elem, len: usize, k: S::V) {
    let l = S::LANES;
    let mut i = 0;
    // SAFETY: every access is within 0..len.
    unsafe {
        while i + l <= len {
            s.store(p.add(i), s.mul(s.load(p.add(i)), k));
            i += l;
        }
        if i < len {
            store_lanes(
                s,
                p.add(i),
                s.mul(load_lanes(s, p.add(i), len - i), k),
                len - i,
            );
        }
    }
}

/// Folds a row with four accumulators: `f(acc, i, len)` combines the vector at `i`.
#[inline(always)]
fn fold_row<S: Simd, A: Copy>(
    _s: S,
    cols: usize,
    init: A,
    f: impl Fn(A, usize, usize) -> A,
    merge: impl Fn(A, A) -> A,
) -> A {
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
trait RowOp<T: Element>: Sync {
    /// Output elements per row.
    fn out_cols(&self, cols: usize) -> usize;
    /// Lanes of the per-thread scratch buffer handed to every row.
    fn scratch_lanes(&self, cols: usize) -> usize {
        cols
    }
    /// Fills the scratch buffer once per thread, before its first row.
    #[inline(always)]
    fn prepare<S: Simd<Elem = T::Lane>>(&self, _s: S, _scratch: &mut [T::Lane]) {}
    /// Processes one row. `ahead` is the row this thread processes next (or this row again for the
    /// last one): rows that make more than one pass prefetch it, so that reading it from memory
    /// overlaps this row's compute and writes (see [`PREFETCH_MAX_ROW_BYTES`]).
    ///
    /// # Safety
    /// `x` readable for `cols`, `out` writable for `out_cols(cols)`; `scratch` holds
    /// `scratch_lanes(cols)` lanes, as `prepare` and the previous row left them.
    /// `ahead` is only prefetched, never read, so it may point anywhere.
    #[allow(clippy::too_many_arguments)]
    unsafe fn row<S: Simd<Elem = T::Lane>>(
        &self,
        s: S,
        x: *const T,
        out: *mut T,
        cols: usize,
        nt: bool,
        ahead: *const T,
        scratch: &mut [T::Lane],
    );
}

/// Rows up to this size prefetch the next row while working on this one (softmax: during the exp
/// pass; the norms: during both of their passes). Without it a row's passes alternate between only
/// reading memory (the first pass) and only writing it (the output pass), and each phase alone runs
/// well below the bandwidth of reads and writes together. Measured (512 MiB, 4096 columns, one
/// thread): softmax f32 9.0 → 13.4 GB/s with op-bench on Zen 3; on the AVX-512 EPYC with
/// simd-bench, prefetching in the norms' statistics pass as well as their output pass took f32
/// layer_norm 0.64 → 0.77 of the copy bound and bf16 rms_norm 0.76 → 0.82–0.92, while doing the
/// same in softmax's max pass gained nothing. Larger rows are not prefetched a row ahead (the lines
/// would be evicted before use); the hardware prefetcher streams them.
const PREFETCH_MAX_ROW_BYTES: usize = 64 << 10;

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
        // 64-byte aligned, like the outputs the drivers align their stores to: the norms' weight and
        // bias lanes live here, and with both read unaligned (besides an unaligned input row), f32
        // layer_norm over 512 MiB on one thread ran at 0.50–0.53 of the copy bound, 0.83–0.90 aligned.
        let lanes = self.op.scratch_lanes(self.cols);
        let align = 64 / size_of::<T::Lane>();
        let mut buf = vec![T::Lane::ZERO; lanes + align];
        let start = buf.as_ptr().align_offset(64).min(align);
        let scratch = &mut buf[start..start + lanes];
        self.op.prepare(s, scratch);
        let prefetch = self.cols * size_of::<T>() <= PREFETCH_MAX_ROW_BYTES;
        for r in self.start..self.end {
            let x = self.x.wrapping_add(r * self.cols);
            let ahead = if prefetch && r + 1 < self.end {
                x.wrapping_add(self.cols)
            } else {
                x
            };
            // SAFETY: the caller checked x holds rows × cols and out rows × out_cols.
            unsafe {
                self.op.row(
                    s,
                    x,
                    self.out.add(r * oc),
                    self.cols,
                    self.nt,
                    ahead,
                    scratch,
                );
            }
        }
        // One fence for the whole range: non-temporal stores need ordering only before another thread
        // reads them, which happens after this kernel returns.
        if self.nt {
            s.fence();
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
        T::dispatch(isa, k)
    });
    Ok(())
}

struct Reduce<'a, R>(&'a R);

impl<T: Element, R: ReduceOp> RowOp<T> for Reduce<'_, R> {
    fn out_cols(&self, _cols: usize) -> usize {
        1
    }
    fn scratch_lanes(&self, _cols: usize) -> usize {
        0
    }
    #[inline(always)]
    unsafe fn row<S: Simd<Elem = T::Lane>>(
        &self,
        s: S,
        x: *const T,
        out: *mut T,
        cols: usize,
        _nt: bool,
        ahead: *const T,
        _scratch: &mut [T::Lane],
    ) {
        let id = T::Lane::from_f64(self.0.identity());
        // The closures are arguments, not `let`s, so that they can carry `#[inline(always)]`:
        // out of line they would be compiled without the level's features (see `Norm::write`).
        let acc = cascade(
            s,
            cols,
            CASCADE_BLOCK * S::LANES,
            // One block: four accumulators over `len` elements from `start`, merged.
            // SAFETY: fold_row stays within 0..len, and start + len <= cols.
            #[inline(always)]
            |start, len| {
                let (x, ahead) = (unsafe { x.add(start) }, ahead.wrapping_add(start));
                fold_row(
                    s,
                    len,
                    s.splat(id),
                    #[inline(always)]
                    |acc, i, len| {
                        // The next row, a row ahead: measured with op-bench (one thread, f32,
                        // rows of 4096): 64 MiB 36–41 → 45–49 GB/s, 512 MiB 39 → 40–41; the
                        // hardware prefetcher alone ramps up again at every row.
                        prefetch_lines(s, ahead.wrapping_add(i), len);
                        self.0
                            .combine(s, acc, unsafe { load_pad(s, x.add(i), len, id) })
                    },
                    #[inline(always)]
                    |a, b| self.0.merge(s, a, b),
                )
            },
            #[inline(always)]
            |a, b| self.0.merge(s, a, b),
        );
        let r = self.0.finish(self.0.horizontal(s, acc).to_f64(), cols);
        // SAFETY: out writable for one element.
        unsafe { out.write(T::from_f64(r)) };
    }
}

/// Vectors per block of a long row's cascade ([`cascade`]): 256 vectors, 64 per accumulator.
const CASCADE_BLOCK: usize = 256;

/// Combines the blocks of a row (`block(start, len)` for consecutive blocks of `block_len`
/// elements, the last one shorter) pairwise, as a binary counter: two partials of the same level
/// merge into one of the next, so a row of `n` elements adds its rounding errors over
/// `block_len / (4·L)` steps within a block and `log₂(n / block_len)` across them, instead of
/// `n / (4·L)` in one running sum (PyTorch's CPU sums cascade likewise). A sum of 10⁷ × 0.1 in
/// f32 was 1.5e-3 off that way. The order depends only on `n`: results stay deterministic.
#[inline(always)]
fn cascade<S: Simd>(
    s: S,
    cols: usize,
    block_len: usize,
    block: impl Fn(usize, usize) -> S::V,
    merge: impl Fn(S::V, S::V) -> S::V,
) -> S::V {
    if cols <= block_len {
        return block(0, cols);
    }
    // Levels: at most log₂(cols) + 1 ≤ 64 partials are pending at once.
    let mut pending = [s.splat(S::Elem::ZERO); 64];
    let mut levels = [0u32; 64];
    let mut top = 0;
    let mut start = 0;
    while start < cols {
        let len = block_len.min(cols - start);
        let mut v = block(start, len);
        // The binary counter's carries: pending levels strictly decrease towards the top.
        let mut level = 0;
        while top > 0 && levels[top - 1] == level {
            top -= 1;
            v = merge(pending[top], v);
            level += 1;
        }
        pending[top] = v;
        levels[top] = level;
        top += 1;
        start += len;
    }
    let mut acc = pending[top - 1];
    for i in (0..top - 1).rev() {
        acc = merge(pending[i], acc);
    }
    acc
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

/// Row maximum for softmax, with four accumulators so that the pass is not bound by the latency of
/// `max`. A NaN in the row may be skipped ([`Simd::max_any_nan`]): it still makes its `exp`, the sum
/// and so every output NaN.
///
/// # Safety
/// `x` readable for `cols`.
#[inline(always)]
unsafe fn row_max<S: Simd<Elem = T::Lane>, T: Element>(s: S, x: *const T, cols: usize) -> S::V {
    let ninf = T::Lane::from_f64(f64::NEG_INFINITY);
    // SAFETY (closure): fold_row stays within 0..cols.
    let m = fold_row(
        s,
        cols,
        s.splat(ninf),
        #[inline(always)]
        |acc, i, len| s.max_any_nan(unsafe { load_pad(s, x.add(i), len, ninf) }, acc),
        #[inline(always)]
        |a, b| s.max_any_nan(a, b),
    );
    s.splat(s.reduce_max(m))
}

/// Where a pass reads its row from: the `T` elements themselves, or lanes that an earlier pass
/// converted them to (see [`row_max_keep`]). Chosen per row op from `T` alone, so the `match`
/// folds away once inlined.
#[derive(Clone, Copy)]
enum RowSrc<T: Element> {
    Elems(*const T),
    Lanes(*const T::Lane),
}

impl<T: Element> RowSrc<T> {
    /// The full vector at `i`.
    ///
    /// # Safety
    /// The row is readable for `i..i + LANES`.
    #[inline(always)]
    unsafe fn load<S: Simd<Elem = T::Lane>>(self, s: S, i: usize) -> S::V {
        // SAFETY: forwarded.
        unsafe {
            match self {
                RowSrc::Elems(p) => T::vload(s, p.add(i)),
                RowSrc::Lanes(p) => s.load(p.add(i)),
            }
        }
    }

    /// The `len <= LANES` elements at `i`, the other lanes `pad`.
    ///
    /// # Safety
    /// The row is readable for `i..i + len`.
    #[inline(always)]
    unsafe fn load_pad<S: Simd<Elem = T::Lane>>(
        self,
        s: S,
        i: usize,
        len: usize,
        pad: T::Lane,
    ) -> S::V {
        // SAFETY: forwarded.
        unsafe {
            match self {
                RowSrc::Elems(p) => load_pad(s, p.add(i), len, pad),
                RowSrc::Lanes(p) => load_lanes_pad(s, p.add(i), len, pad),
            }
        }
    }
}

/// [`row_max`] that also stores the row, converted to lanes, into `keep`: for half rows, whose later
/// passes then read f32 lanes from L1 instead of converting the row again (one conversion per
/// element instead of two for softmax, three for log_softmax). With `min`, also the row's minimum
/// (else +inf), which like the maximum may miss a NaN: a NaN makes the row's sum NaN anyway.
///
/// # Safety
/// `x` readable and `keep` writable for `cols`.
#[inline(always)]
unsafe fn row_max_keep<S: Simd<Elem = T::Lane>, T: Element>(
    s: S,
    x: *const T,
    cols: usize,
    keep: *mut T::Lane,
    min: bool,
) -> (S::V, S::Elem) {
    let (ninf, inf) = (
        T::Lane::from_f64(f64::NEG_INFINITY),
        T::Lane::from_f64(f64::INFINITY),
    );
    // SAFETY (closure): fold_row stays within 0..cols.
    let (hi, lo) = fold_row(
        s,
        cols,
        (s.splat(ninf), s.splat(inf)),
        #[inline(always)]
        |(hi, lo), i, len| unsafe {
            let v = load_pad(s, x.add(i), len, ninf);
            store_lanes(s, keep.add(i), v, len);
            let lo = match (min, len == S::LANES) {
                (false, _) => lo,
                (true, true) => s.min_any_nan(v, lo),
                // A partial vector (the last one) again, padded for the minimum.
                (true, false) => s.min_any_nan(load_pad(s, x.add(i), len, inf), lo),
            };
            (s.max_any_nan(v, hi), lo)
        },
        #[inline(always)]
        |(h0, l0), (h1, l1)| (s.max_any_nan(h0, h1), s.min_any_nan(l0, l1)),
    );
    (s.splat(s.reduce_max(hi)), s.reduce_min(lo))
}

/// `Σ exp(x - m)` over the row, storing each `exp(x - m)` into `keep` when given (which may be `x`
/// itself), and prefetching `ahead`, the next row (this pass is the longest one over cached data,
/// so it best hides the next row's reads). Half rows end rounded to f16 or bf16, so they take
/// [`Simd::exp_half`] (1.2e-5 is plenty).
///
/// Four vectors at a time, summed into four accumulators in the same pattern as [`fold_row`]:
/// software-pipelined through [`exp_front`] / [`exp_stage2_for`] for half rows and where
/// [`Simd::FAST_SCALE_POW2`] (512 MiB, one thread: bf16 softmax 0.62 → 0.67 of the copy bound,
/// f16 0.67 → 0.70), else through [`Simd::exp4`] (one range check per four, so their evaluations
/// interleave). Padding lanes of the partial last vector are -inf, so they add `exp(-inf) = 0`.
///
/// # Safety
/// `x` readable for `cols`; `keep`, if not null, writable for `cols` lanes.
#[inline(always)]
unsafe fn exp_sum<S: Simd<Elem = T::Lane>, T: Element, A>(
    s: S,
    x: RowSrc<T>,
    cols: usize,
    m: S::V,
    keep: *mut T::Lane,
    ahead: *const A,
) -> S::V {
    let l = S::LANES;
    let ninf = T::Lane::from_f64(f64::NEG_INFINITY);
    let zero = s.constant(0.0);
    let mut acc = [zero; 4];
    let mut i = 0;
    let half = is_half::<T>();
    // SAFETY (whole body): every load is within 0..cols, every store to keep too. (No closures:
    // they are only compiled with the level's features when inlined.)
    unsafe {
        if half || S::FAST_SCALE_POW2 {
            // Software-pipelined (see UnaryOp::staged): the reduction of the next four vectors
            // with the rest of the current four. (Below AVX-512, f32 keeps exp4: the stages there
            // would always take the exponential's slow path.) The next four are read before the
            // current four are stored, so keep may be the source row.
            if i + 4 * l <= cols {
                let mut mid = [
                    exp_front(s, x, m, i, half),
                    exp_front(s, x, m, i + l, half),
                    exp_front(s, x, m, i + 2 * l, half),
                    exp_front(s, x, m, i + 3 * l, half),
                ];
                loop {
                    prefetch_lines(s, ahead.wrapping_add(i), 4 * l);
                    let next = i + 4 * l;
                    let last = next + 4 * l > cols;
                    let fut = if last {
                        mid
                    } else {
                        [
                            exp_front(s, x, m, next, half),
                            exp_front(s, x, m, next + l, half),
                            exp_front(s, x, m, next + 2 * l, half),
                            exp_front(s, x, m, next + 3 * l, half),
                        ]
                    };
                    for k in 0..4 {
                        let e = exp_stage2_for(s, mid[k], half);
                        if !keep.is_null() {
                            s.store(keep.add(i + k * l), e);
                        }
                        acc[k] = s.add(acc[k], e);
                    }
                    i = next;
                    if last {
                        break;
                    }
                    mid = fut;
                }
            }
        } else {
            while i + 4 * l <= cols {
                prefetch_lines(s, ahead.wrapping_add(i), 4 * l);
                let d = [
                    s.sub(x.load(s, i), m),
                    s.sub(x.load(s, i + l), m),
                    s.sub(x.load(s, i + 2 * l), m),
                    s.sub(x.load(s, i + 3 * l), m),
                ];
                let e = s.exp4(d);
                for k in 0..4 {
                    if !keep.is_null() {
                        s.store(keep.add(i + k * l), e[k]);
                    }
                    acc[k] = s.add(acc[k], e[k]);
                }
                i += 4 * l;
            }
        }
        // The rest one vector at a time: full ones into acc[0], the partial one into acc[1].
        while i < cols {
            let len = (cols - i).min(l);
            prefetch_lines(s, ahead.wrapping_add(i), len);
            let d = s.sub(x.load_pad(s, i, len, ninf), m);
            let e = if half { s.exp_half(d) } else { s.exp(d) };
            if !keep.is_null() {
                store_lanes(s, keep.add(i), e, len);
            }
            let k = usize::from(len < l);
            acc[k] = s.add(acc[k], e);
            i += len;
        }
    }
    let sum = s.add(s.add(acc[0], acc[1]), s.add(acc[2], acc[3]));
    s.splat(s.reduce_sum(sum))
}

/// The first stage of `exp(x[i..i + LANES] - m)` in [`exp_sum`]'s pipeline (see
/// [`exp_stage1_for`]); [`exp_stage2_for`] finishes it.
///
/// # Safety
/// The row is readable for `i..i + LANES`.
#[inline(always)]
unsafe fn exp_front<S: Simd<Elem = T::Lane>, T: Element>(
    s: S,
    x: RowSrc<T>,
    m: S::V,
    i: usize,
    half: bool,
) -> [S::V; 2] {
    // SAFETY: forwarded contract.
    exp_stage1_for(s, s.sub(unsafe { x.load(s, i) }, m), half)
}

/// The mean and the biased variance of a row, in f64, in one pass and without cancellation
/// whatever the mean.
///
/// Every sum is taken over `x - shift`, `shift` the row's first element (in lanes), so the
/// accumulated means are about as large as the deviations, not as the data, and their rounding
/// error is relative to the spread of the row, not to its offset (data at 100 ± 1 in f32: without
/// the shift, rounding the mean cost up to 1 ULP of 100, 2·10⁴ ULP of the normalised outputs
/// near 0). The shift is added back in f64.
///
/// Each of the `4 · LANES` lanes of four accumulators runs Welford's update over its own elements
/// (`d = x - m; m += d / k; M2 += d (x - m)`) for the whole blocks of `4 · LANES`; the partials, all
/// of the same count, are then merged in f64, and the elements after the last block (fewer than
/// `4 · LANES`, their own two-pass mean and sum of squares) are merged with Chan's formula.
///
/// Two passes (the sum, then the squared deviations over cached data) measured slower: the second
/// pass left memory idle, and f32 layer_norm over 512 MiB ran at 0.54 of the copy bound against 0.86
/// for rms_norm, which makes one pass fewer.
///
/// A row whose squared deviations overflow the lanes (f32 data spread by more than about 10¹⁹) is
/// measured again in f64 ([`moments_f64`]), so that its variance is finite where the data are.
///
/// # Safety
/// `x` readable for `cols` elements.
#[inline(always)]
unsafe fn moments<S: Simd<Elem = T::Lane>, T: Element>(
    s: S,
    x: *const T,
    cols: usize,
    ahead: *const T,
) -> (f64, f64) {
    let l = S::LANES;
    let blocks = cols / (4 * l);
    let zero = s.splat(T::Lane::ZERO);
    if cols == 0 {
        return (0.0, 0.0);
    }
    // SAFETY: cols > 0.
    let shift = unsafe { x.read() }.to_lane();
    let kv = s.splat(shift);
    let (mut m, mut q) = ([zero; 4], [zero; 4]);
    // SAFETY (whole body): every load is within 0..cols.
    unsafe {
        for b in 0..blocks {
            let inv = s.constant(1.0 / (b + 1) as f64);
            let p = x.add(b * 4 * l);
            prefetch_lines(s, ahead.wrapping_add(b * 4 * l), 4 * l);
            for k in 0..4 {
                let v = s.sub(T::vload(s, p.add(k * l)), kv);
                let d = s.sub(v, m[k]);
                m[k] = s.mul_add(d, inv, m[k]);
                q[k] = s.mul_add(d, s.sub(v, m[k]), q[k]);
            }
        }
        // The block partials: equal counts, so the mean is the mean of the lane means, and
        // M2 = Σ M2_lane + count · Σ (m_lane - mean)².
        let head = blocks * 4 * l;
        let (mut mean, mut m2) = (0.0, 0.0);
        if blocks > 0 {
            let msum = s.add(s.add(m[0], m[1]), s.add(m[2], m[3]));
            mean = s.reduce_sum(msum).to_f64() / (4 * l) as f64;
            let mv = s.constant(mean);
            let mut dev = zero;
            for mk in m {
                let d = s.sub(mk, mv);
                dev = s.mul_add(d, d, dev);
            }
            let qsum = s.add(s.add(q[0], q[1]), s.add(q[2], q[3]));
            m2 = s.reduce_sum(qsum).to_f64() + blocks as f64 * s.reduce_sum(dev).to_f64();
        }
        let tail = cols - head;
        if tail > 0 {
            // The tail: its mean (padded lanes equal the shift: they add 0), then its squared
            // deviations from `center`, its mean rounded to lanes (padded lanes equal it: they add
            // 0), less the part due to that rounding: Σ(x - c)² = Σ(x - μ)² + tail · (μ - c)².
            let xt = x.add(head);
            let sum = fold_row(
                s,
                tail,
                zero,
                #[inline(always)]
                |acc, i, len| s.add(acc, s.sub(load_pad(s, xt.add(i), len, shift), kv)),
                #[inline(always)]
                |a, b| s.add(a, b),
            );
            let tmean = s.reduce_sum(sum).to_f64() / tail as f64;
            let center = T::Lane::from_f64(shift.to_f64() + tmean);
            let cv = s.splat(center);
            let sq = fold_row(
                s,
                tail,
                zero,
                #[inline(always)]
                |acc, i, len| {
                    let d = s.sub(load_pad(s, xt.add(i), len, center), cv);
                    s.mul_add(d, d, acc)
                },
                #[inline(always)]
                |a, b| s.add(a, b),
            );
            let off = (shift.to_f64() - center.to_f64()) + tmean;
            let tm2 = (s.reduce_sum(sq).to_f64() - tail as f64 * off * off).max(0.0);
            // Chan et al.'s merge of (head, mean, m2) and (tail, tmean, tm2).
            let (nh, nt) = (head as f64, tail as f64);
            let n = nh + nt;
            let delta = tmean - mean;
            mean += delta * nt / n;
            m2 += tm2 + delta * delta * nh * nt / n;
        }
        let var = m2 / cols as f64;
        if var.is_finite() {
            return (shift.to_f64() + mean, var);
        }
        // Overflow in the lanes, or NaN/inf in the row (which stays NaN in f64).
        moments_f64(x, cols)
    }
}

/// The mean and biased variance of a row in f64 (two passes, element by element): the rare rows
/// whose squares overflow the lanes ([`moments`]).
///
/// # Safety
/// `x` readable for `cols` elements.
#[cold]
unsafe fn moments_f64<T: Element>(x: *const T, cols: usize) -> (f64, f64) {
    // SAFETY: i < cols.
    let at = |i: usize| unsafe { x.add(i).read() }.to_lane().to_f64();
    let mean = (0..cols).map(at).sum::<f64>() / cols as f64;
    let m2 = (0..cols).map(|i| (at(i) - mean).powi(2)).sum::<f64>();
    (mean, m2 / cols as f64)
}

/// The mean of the squares of a row in f64, element by element: the rare rows whose squares
/// overflow the lanes (rms_norm of f32 data beyond about 10¹⁹).
///
/// # Safety
/// `x` readable for `cols` elements.
#[cold]
unsafe fn mean_square_f64<T: Element>(x: *const T, cols: usize) -> f64 {
    // SAFETY: i < cols.
    let at = |i: usize| unsafe { x.add(i).read() }.to_lane().to_f64();
    (0..cols).map(|i| at(i).powi(2)).sum::<f64>() / cols as f64
}

/// `f(i, len)` after prefetching the same elements of the row `ahead` (see [`Norm::write`]).
#[inline(always)]
fn prefetched<S: Simd, T>(
    s: S,
    ahead: *const T,
    i: usize,
    len: usize,
    f: &impl Fn(usize, usize) -> S::V,
) -> S::V {
    prefetch_lines(s, ahead.wrapping_add(i), len);
    f(i, len)
}

/// Prefetches the cache lines holding `n` elements at `p` (which may point anywhere).
#[inline(always)]
fn prefetch_lines<S: Simd, T>(s: S, p: *const T, n: usize) {
    let bytes = n * size_of::<T>();
    let mut b = 0;
    while b < bytes {
        s.prefetch(p.cast::<u8>().wrapping_add(b));
        b += 64;
    }
}

/// The row maximum, and where the later passes read the row: `x` itself for lane types; for half
/// rows, the f32 lanes [`row_max_keep`] converts them to in `scratch`. With `min` (half rows
/// only), also the row's minimum (else +inf).
///
/// # Safety
/// `x` readable for `cols`; for half rows, `scratch` writable for `cols` lanes.
#[inline(always)]
unsafe fn max_and_source<S: Simd<Elem = T::Lane>, T: Element>(
    s: S,
    x: *const T,
    cols: usize,
    scratch: *mut T::Lane,
    min: bool,
) -> (S::V, S::Elem, RowSrc<T>) {
    // SAFETY: forwarded contract.
    unsafe {
        if is_half::<T>() {
            let (m, lo) = row_max_keep(s, x, cols, scratch, min);
            (m, lo, RowSrc::Lanes(scratch.cast_const()))
        } else {
            let inf = T::Lane::from_f64(f64::INFINITY);
            (row_max(s, x, cols), inf, RowSrc::Elems(x))
        }
    }
}

/// Whether every `exp(x - max) / sum` of a row is normal or 0 (never subnormal), given the row's
/// smallest element, its maximum and the sum: the smallest result is about
/// `e^{(min - max) - ln sum}`, and `e^-86` is 3.8 times the smallest normal f32, a margin far
/// beyond the exponential's and the division's errors. False for NaN and -inf minima.
fn softmax_normal(min: f64, max: f64, sum: f64) -> bool {
    (min - max) - sum.ln() > -86.0
}

struct Softmax;

impl<T: Element> RowOp<T> for Softmax {
    fn out_cols(&self, cols: usize) -> usize {
        cols
    }
    /// Three passes, one of them over memory: the maximum (reads the row, which then stays in L1/L2),
    /// `exp(x - max)` with the sum, then the exponentials times `1 / sum` to the output, written once.
    ///
    /// Where the output is written with plain stores and holds lanes (f32, f64), the exponentials go
    /// straight into the output row and are scaled there in place: the output lines are then fetched
    /// for ownership during the exp pass, hidden behind its arithmetic, instead of during a pass that
    /// only copies. Non-temporal outputs (large, never read for ownership) and half types (which must
    /// round once, from the scaled f32 value) keep the exponentials in the f32 scratch row instead.
    /// Half rows are converted to f32 once, into that scratch row during the max pass (measured at
    /// 512 MiB, one thread: f16 0.58 → 0.71 of the copy bound, bf16 0.53 → 0.64).
    ///
    /// On one thread, large inputs run at about 0.70 of the copy bound, limited by how one core
    /// overlaps memory with the passes rather than by arithmetic. Leaving passes out (512 MiB, rows
    /// of 4096, f32) shows it: without the output pass a run takes 0.65 of the time, without the
    /// exp pass 0.67, without both 0.53 (the max pass then reads at about 30 GB/s); in L3, the
    /// whole op runs 1.7 times as fast as from memory. Measured and not kept: writing each row's
    /// output during the next row's max pass (pipelined across rows through two scratch rows) ran
    /// no faster, and 0.33–0.62 of the bound when that pass also did the reading instead of the
    /// exp pass's prefetches; prefetching two or three rows ahead, prefetching in the output pass,
    /// or T1 prefetches ran slower; plain stores instead of non-temporal ones ran the same.
    #[inline(always)]
    unsafe fn row<S: Simd<Elem = T::Lane>>(
        &self,
        s: S,
        x: *const T,
        out: *mut T,
        cols: usize,
        nt: bool,
        ahead: *const T,
        scratch: &mut [T::Lane],
    ) {
        let in_place = !nt && !is_half::<T>();
        let sp = scratch.as_mut_ptr();
        // SAFETY: x readable and out writable for cols; scratch holds cols lanes; when in_place, T is
        // T::Lane, so out is a row of cols lanes.
        unsafe {
            if in_place {
                let m = row_max(s, x, cols);
                let o = out.cast::<T::Lane>();
                let sum = exp_sum(s, RowSrc::Elems(x), cols, m, o, ahead);
                scale_lanes(s, o, cols, s.div(s.constant(1.0), sum));
                return;
            }
            // Half rows: converted once, in the max pass; the exp pass overwrites them in place.
            // bf16 rows whose results are all normal skip the rounding's check for subnormals,
            // which needs the row's minimum (found in the max pass, at the cost of most of what
            // skipping the check saves: 512 MiB, one thread, bf16 softmax about 3 % faster).
            let bf16 = is_bf16::<T>();
            let (m, min, src) = max_and_source(s, x, cols, sp, bf16);
            let sum = exp_sum(s, src, cols, m, sp, ahead);
            let inv = s.div(s.constant(1.0), sum);
            let (max, total) = (s.reduce_max(m), s.reduce_max(sum));
            let normal = bf16 && softmax_normal(min.to_f64(), max.to_f64(), total.to_f64());
            drive_unfenced_with(
                s,
                out,
                0,
                cols,
                nt,
                normal,
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
    fn scratch_lanes(&self, cols: usize) -> usize {
        // Half rows only: their f32 lanes.
        if is_half::<T>() { cols } else { 0 }
    }
    /// As [`Softmax`], without keeping the exponentials: the output is `x - (max + ln Σ)`. Half rows
    /// are converted once, in the max pass, into the scratch row that the other two passes read
    /// (512 MiB, one thread: f16 0.55 → 0.70 of the copy bound, bf16 0.51 → 0.61).
    #[inline(always)]
    unsafe fn row<S: Simd<Elem = T::Lane>>(
        &self,
        s: S,
        x: *const T,
        out: *mut T,
        cols: usize,
        nt: bool,
        ahead: *const T,
        scratch: &mut [T::Lane],
    ) {
        // SAFETY: x readable and out writable for cols; for half rows, scratch holds cols lanes.
        unsafe {
            let (m, _, src) = max_and_source(s, x, cols, scratch.as_mut_ptr(), false);
            let sum = exp_sum(s, src, cols, m, std::ptr::null_mut(), ahead);
            let shift = s.add(m, s.log(sum));
            // Outputs x - shift: where |shift| ≥ 2^-102, x and shift differ by 0 or by at least
            // 2^-126 (close values are then multiples of 2^-126), so no output is subnormal and
            // bf16 rounding needs no check for them (512 MiB, one thread: bf16 log_softmax 29.5
            // → 32.0 GB/s).
            let tiny = S::Elem::from_f64(2f64.powi(-102));
            drive_unfenced_with(
                s,
                out,
                0,
                cols,
                nt,
                is_bf16::<T>() && s.reduce_min(s.abs(shift)) >= tiny,
                #[inline(always)]
                |i, len| s.sub(src.load_pad(s, i, len, T::Lane::ZERO), shift),
            );
        }
    }
}

/// A normalisation with parameters of element type `P`: the rows' own type, or one computed in the
/// same lanes (f32 parameters for f16/bf16 rows: PyTorch's mixed precision).
struct Norm<'a, P> {
    weight: Option<&'a [P]>,
    bias: Option<&'a [P]>,
    eps: f64,
    /// layer_norm subtracts the mean; rms_norm does not.
    center: bool,
}

impl<P: Element> Norm<'_, P> {
    /// Writes `y · weight + bias` (each factor when present) with `y = f(i, len)` the normalised
    /// vector, `weight` and `bias` read as lanes from `params` (see [`RowOp::prepare`]), prefetching
    /// `ahead`: the output pass is the one during which the next row's reads overlap this row's writes.
    ///
    /// # Safety
    /// `out` writable for `cols`; `params` holds `2 * cols` lanes; `f` safe for every `(i, len)` in
    /// `0..cols`.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    unsafe fn write<S: Simd<Elem = P::Lane>, T: Element<Lane = P::Lane>>(
        &self,
        s: S,
        out: *mut T,
        cols: usize,
        nt: bool,
        ahead: *const T,
        params: *const P::Lane,
        f: impl Fn(usize, usize) -> S::V,
    ) {
        // The prefetch goes through `prefetched`, a fn, not a closure in a `let`: such a closure cannot
        // carry `#[inline(always)]`, and out of line it was compiled without the level's features
        // (every intrinsic in it became a call).
        // SAFETY (whole body): forwarded contract.
        unsafe {
            let (w, b) = (params, params.add(cols));
            match (self.weight.is_some(), self.bias.is_some()) {
                (false, false) => drive_unfenced(
                    s,
                    out,
                    0,
                    cols,
                    nt,
                    #[inline(always)]
                    |i, len| prefetched(s, ahead, i, len, &f),
                ),
                (true, false) => drive_unfenced(
                    s,
                    out,
                    0,
                    cols,
                    nt,
                    #[inline(always)]
                    |i, len| {
                        s.mul(
                            prefetched(s, ahead, i, len, &f),
                            load_lanes(s, w.add(i), len),
                        )
                    },
                ),
                (false, true) => drive_unfenced(
                    s,
                    out,
                    0,
                    cols,
                    nt,
                    #[inline(always)]
                    |i, len| {
                        s.add(
                            prefetched(s, ahead, i, len, &f),
                            load_lanes(s, b.add(i), len),
                        )
                    },
                ),
                (true, true) => drive_unfenced(
                    s,
                    out,
                    0,
                    cols,
                    nt,
                    #[inline(always)]
                    |i, len| {
                        s.mul_add(
                            prefetched(s, ahead, i, len, &f),
                            load_lanes(s, w.add(i), len),
                            load_lanes(s, b.add(i), len),
                        )
                    },
                ),
            }
        }
    }
}

impl<T: Element, P: Element<Lane = T::Lane>> RowOp<T> for Norm<'_, P> {
    fn out_cols(&self, cols: usize) -> usize {
        cols
    }
    fn scratch_lanes(&self, cols: usize) -> usize {
        2 * cols
    }
    /// `weight` then `bias` converted to lanes once per thread, not once per row (a bf16 load is a
    /// widening and a shift per vector; f16 a conversion), a vector at a time: element by element,
    /// an f16 conversion without F16C in the build cost more than the rows of a small tensor.
    #[inline(always)]
    fn prepare<S: Simd<Elem = T::Lane>>(&self, s: S, scratch: &mut [T::Lane]) {
        let (w, b) = scratch.split_at_mut(scratch.len() / 2);
        for (param, lanes) in [(self.weight, w), (self.bias, b)] {
            if let Some(p) = param {
                let n = p.len().min(lanes.len());
                let mut i = 0;
                while i < n {
                    let len = (n - i).min(S::LANES);
                    // SAFETY: i + len <= n, within both slices.
                    unsafe {
                        let v = load_n(s, p.as_ptr().add(i), len);
                        store_lanes(s, lanes.as_mut_ptr().add(i), v, len);
                    }
                    i += len;
                }
            }
        }
    }
    /// rms_norm: the sum of squares (reads the row from memory), then `x · rstd` to the output.
    /// layer_norm: the mean and variance in one pass ([`moments`]), then `(x - mean) · rstd` to the
    /// output. Both make one pass that reads memory and one that writes.
    #[inline(always)]
    unsafe fn row<S: Simd<Elem = T::Lane>>(
        &self,
        s: S,
        x: *const T,
        out: *mut T,
        cols: usize,
        nt: bool,
        ahead: *const T,
        scratch: &mut [T::Lane],
    ) {
        let params = scratch.as_ptr();
        let zero = T::Lane::ZERO;
        // SAFETY (whole body): x readable and out writable for cols (checked by the caller).
        unsafe {
            if !self.center {
                let sq = fold_row(
                    s,
                    cols,
                    s.splat(zero),
                    #[inline(always)]
                    |acc, i, len| {
                        prefetch_lines(s, ahead.wrapping_add(i), len);
                        let v = load_pad(s, x.add(i), len, zero);
                        s.mul_add(v, v, acc)
                    },
                    #[inline(always)]
                    |a, b| s.add(a, b),
                );
                let mut ms = s.reduce_sum(sq).to_f64() / cols as f64;
                if ms.is_infinite() {
                    ms = mean_square_f64(x, cols);
                }
                let rstd = s.constant(1.0 / (ms + self.eps).sqrt());
                return self.write(
                    s,
                    out,
                    cols,
                    nt,
                    ahead,
                    params,
                    #[inline(always)]
                    |i, len| s.mul(load_n(s, x.add(i), len), rstd),
                );
            }
            let (mean, var) = moments(s, x, cols, ahead);
            // The mean as two lane values, `hi + lo`: `x - hi` is exact near the mean whatever its
            // size, and `lo` is what rounding the mean to lanes would have lost.
            let hi = T::Lane::from_f64(mean);
            let (hi, lo) = (s.splat(hi), s.constant(mean - hi.to_f64()));
            let rstd = s.constant(1.0 / (var + self.eps).sqrt());
            self.write(
                s,
                out,
                cols,
                nt,
                ahead,
                params,
                #[inline(always)]
                |i, len| s.mul(s.sub(s.sub(load_n(s, x.add(i), len), hi), lo), rstd),
            );
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
    rms_norm_mixed(x, cols, weight, eps, out)
}

/// [`rms_norm`] with a weight of another element type computed in the same lanes: f32 weights
/// for f16/bf16 rows (PyTorch's mixed precision), read exactly and rounded nowhere but in the
/// output.
pub fn rms_norm_mixed<T: Element, P: Element<Lane = T::Lane>>(
    x: &[T],
    cols: usize,
    weight: Option<&[P]>,
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
    layer_norm_mixed(x, cols, weight, bias, eps, out)
}

/// [`layer_norm`] with a weight and bias of another element type computed in the same lanes (see
/// [`rms_norm_mixed`]).
pub fn layer_norm_mixed<T: Element, P: Element<Lane = T::Lane>>(
    x: &[T],
    cols: usize,
    weight: Option<&[P]>,
    bias: Option<&[P]>,
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
