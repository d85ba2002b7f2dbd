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
    /// Whether the contiguous drivers should run the op in two stages ([`UnaryOp::stage1`],
    /// [`UnaryOp::stage2`]) at level `S`, software-pipelined: stage 1 of the next four vectors is
    /// issued with stage 2 of the current four. `half`: the results are rounded to f16 or bf16.
    ///
    /// Why: an op whose vector is one long dependency chain (an exponential, then a division, …)
    /// keeps the pipes busy only with many vectors in flight, more than the out-of-order window
    /// holds when each vector's whole chain enters it at once. Pipelined, the operations of each
    /// stage enter with their inputs (nearly) ready. Measured on the AVX-512 EPYC with bf16 in L1,
    /// cycles per vector: `exp_half` 7.0 → 5.5, sigmoid 11.2 → 7.8.
    #[inline(always)]
    fn staged<S: Simd>(&self, _half: bool) -> bool {
        false
    }
    /// The first stage: up to two vectors for [`UnaryOp::stage2`]. `half` as for
    /// [`UnaryOp::staged`] (the op may use [`UnaryOp::apply_half`]'s cheaper math).
    #[inline(always)]
    fn stage1<S: Simd>(&self, _s: S, x: S::V, _half: bool) -> [S::V; 2] {
        [x, x]
    }
    /// Whether the op has a middle stage ([`UnaryOp::middle`]) that the drivers should pipeline
    /// as a stage of its own: stage 1 of one block of four vectors, the middle of the block
    /// before and stage 2 of the block before that run together. For the longest chains
    /// (gelu(none): a division, a polynomial, an exponential); for sigmoid, silu and gelu(tanh) a
    /// third stage measured no better.
    const MIDDLE: bool = false;
    /// The middle stage, between [`UnaryOp::stage1`] and [`UnaryOp::stage2`] (by default it
    /// passes the first stage's vectors on).
    #[inline(always)]
    fn middle<S: Simd>(&self, _s: S, _x: S::V, mid: [S::V; 2], _half: bool) -> [S::V; 2] {
        mid
    }
    /// The second (last) stage, from the input and the vectors of the first (and middle) stage.
    /// Where [`UnaryOp::staged`] is true, `stage2(x, middle(x, stage1(x)))` must give the same
    /// bits as `apply(x)` (`apply_half` with `half`): the drivers use either, depending on where
    /// a vector falls.
    #[inline(always)]
    fn stage2<S: Simd>(&self, s: S, x: S::V, _mid: [S::V; 2], half: bool) -> S::V {
        if half {
            self.apply_half(s, x)
        } else {
            self.apply(s, x)
        }
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
    // SAFETY: forwarded contract.
    unsafe { drive_unfenced_with(s, out, start, end, nt, false, f) }
}

/// [`drive_unfenced`], and with `normal`, for results that the caller knows hold no subnormal
/// value (zeros, infinities and NaN are fine): the body's vectors are then stored with
/// [`Element::vstore_pair`]'s `NORMAL`, which for bf16 with AVX512-BF16 skips the check for
/// subnormals.
///
/// # Safety
/// As [`drive_unfenced`]; with `normal`, no value `f` gives is subnormal.
#[inline(always)]
pub(crate) unsafe fn drive_unfenced_with<S, T, F>(
    s: S,
    out: *mut T,
    start: usize,
    end: usize,
    nt: bool,
    normal: bool,
    f: F,
) where
    S: Simd<Elem = T::Lane>,
    T: Element,
    F: Fn(usize, usize) -> S::V,
{
    // SAFETY: forwarded contract. (One copy of the loop per kind of store, so that the closures'
    // `nt` tests fold away.)
    unsafe {
        match (nt, normal) {
            (true, false) => drive_plain::<S, T, F, true, false>(s, out, start, end, &f),
            (false, false) => drive_plain::<S, T, F, false, false>(s, out, start, end, &f),
            (true, true) => drive_plain::<S, T, F, true, true>(s, out, start, end, &f),
            (false, true) => drive_plain::<S, T, F, false, true>(s, out, start, end, &f),
        }
    }
}

/// [`drive_unfenced`] with streaming stores or not (`NT`), of values with no subnormal one or any
/// (`NORMAL`, see [`drive_unfenced_with`]).
///
/// # Safety
/// As [`drive_unfenced_with`].
#[inline(always)]
unsafe fn drive_plain<S, T, F, const NT: bool, const NORMAL: bool>(
    s: S,
    out: *mut T,
    start: usize,
    end: usize,
    f: &F,
) where
    S: Simd<Elem = T::Lane>,
    T: Element,
    F: Fn(usize, usize) -> S::V,
{
    let l = S::LANES;
    // SAFETY (whole body): every store is within start..end, as the contract requires.
    unsafe {
        let mut i = drive_head::<S, T, F, NT>(s, out, start, end, f);
        while i + 4 * l <= end {
            let (v0, v1, v2, v3) = (f(i, l), f(i + l, l), f(i + 2 * l, l), f(i + 3 * l, l));
            T::vstore_pair::<S, NT, NORMAL>(s, out.add(i), v0, v1);
            T::vstore_pair::<S, NT, NORMAL>(s, out.add(i + 2 * l), v2, v3);
            i += 4 * l;
        }
        drive_tail::<S, T, F, NT>(s, out, i, end, f);
    }
}

/// The head of [`drive_unfenced`]'s range: with `nt`, the elements before the first 64-byte
/// boundary of the output (so that every streamed vector is aligned). Returns where the body
/// starts.
///
/// # Safety
/// As [`drive_unfenced`].
#[inline(always)]
unsafe fn drive_head<S, T, F, const NT: bool>(
    s: S,
    out: *mut T,
    start: usize,
    end: usize,
    f: &F,
) -> usize
where
    S: Simd<Elem = T::Lane>,
    T: Element,
    F: Fn(usize, usize) -> S::V,
{
    let mut i = start;
    if !NT {
        return i;
    }
    // SAFETY: the stores stay within start..end.
    unsafe {
        let mis = (out.add(i) as usize) % 64;
        let head_end = if mis == 0 {
            i
        } else {
            (i + (64 - mis) / size_of::<T>()).min(end)
        };
        while i < head_end {
            let len = (head_end - i).min(S::LANES);
            store_n(s, out.add(i), f(i, len), len);
            i += len;
        }
    }
    i
}

/// The tail of [`drive_unfenced`]'s range from `i`: full vectors one at a time, then the partial
/// one.
///
/// # Safety
/// As [`drive_unfenced`].
#[inline(always)]
unsafe fn drive_tail<S, T, F, const NT: bool>(s: S, out: *mut T, mut i: usize, end: usize, f: &F)
where
    S: Simd<Elem = T::Lane>,
    T: Element,
    F: Fn(usize, usize) -> S::V,
{
    let l = S::LANES;
    // SAFETY: the stores stay within i..end.
    unsafe {
        while i + l <= end {
            store_full::<S, T, NT>(s, out.add(i), f(i, l));
            i += l;
        }
        if i < end {
            store_n(s, out.add(i), f(i, end - i), end - i);
        }
    }
}

/// As [`drive_unfenced`], with the work on full vectors of the body split in two and
/// software-pipelined (see [`UnaryOp::staged`]): `front(i)` starts the vector at `i`, `back(i, m)`
/// finishes it from what `front` gave, and `front` of the next four vectors is called with `back`
/// of the current four. `whole(i, len)` computes the vectors outside the body (head, tail, partial
/// ones), and must give the same bits as `back(i, front(i))` for a full vector.
///
/// # Safety
/// `out` valid for writing `start..end`; `front` safe to call for every full vector `i` (`i + LANES
/// <= end`), `whole` for every `(i, len)` in `start..end`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn drive_pipelined<S, T, M, Fr, Bk, W>(
    s: S,
    out: *mut T,
    start: usize,
    end: usize,
    nt: bool,
    front: Fr,
    back: Bk,
    whole: W,
) where
    S: Simd<Elem = T::Lane>,
    T: Element,
    M: Copy,
    Fr: Fn(usize) -> M,
    Bk: Fn(usize, M) -> S::V,
    W: Fn(usize, usize) -> S::V,
{
    // SAFETY: forwarded contract. (Two copies, as in drive_unfenced.)
    unsafe {
        if nt {
            drive_staged::<S, T, M, _, _, _, true>(s, out, start, end, &front, &back, &whole)
        } else {
            drive_staged::<S, T, M, _, _, _, false>(s, out, start, end, &front, &back, &whole)
        }
    }
}

/// [`drive_pipelined`] with streaming stores or not (`NT`).
///
/// # Safety
/// As [`drive_pipelined`].
#[inline(always)]
unsafe fn drive_staged<S, T, M, Fr, Bk, W, const NT: bool>(
    s: S,
    out: *mut T,
    start: usize,
    end: usize,
    front: &Fr,
    back: &Bk,
    whole: &W,
) where
    S: Simd<Elem = T::Lane>,
    T: Element,
    M: Copy,
    Fr: Fn(usize) -> M,
    Bk: Fn(usize, M) -> S::V,
    W: Fn(usize, usize) -> S::V,
{
    let l = S::LANES;
    // SAFETY (whole body): every store is within start..end, as the contract requires; front is
    // called for full vectors below end only.
    unsafe {
        let mut i = drive_head::<S, T, W, NT>(s, out, start, end, whole);
        if i + 4 * l <= end {
            let mut mid = [front(i), front(i + l), front(i + 2 * l), front(i + 3 * l)];
            loop {
                let next = i + 4 * l;
                let last = next + 4 * l > end;
                // All loads before the stores: the output may alias the input as far as the
                // compiler knows, and a store between two vectors would keep it from
                // interleaving them.
                let ahead = if last {
                    mid
                } else {
                    [
                        front(next),
                        front(next + l),
                        front(next + 2 * l),
                        front(next + 3 * l),
                    ]
                };
                let v = [
                    back(i, mid[0]),
                    back(i + l, mid[1]),
                    back(i + 2 * l, mid[2]),
                    back(i + 3 * l, mid[3]),
                ];
                T::vstore_pair::<S, NT, false>(s, out.add(i), v[0], v[1]);
                T::vstore_pair::<S, NT, false>(s, out.add(i + 2 * l), v[2], v[3]);
                i = next;
                if last {
                    break;
                }
                mid = ahead;
            }
        }
        drive_tail::<S, T, W, NT>(s, out, i, end, whole);
    }
}

/// [`drive_pipelined`] in three stages: `front(i)` starts the full vector at `i`, `middle` takes
/// it on, `back` finishes it; front of one block of four vectors, middle of the block before and
/// back of the block before that are called together. `whole(i, len)` must give the same bits as
/// `back(middle(front(i)))` for a full vector.
///
/// # Safety
/// As [`drive_pipelined`].
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn drive_pipelined3<S, T, M, N, Fr, Md, Bk, W>(
    s: S,
    out: *mut T,
    start: usize,
    end: usize,
    nt: bool,
    front: Fr,
    middle: Md,
    back: Bk,
    whole: W,
) where
    S: Simd<Elem = T::Lane>,
    T: Element,
    M: Copy,
    N: Copy,
    Fr: Fn(usize) -> M,
    Md: Fn(M) -> N,
    Bk: Fn(N) -> S::V,
    W: Fn(usize, usize) -> S::V,
{
    // SAFETY: forwarded contract. (Two copies, as in drive_unfenced.)
    unsafe {
        let stages = (&front, &middle, &back);
        if nt {
            drive_staged3::<S, T, M, N, _, _, _, _, true>(s, out, start, end, stages, &whole)
        } else {
            drive_staged3::<S, T, M, N, _, _, _, _, false>(s, out, start, end, stages, &whole)
        }
    }
}

/// [`drive_pipelined3`] with streaming stores or not (`NT`).
///
/// # Safety
/// As [`drive_pipelined`].
#[inline(always)]
unsafe fn drive_staged3<S, T, M, N, Fr, Md, Bk, W, const NT: bool>(
    s: S,
    out: *mut T,
    start: usize,
    end: usize,
    (front, middle, back): (&Fr, &Md, &Bk),
    whole: &W,
) where
    S: Simd<Elem = T::Lane>,
    T: Element,
    M: Copy,
    N: Copy,
    Fr: Fn(usize) -> M,
    Md: Fn(M) -> N,
    Bk: Fn(N) -> S::V,
    W: Fn(usize, usize) -> S::V,
{
    let l = S::LANES;
    // SAFETY (whole body): every store is within start..end, as the contract requires; front is
    // called for full vectors below end only. (Helpers, not closures in `let`s: those are only
    // compiled with the level's features when inlined.)
    unsafe {
        let mut i = drive_head::<S, T, W, NT>(s, out, start, end, whole);
        if i + 8 * l <= end {
            // The block at i has had its middle stage, the one at i + 4l its first.
            let mut done = map4(middle, block4(front, i, l));
            let mut next = block4(front, i + 4 * l, l);
            loop {
                let more = i + 12 * l <= end;
                let after = if more {
                    block4(front, i + 8 * l, l)
                } else {
                    next
                };
                let next_done = map4(middle, next);
                store_block::<S, T, NT>(s, out.add(i), map4(back, done));
                i += 4 * l;
                done = next_done;
                if !more {
                    store_block::<S, T, NT>(s, out.add(i), map4(back, done));
                    i += 4 * l;
                    break;
                }
                next = after;
            }
        } else if i + 4 * l <= end {
            let v = map4(back, map4(middle, block4(front, i, l)));
            store_block::<S, T, NT>(s, out.add(i), v);
            i += 4 * l;
        }
        drive_tail::<S, T, W, NT>(s, out, i, end, whole);
    }
}

/// `front` of the four vectors from `i`.
#[inline(always)]
fn block4<M>(front: &impl Fn(usize) -> M, i: usize, lanes: usize) -> [M; 4] {
    [
        front(i),
        front(i + lanes),
        front(i + 2 * lanes),
        front(i + 3 * lanes),
    ]
}

/// `f` of each of four.
#[inline(always)]
fn map4<A, B>(f: &impl Fn(A) -> B, [a, b, c, d]: [A; 4]) -> [B; 4] {
    [f(a), f(b), f(c), f(d)]
}

/// Stores four full vectors from `p`, in two pairs.
///
/// # Safety
/// `p` valid for writing `4 · LANES` elements (64-byte aligned with `NT`).
#[inline(always)]
unsafe fn store_block<S: Simd<Elem = T::Lane>, T: Element, const NT: bool>(
    s: S,
    p: *mut T,
    [v0, v1, v2, v3]: [S::V; 4],
) {
    // SAFETY: forwarded contract.
    unsafe {
        T::vstore_pair::<S, NT, false>(s, p, v0, v1);
        T::vstore_pair::<S, NT, false>(s, p.add(2 * S::LANES), v2, v3);
    }
}

/// Stores a full vector, non-temporally with `NT` (`p` then 64-byte aligned).
///
/// # Safety
/// `p` valid for writing `LANES` elements.
#[inline(always)]
unsafe fn store_full<S, T, const NT: bool>(s: S, p: *mut T, v: S::V)
where
    S: Simd<Elem = T::Lane>,
    T: Element,
{
    // SAFETY: forwarded contract.
    unsafe {
        if NT {
            T::vstream(s, p, v)
        } else {
            T::vstore(s, p, v)
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

impl<T: Element, A: Operand<T>, Op: UnaryOp> UnaryKernel<'_, T, A, Op> {
    /// The full vector at `i` and its first stage, prefetching ahead when streaming.
    ///
    /// # Safety
    /// The operand is readable for `i..i + LANES`.
    #[inline(always)]
    unsafe fn front<S: Simd<Elem = T::Lane>>(
        &self,
        s: S,
        i: usize,
        half: bool,
    ) -> (S::V, [S::V; 2]) {
        if self.nt {
            self.a.prefetch_ahead(s, i);
        }
        // SAFETY: forwarded contract.
        let x = unsafe { self.a.get(s, i, S::LANES) };
        (x, self.op.stage1(s, x, half))
    }

    /// The op in one step on the `len` elements at `i`, prefetching ahead when streaming.
    ///
    /// # Safety
    /// The operand is readable for `i..i + len`.
    #[inline(always)]
    unsafe fn whole<S: Simd<Elem = T::Lane>>(&self, s: S, i: usize, len: usize) -> S::V {
        if self.nt {
            self.a.prefetch_ahead(s, i);
        }
        // SAFETY: forwarded contract.
        apply_unary::<T, _, _>(self.op, s, unsafe { self.a.get(s, i, len) })
    }
}

impl<T: Element, A: Operand<T>, Op: UnaryOp> Kernel<T::Lane> for UnaryKernel<'_, T, A, Op> {
    type Output = ();
    #[inline(always)]
    fn run<S: Simd<Elem = T::Lane>>(self, s: S) {
        let (k, op) = (&self, self.op);
        let (half, nt) = (is_half::<T>(), self.nt);
        // SAFETY: the caller sized every operand and the output for start..end; the drivers ask
        // front for full vectors within it only.
        unsafe {
            if op.staged::<S>(half) && Op::MIDDLE {
                drive_pipelined3(
                    s,
                    self.out,
                    self.start,
                    self.end,
                    nt,
                    #[inline(always)]
                    |i| k.front(s, i, half),
                    #[inline(always)]
                    |(x, mid)| (x, op.middle(s, x, mid, half)),
                    #[inline(always)]
                    |(x, mid)| op.stage2(s, x, mid, half),
                    #[inline(always)]
                    |i, len| k.whole(s, i, len),
                );
                if nt {
                    s.fence();
                }
            } else if op.staged::<S>(half) {
                drive_pipelined(
                    s,
                    self.out,
                    self.start,
                    self.end,
                    nt,
                    #[inline(always)]
                    |i| k.front(s, i, half),
                    #[inline(always)]
                    |_, (x, mid)| op.stage2(s, x, op.middle(s, x, mid, half), half),
                    #[inline(always)]
                    |i, len| k.whole(s, i, len),
                );
                if nt {
                    s.fence();
                }
            } else {
                drive(
                    s,
                    self.out,
                    self.start,
                    self.end,
                    nt,
                    #[inline(always)]
                    |i, len| k.whole(s, i, len),
                )
            }
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
