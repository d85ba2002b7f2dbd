//! Elementwise kernels over contiguous slices: the user-facing [`UnaryOp`] / [`BinaryOp`] traits, the
//! loop driver (unrolled body, partial vectors for head and tail, non-temporal stores, input
//! prefetch), and threading.
//!
//! Partial vectors go through a zero-padded stack buffer and the same vector code as the body, so every
//! element is computed by identical instructions wherever it falls: results are bit-identical whatever
//! the thread count, chunking or alignment.

use std::sync::atomic::{AtomicU8, Ordering};

use super::threads::{run_chunks, threads_for};
use super::vector::{MAX_LANES, is_half};
use super::{Element, Isa, Kernel, LaneFloat, Simd, SimdError};

/// An elementwise function of one operand, written once for every backend.
///
/// `apply` sees vectors of `S::Elem` lanes (f32 for f32/f16/bf16 buffers, f64 for f64). Mark it
/// `#[inline(always)]`: it is then compiled inside each level's `#[target_feature]` entry point.
///
/// ```
/// use op_kernels::simd::{self, Simd, UnaryOp};
///
/// /// y = x * x + 1
/// struct SquarePlusOne;
/// impl UnaryOp for SquarePlusOne {
///     #[inline(always)]
///     fn apply<S: Simd>(&self, s: S, x: S::V) -> S::V {
///         s.mul_add(x, x, s.constant(1.0))
///     }
/// }
///
/// let x = [1.0f32, 2.0, 3.0];
/// let mut y = [0.0f32; 3];
/// simd::unary(&SquarePlusOne, &x, &mut y).unwrap();
/// assert_eq!(y, [2.0, 5.0, 10.0]);
/// ```
pub trait UnaryOp: Sync {
    /// The function on one vector.
    fn apply<S: Simd>(&self, s: S, x: S::V) -> S::V;
    /// The function on one vector whose results are rounded to f16 or bf16 (the drivers call it
    /// for half buffers): an op may use cheaper math there, such as [`Simd::exp_half`], as long as
    /// the rounded result stays within its documented bound. Defaults to [`UnaryOp::apply`].
    #[inline(always)]
    fn apply_half<S: Simd>(&self, s: S, x: S::V) -> S::V {
        self.apply(s, x)
    }
    /// Whether the op comes in two stages ([`UnaryOp::stage1`], [`UnaryOp::stage2`]) that the
    /// drivers should run one after the other over blocks of vectors.
    ///
    /// Why: an op whose vector is one long dependency chain (a division, then an exponential, …)
    /// needs many vectors in flight to keep the pipes busy, more than the out-of-order window
    /// holds. Measured on the AVX-512 EPYC, a chain of 24 dependent FMAs per vector ran at 18.8
    /// cycles per vector instead of 12; split in two stages through an L1 buffer, at 13.5.
    const STAGED: bool = false;
    /// The first stage: up to two vectors for [`UnaryOp::stage2`]. `half`: the result will be
    /// rounded to f16 or bf16 (as for [`UnaryOp::apply_half`]).
    #[inline(always)]
    fn stage1<S: Simd>(&self, _s: S, x: S::V, _half: bool) -> [S::V; 2] {
        [x, x]
    }
    /// The second stage, from the input and the first stage's vectors. With [`UnaryOp::STAGED`],
    /// `stage2(x, stage1(x))` must give the same bits as `apply(x)` (`apply_half` with `half`):
    /// the drivers use either, depending on where a vector falls.
    #[inline(always)]
    fn stage2<S: Simd>(&self, s: S, x: S::V, _mid: [S::V; 2], half: bool) -> S::V {
        if half {
            self.apply_half(s, x)
        } else {
            self.apply(s, x)
        }
    }
}

/// Vectors per block of a staged op ([`UnaryOp::STAGED`]): 16 vectors of two stage-1 results are
/// 2 KiB with AVX-512, well inside L1. (8 and 32 measured no better for gelu(none).)
const STAGE_BLOCK: usize = 16;

/// The stage-1 results of a block of consecutive full vectors, for the driver's per-vector calls.
struct StageBlock<V> {
    /// Entries `0..(end - start) / lanes` are written (the others may not be).
    mid: std::cell::UnsafeCell<std::mem::MaybeUninit<[[V; 2]; STAGE_BLOCK]>>,
    /// The elements the block covers: `start..end`, `STAGE_BLOCK` vectors or fewer at the end.
    range: std::cell::Cell<(usize, usize)>,
}

impl<V: Copy> StageBlock<V> {
    /// An empty block (not initialised: a kernel of an unstaged op, or a small call, never pays
    /// for it).
    fn new() -> Self {
        StageBlock {
            mid: std::cell::UnsafeCell::new(std::mem::MaybeUninit::uninit()),
            range: std::cell::Cell::new((0, 0)),
        }
    }

    /// The stage-1 vectors of the full vector at `i` (of `lanes` lanes): from the current block
    /// where `i` is one of its vectors, else after filling a new block from `i` on with
    /// `stage1(k)` for the full vectors at `k = i, i + lanes, …` below `end`.
    #[inline(always)]
    fn get(&self, i: usize, lanes: usize, end: usize, stage1: impl Fn(usize) -> [V; 2]) -> [V; 2] {
        debug_assert!(i + lanes <= end, "a stage block serves full vectors only");
        let (mut start, mut stop) = self.range.get();
        // Only touched here, by one thread (the block is a local of one kernel call).
        let mid = self.mid.get().cast::<[V; 2]>();
        // A vector off the block's grid (after a partial vector: the streaming driver's peel to an
        // aligned address can end anywhere) starts a new block too.
        if i < start || i >= stop || !(i - start).is_multiple_of(lanes) {
            let mut k = 0;
            while k < STAGE_BLOCK && i + (k + 1) * lanes <= end {
                // SAFETY: k < STAGE_BLOCK, within the array.
                unsafe { mid.add(k).write(stage1(i + k * lanes)) };
                k += 1;
            }
            (start, stop) = (i, i + k * lanes);
            self.range.set((start, stop));
        }
        // SAFETY: the caller asks only for full vectors below end, so the block holds i: entry
        // (i - start) / lanes < k was written above or when the block was filled.
        unsafe { mid.add((i - start) / lanes).read() }
    }
}

/// `op` on one vector of a `T` buffer: [`UnaryOp::apply_half`] for the half types.
#[inline(always)]
pub(crate) fn apply_unary<T: Element, S: Simd, Op: UnaryOp + ?Sized>(
    op: &Op,
    s: S,
    x: S::V,
) -> S::V {
    if is_half::<T>() {
        op.apply_half(s, x)
    } else {
        op.apply(s, x)
    }
}

/// An elementwise function of two operands; see [`UnaryOp`].
pub trait BinaryOp: Sync {
    /// The function on one pair of vectors.
    fn apply<S: Simd>(&self, s: S, a: S::V, b: S::V) -> S::V;
}

/// Output bytes from which stores are non-temporal (`Streaming::Auto`). Measured with `simd-bench`:
/// at 4 MiB (in L3) plain stores win, at 64 MiB+ streaming wins by 25–40 %.
pub const NT_MIN_BYTES: usize = 16 << 20;

/// How far ahead of the vector being computed contiguous inputs are prefetched, when the output is
/// streamed (large tensors, not in cache). The hardware prefetcher alone left one thread short of the
/// bandwidth: measured with op-bench (768 MiB, one thread, AVX-512 EPYC), f32 mul.Tensor went from
/// 0.82–0.89 to 1.03–1.10 of the copy bound with 4 KiB (8 KiB: 0.96–1.04), and the copy bound
/// itself (the same driver) did not fall.
const PREFETCH_AHEAD_BYTES: usize = 4096;

/// When elementwise and normalisation kernels use non-temporal stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Streaming {
    /// For outputs of at least [`NT_MIN_BYTES`] (the default).
    Auto,
    /// Always (for benchmarks).
    Always,
    /// Never (for benchmarks).
    Never,
}

static STREAMING: AtomicU8 = AtomicU8::new(0);

/// Sets the non-temporal store policy for the process.
pub fn set_streaming(mode: Streaming) {
    STREAMING.store(mode as u8, Ordering::Relaxed);
}

pub(crate) fn streaming_for(out_bytes: usize) -> bool {
    match STREAMING.load(Ordering::Relaxed) {
        1 => true,
        2 => false,
        _ => out_bytes >= NT_MIN_BYTES,
    }
}

/// Loads `len <= S::LANES` elements (a full vector when `len == S::LANES`; zero-padded otherwise).
///
/// # Safety
/// `p` valid for reading `len` elements.
#[inline(always)]
pub(crate) unsafe fn load_n<S: Simd<Elem = T::Lane>, T: Element>(
    s: S,
    p: *const T,
    len: usize,
) -> S::V {
    if len == S::LANES {
        // SAFETY: len == LANES elements readable.
        unsafe { T::vload(s, p) }
    } else {
        let mut buf = [T::default(); MAX_LANES];
        // SAFETY: len <= LANES <= MAX_LANES; p readable for len.
        unsafe {
            std::ptr::copy_nonoverlapping(p, buf.as_mut_ptr(), len);
            T::vload(s, buf.as_ptr())
        }
    }
}

/// Stores the first `len <= S::LANES` lanes of `v`.
///
/// # Safety
/// `p` valid for writing `len` elements.
#[inline(always)]
pub(crate) unsafe fn store_n<S: Simd<Elem = T::Lane>, T: Element>(
    s: S,
    p: *mut T,
    v: S::V,
    len: usize,
) {
    if len == S::LANES {
        // SAFETY: len == LANES elements writable.
        unsafe { T::vstore(s, p, v) }
    } else {
        let mut buf = [T::default(); MAX_LANES];
        // SAFETY: len <= LANES <= MAX_LANES; p writable for len.
        unsafe {
            T::vstore(s, buf.as_mut_ptr(), v);
            std::ptr::copy_nonoverlapping(buf.as_ptr(), p, len);
        }
    }
}

/// Writes `out[i] = f(i, len)` for `i` in `start..end` one vector at a time; `f` returns the vector of
/// elements `i..i + len` (`len == S::LANES` except at the edges). Non-temporal stores (`nt`) are
/// fenced before returning.
///
/// # Safety
/// `out` valid for writing `start..end`; `f` safe to call for every such `(i, len)`.
#[inline(always)]
pub(crate) unsafe fn drive<S, T, F>(s: S, out: *mut T, start: usize, end: usize, nt: bool, f: F)
where
    S: Simd<Elem = T::Lane>,
    T: Element,
    F: Fn(usize, usize) -> S::V,
{
    // SAFETY: forwarded contract.
    unsafe { drive_unfenced(s, out, start, end, nt, f) };
    if nt {
        s.fence();
    }
}

/// As [`drive`] without the closing fence, for callers that write many short ranges (rows) and fence
/// once after the last.
///
/// # Safety
/// As [`drive`]; with `nt`, the caller calls [`Simd::fence`] before the output is read.
#[inline(always)]
pub(crate) unsafe fn drive_unfenced<S, T, F>(
    s: S,
    out: *mut T,
    start: usize,
    end: usize,
    nt: bool,
    f: F,
) where
    S: Simd<Elem = T::Lane>,
    T: Element,
    F: Fn(usize, usize) -> S::V,
{
    let l = S::LANES;
    let mut i = start;
    // SAFETY (whole body): every store is within start..end, as the contract requires.
    unsafe {
        if nt {
            // Peel to a 64-byte boundary so that every streamed vector is aligned.
            let mis = (out.add(i) as usize) % 64;
            let head_end = if mis == 0 {
                i
            } else {
                (i + (64 - mis) / size_of::<T>()).min(end)
            };
            while i < head_end {
                let len = (head_end - i).min(l);
                store_n(s, out.add(i), f(i, len), len);
                i += len;
            }
            while i + 4 * l <= end {
                let (v0, v1, v2, v3) = (f(i, l), f(i + l, l), f(i + 2 * l, l), f(i + 3 * l, l));
                T::vstream(s, out.add(i), v0);
                T::vstream(s, out.add(i + l), v1);
                T::vstream(s, out.add(i + 2 * l), v2);
                T::vstream(s, out.add(i + 3 * l), v3);
                i += 4 * l;
            }
            while i + l <= end {
                T::vstream(s, out.add(i), f(i, l));
                i += l;
            }
        } else {
            while i + 4 * l <= end {
                let (v0, v1, v2, v3) = (f(i, l), f(i + l, l), f(i + 2 * l, l), f(i + 3 * l, l));
                T::vstore(s, out.add(i), v0);
                T::vstore(s, out.add(i + l), v1);
                T::vstore(s, out.add(i + 2 * l), v2);
                T::vstore(s, out.add(i + 3 * l), v3);
                i += 4 * l;
            }
            while i + l <= end {
                T::vstore(s, out.add(i), f(i, l));
                i += l;
            }
        }
        if i < end {
            store_n(s, out.add(i), f(i, end - i), end - i);
        }
    }
}

/// A raw pointer that may cross threads: each thread touches a disjoint range (checked by the caller).
#[derive(Clone, Copy)]
pub(crate) struct SendPtr<T>(pub *mut T);
// SAFETY: used only to hand disjoint output ranges to worker threads inside a scope.
unsafe impl<T> Send for SendPtr<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for SendPtr<T> {}

impl<T> SendPtr<T> {
    /// The pointer (a method, so that closures capture the whole `SendPtr`).
    #[inline(always)]
    pub(crate) fn get(self) -> *mut T {
        self.0
    }
}

/// Where a binary kernel's operand comes from.
pub(crate) trait Operand<T: Element>: Copy + Send + Sync {
    /// The vector of elements `i..i + len`.
    ///
    /// # Safety
    /// The operand must be readable there.
    unsafe fn get<S: Simd<Elem = T::Lane>>(self, s: S, i: usize, len: usize) -> S::V;
    /// Prefetches the element [`PREFETCH_AHEAD_BYTES`] past element `i` (any address).
    #[inline(always)]
    fn prefetch_ahead<S: Simd<Elem = T::Lane>>(self, _s: S, _i: usize) {}
}

/// A contiguous operand.
#[derive(Clone, Copy)]
pub(crate) struct Contig<T>(pub *const T);
// SAFETY: read-only pointer into a slice borrowed for the whole call.
unsafe impl<T> Send for Contig<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for Contig<T> {}

impl<T: Element> Operand<T> for Contig<T> {
    #[inline(always)]
    unsafe fn get<S: Simd<Elem = T::Lane>>(self, s: S, i: usize, len: usize) -> S::V {
        // SAFETY: forwarded contract.
        unsafe { load_n(s, self.0.add(i), len) }
    }
    #[inline(always)]
    fn prefetch_ahead<S: Simd<Elem = T::Lane>>(self, s: S, i: usize) {
        s.prefetch(
            self.0
                .wrapping_add(i + PREFETCH_AHEAD_BYTES / size_of::<T>()),
        );
    }
}

/// A scalar broadcast to every element.
#[derive(Clone, Copy)]
pub(crate) struct Splat<L>(pub L);

impl<T: Element> Operand<T> for Splat<T::Lane> {
    #[inline(always)]
    unsafe fn get<S: Simd<Elem = T::Lane>>(self, s: S, _i: usize, _len: usize) -> S::V {
        s.splat(self.0)
    }
}

struct UnaryKernel<'a, T, A, Op> {
    op: &'a Op,
    a: A,
    out: *mut T,
    start: usize,
    end: usize,
    nt: bool,
}

impl<T: Element, A: Operand<T>, Op: UnaryOp> Kernel<T::Lane> for UnaryKernel<'_, T, A, Op> {
    type Output = ();
    #[inline(always)]
    fn run<S: Simd<Elem = T::Lane>>(self, s: S) {
        let (op, a) = (self.op, self.a);
        let (l, end, half) = (S::LANES, self.end, is_half::<T>());
        let block = StageBlock::new();
        // SAFETY: the caller sized every operand and the output for start..end.
        unsafe {
            drive(
                s,
                self.out,
                self.start,
                self.end,
                self.nt,
                #[inline(always)]
                |i, len| {
                    if self.nt {
                        a.prefetch_ahead(s, i);
                    }
                    let x = a.get(s, i, len);
                    if !Op::STAGED || len < l {
                        return apply_unary::<T, _, _>(op, s, x);
                    }
                    // Full vectors below end are within the operand (the SAFETY above).
                    let mid = block.get(
                        i,
                        l,
                        end,
                        #[inline(always)]
                        |k| op.stage1(s, a.get(s, k, l), half),
                    );
                    op.stage2(s, x, mid, half)
                },
            )
        }
    }
}

struct BinaryKernel<'a, T, A, B, Op> {
    op: &'a Op,
    a: A,
    b: B,
    out: *mut T,
    start: usize,
    end: usize,
    nt: bool,
}

impl<T: Element, A: Operand<T>, B: Operand<T>, Op: BinaryOp> Kernel<T::Lane>
    for BinaryKernel<'_, T, A, B, Op>
{
    type Output = ();
    #[inline(always)]
    fn run<S: Simd<Elem = T::Lane>>(self, s: S) {
        let (op, a, b) = (self.op, self.a, self.b);
        // SAFETY: the caller sized every operand and the output for start..end.
        unsafe {
            drive(
                s,
                self.out,
                self.start,
                self.end,
                self.nt,
                #[inline(always)]
                |i, len| {
                    if self.nt {
                        a.prefetch_ahead(s, i);
                        b.prefetch_ahead(s, i);
                    }
                    op.apply(s, a.get(s, i, len), b.get(s, i, len))
                },
            )
        }
    }
}

/// Runs `out[i] = op(a[i])` over `0..n` on the active level, split across threads when large.
///
/// # Safety
/// `a` readable and `out` writable for `0..n`; `out` may equal `a`'s pointer (in place) but no other
/// overlap.
pub(crate) unsafe fn run_unary<T: Element, A: Operand<T>, Op: UnaryOp>(
    op: &Op,
    a: A,
    out: *mut T,
    n: usize,
    reads: usize,
) {
    let isa = Isa::active();
    let nt = streaming_for(n * size_of::<T>());
    let out = SendPtr(out);
    let threads = threads_for(n, (reads + 1) * size_of::<T>());
    run_chunks(n, 64, threads, &|r| {
        let k = UnaryKernel {
            op,
            a,
            out: out.get(),
            start: r.start,
            end: r.end,
            nt,
        };
        T::dispatch(isa, k)
    });
}

/// Runs `out[i] = op(a[i], b[i])` over `0..n`; see [`run_unary`].
///
/// # Safety
/// As [`run_unary`], for both operands.
pub(crate) unsafe fn run_binary<T: Element, A: Operand<T>, B: Operand<T>, Op: BinaryOp>(
    op: &Op,
    a: A,
    b: B,
    out: *mut T,
    n: usize,
    reads: usize,
) {
    let isa = Isa::active();
    let nt = streaming_for(n * size_of::<T>());
    let out = SendPtr(out);
    let threads = threads_for(n, (reads + 1) * size_of::<T>());
    run_chunks(n, 64, threads, &|r| {
        let k = BinaryKernel {
            op,
            a,
            b,
            out: out.get(),
            start: r.start,
            end: r.end,
            nt,
        };
        T::dispatch(isa, k)
    });
}

fn check_len(what: &'static str, expected: usize, got: usize) -> Result<(), SimdError> {
    if expected == got {
        Ok(())
    } else {
        Err(SimdError::LengthMismatch {
            what,
            expected,
            got,
        })
    }
}

/// `out[i] = op(x[i])` over contiguous slices of equal length.
///
/// Uses the level [`Isa::active`] reports, threads for large inputs, non-temporal stores for large outputs.
/// Results are bit-identical whatever the thread count.
pub fn unary<T: Element, Op: UnaryOp>(op: &Op, x: &[T], out: &mut [T]) -> Result<(), SimdError> {
    check_len("out", x.len(), out.len())?;
    // SAFETY: both slices hold x.len() elements; &mut out cannot overlap &x.
    unsafe { run_unary(op, Contig(x.as_ptr()), out.as_mut_ptr(), x.len(), 1) };
    Ok(())
}

/// `x[i] = op(x[i])` in place.
pub fn unary_inplace<T: Element, Op: UnaryOp>(op: &Op, x: &mut [T]) {
    let p = x.as_mut_ptr();
    // SAFETY: each element is read before it is written, by the same vector step.
    unsafe { run_unary(op, Contig(p.cast_const()), p, x.len(), 1) };
}

/// `out[i] = op(a[i], b[i])` over contiguous slices of equal length (broadcasting: see
/// [`binary_strided`](super::binary_strided)).
pub fn binary<T: Element, Op: BinaryOp>(
    op: &Op,
    a: &[T],
    b: &[T],
    out: &mut [T],
) -> Result<(), SimdError> {
    check_len("b", a.len(), b.len())?;
    check_len("out", a.len(), out.len())?;
    // SAFETY: all three hold a.len() elements; out is exclusive.
    unsafe {
        run_binary(
            op,
            Contig(a.as_ptr()),
            Contig(b.as_ptr()),
            out.as_mut_ptr(),
            a.len(),
            2,
        )
    };
    Ok(())
}

/// `out[i] = op(a[i], b)`: the scalar is rounded to the lane type (f32 for f32/f16/bf16, like PyTorch's
/// opmath), not to the element type.
pub fn binary_scalar<T: Element, Op: BinaryOp>(
    op: &Op,
    a: &[T],
    b: f64,
    out: &mut [T],
) -> Result<(), SimdError> {
    check_len("out", a.len(), out.len())?;
    let b = Splat(T::Lane::from_f64(b));
    // SAFETY: both hold a.len() elements; out is exclusive.
    unsafe { run_binary(op, Contig(a.as_ptr()), b, out.as_mut_ptr(), a.len(), 1) };
    Ok(())
}

/// `out[i] = op(a, b[i])`; see [`binary_scalar`].
pub fn scalar_binary<T: Element, Op: BinaryOp>(
    op: &Op,
    a: f64,
    b: &[T],
    out: &mut [T],
) -> Result<(), SimdError> {
    check_len("out", b.len(), out.len())?;
    let a = Splat(T::Lane::from_f64(a));
    // SAFETY: both hold b.len() elements; out is exclusive.
    unsafe { run_binary(op, a, Contig(b.as_ptr()), out.as_mut_ptr(), b.len(), 1) };
    Ok(())
}
