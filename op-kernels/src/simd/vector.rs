//! The vector abstraction: [`Simd`] (one ISA level × one lane type), [`LaneFloat`] (f32 or f64 lanes)
//! and [`Element`] (what a buffer holds: f32, f64, f16, bf16).

use std::fmt::Debug;

use half::{bf16, f16};

use super::Isa;
use super::math;

/// Most lanes any backend has (AVX-512 f32). Stack buffers for partial vectors are this long.
pub const MAX_LANES: usize = 16;

/// One ISA level operating on vectors of [`Simd::Elem`] lanes.
///
/// A value of a type implementing `Simd` is a proof that the CPU supports its level: backends can only be
/// constructed by the dispatcher after detection. Kernel code is written generically over `S: Simd`, marked
/// `#[inline(always)]`, and monomorphised inside a `#[target_feature]` entry point per level.
///
/// `max`/`min` propagate NaN (like `torch.maximum`); `mul_add` rounds once. Masks (`M`) come from
/// comparisons and feed [`Simd::select`].
pub trait Simd: Copy + Send + Sync + 'static {
    /// The lane type: `f32` or `f64`.
    type Elem: LaneFloat;
    /// A vector of [`Simd::LANES`] lanes.
    type V: Copy;
    /// A lane mask.
    type M: Copy;
    /// Lanes per vector.
    const LANES: usize;
    /// The level this backend belongs to.
    const ISA: Isa;

    /// All lanes set to `x`.
    fn splat(self, x: Self::Elem) -> Self::V;
    /// All lanes set to `x` rounded to the lane type (for constants).
    #[inline(always)]
    fn constant(self, x: f64) -> Self::V {
        self.splat(Self::Elem::from_f64(x))
    }
    /// `a + b`.
    fn add(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a - b`.
    fn sub(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a * b`.
    fn mul(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a / b` (IEEE, correctly rounded).
    fn div(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a * b + c` with one rounding.
    fn mul_add(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// Lane-wise maximum; NaN if either lane is NaN.
    fn max(self, a: Self::V, b: Self::V) -> Self::V;
    /// Lane-wise minimum; NaN if either lane is NaN.
    fn min(self, a: Self::V, b: Self::V) -> Self::V;
    /// `x` clamped to `[lo, hi]` (constants, `lo <= hi`, not NaN); a NaN lane of `x` stays NaN.
    #[inline(always)]
    fn clamp(self, x: Self::V, lo: Self::V, hi: Self::V) -> Self::V {
        self.min(self.max(x, lo), hi)
    }
    /// Lane-wise maximum where a NaN lane may give either operand: one instruction where the
    /// hardware's max does not propagate NaN (x86), for reductions whose NaN surfaces later anyway
    /// (softmax's maximum: a NaN input makes its `exp` and so the whole row NaN).
    #[inline(always)]
    fn max_any_nan(self, a: Self::V, b: Self::V) -> Self::V {
        self.max(a, b)
    }
    /// Lane-wise minimum where a NaN lane may give either operand (see [`Simd::max_any_nan`]).
    #[inline(always)]
    fn min_any_nan(self, a: Self::V, b: Self::V) -> Self::V {
        self.min(a, b)
    }
    /// `|a|`.
    fn abs(self, a: Self::V) -> Self::V;
    /// `-a`.
    fn neg(self, a: Self::V) -> Self::V;
    /// `sqrt(a)` (correctly rounded).
    fn sqrt(self, a: Self::V) -> Self::V;
    /// Round to nearest integer, ties to even.
    fn round(self, a: Self::V) -> Self::V;
    /// Magnitude of `mag` with the sign of `sign`.
    fn copysign(self, mag: Self::V, sign: Self::V) -> Self::V;
    /// `a < b` (false for NaN).
    fn lt(self, a: Self::V, b: Self::V) -> Self::M;
    /// `a <= b` (false for NaN).
    fn le(self, a: Self::V, b: Self::V) -> Self::M;
    /// `a == b` (false for NaN).
    fn eq(self, a: Self::V, b: Self::V) -> Self::M;
    /// Lanes that are NaN.
    fn is_nan(self, a: Self::V) -> Self::M;
    /// `m ? a : b` per lane.
    fn select(self, m: Self::M, a: Self::V, b: Self::V) -> Self::V;
    /// Whether any lane of `m` is set (for branching to a rare slow path).
    #[inline(always)]
    fn any(self, m: Self::M) -> bool {
        let set = self.select(m, self.constant(1.0), self.constant(0.0));
        self.reduce_max(set) > Self::Elem::ZERO
    }
    /// Sum of all lanes, in a fixed order.
    fn reduce_sum(self, v: Self::V) -> Self::Elem;
    /// Maximum of all lanes; NaN if any lane is NaN.
    fn reduce_max(self, v: Self::V) -> Self::Elem;
    /// Minimum of all lanes; NaN if any lane is NaN.
    fn reduce_min(self, v: Self::V) -> Self::Elem;

    /// Loads `LANES` lanes.
    ///
    /// # Safety
    /// `p` must be valid for reading `LANES` elements (no alignment needed).
    unsafe fn load(self, p: *const Self::Elem) -> Self::V;
    /// Stores `LANES` lanes.
    ///
    /// # Safety
    /// `p` must be valid for writing `LANES` elements (no alignment needed).
    unsafe fn store(self, p: *mut Self::Elem, v: Self::V);
    /// Non-temporal store of `LANES` lanes; call [`Simd::fence`] before other threads read them.
    ///
    /// # Safety
    /// As [`Simd::store`], and `p` aligned to the vector size.
    #[inline(always)]
    unsafe fn stream(self, p: *mut Self::Elem, v: Self::V) {
        // SAFETY: forwarded contract.
        unsafe { self.store(p, v) }
    }
    /// Orders earlier non-temporal stores before later stores (`sfence` on x86).
    #[inline(always)]
    fn fence(self) {}
    /// Hints that the cache line holding `p` will be read soon (a no-op where the backend has no
    /// prefetch). Never faults: `p` may point anywhere, so build it with `wrapping_add`.
    #[inline(always)]
    fn prefetch<P>(self, p: *const P) {
        let _ = p;
    }

    /// Loads `LANES` f16 values, converting to lanes.
    ///
    /// # Safety
    /// `p` valid for reading `LANES` elements.
    #[inline(always)]
    unsafe fn load_f16(self, p: *const f16) -> Self::V {
        // SAFETY: forwarded contract.
        unsafe { self.load_with(|i| Self::Elem::from_f32(p.add(i).read_unaligned().to_f32())) }
    }
    /// Converts lanes to f16 (round to nearest even) and stores `LANES` values.
    ///
    /// # Safety
    /// `p` valid for writing `LANES` elements.
    #[inline(always)]
    unsafe fn store_f16(self, p: *mut f16, v: Self::V) {
        // SAFETY: forwarded contract.
        unsafe {
            self.store_with(v, |i, x| {
                p.add(i)
                    .write_unaligned(op_runtime::f16_from_f64(x.to_f64()))
            })
        }
    }
    /// As [`Simd::store_f16`], non-temporal.
    ///
    /// # Safety
    /// As [`Simd::store_f16`], and `p` aligned to `LANES * 2` bytes.
    #[inline(always)]
    unsafe fn stream_f16(self, p: *mut f16, v: Self::V) {
        // SAFETY: forwarded contract.
        unsafe { self.store_f16(p, v) }
    }
    /// Loads `LANES` bf16 values, converting to lanes.
    ///
    /// # Safety
    /// `p` valid for reading `LANES` elements.
    #[inline(always)]
    unsafe fn load_bf16(self, p: *const bf16) -> Self::V {
        // SAFETY: forwarded contract.
        unsafe { self.load_with(|i| Self::Elem::from_f32(p.add(i).read_unaligned().to_f32())) }
    }
    /// Converts lanes to bf16 (round to nearest even) and stores `LANES` values.
    ///
    /// # Safety
    /// `p` valid for writing `LANES` elements.
    #[inline(always)]
    unsafe fn store_bf16(self, p: *mut bf16, v: Self::V) {
        // SAFETY: forwarded contract.
        unsafe {
            self.store_with(v, |i, x| {
                p.add(i)
                    .write_unaligned(op_runtime::bf16_from_f64(x.to_f64()))
            })
        }
    }
    /// As [`Simd::store_bf16`], non-temporal.
    ///
    /// # Safety
    /// As [`Simd::store_bf16`], and `p` aligned to `LANES * 2` bytes.
    #[inline(always)]
    unsafe fn stream_bf16(self, p: *mut bf16, v: Self::V) {
        // SAFETY: forwarded contract.
        unsafe { self.store_bf16(p, v) }
    }
    /// Two vectors rounded to bf16 and stored at `p` (`a` first, then `b`): streamed with `NT`
    /// (`p` then aligned to `2 · LANES · 2` bytes). With `NORMAL` the caller promises that no
    /// lane is subnormal (zeros, infinities and NaN are fine), so a rounding that flushes
    /// subnormals (AVX512-BF16) needs no check for them. The same bits as two single stores;
    /// AVX512-BF16 rounds both with one instruction.
    ///
    /// # Safety
    /// `p` valid for writing `2 · LANES` elements; with `NORMAL`, no lane of `a` or `b` subnormal.
    #[inline(always)]
    unsafe fn store_bf16_pair<const NT: bool, const NORMAL: bool>(
        self,
        p: *mut bf16,
        a: Self::V,
        b: Self::V,
    ) {
        // SAFETY: forwarded contract.
        unsafe { store_bf16_each::<Self, NT>(self, p, a, b) }
    }

    /// `2^n` for lanes holding integers in the normal exponent range (f32: -126..=127).
    #[inline(always)]
    fn pow2i(self, n: Self::V) -> Self::V {
        self.map(n, |x| Self::Elem::from_f64(2f64.powi(x.to_f64() as i32)))
    }
    /// Whether [`Simd::scale_pow2`] is one instruction (AVX-512's `vscalefps`); math functions then
    /// prefer it to building `2^n` from exponent bits.
    const FAST_SCALE_POW2: bool = false;
    /// `m · 2^n` rounded once, for `m` in `[0.5, 4)` (or NaN) and lanes of `n` holding integers in
    /// `[-151, 151]` (f32): overflow gives inf, underflow a correctly rounded subnormal or 0.
    ///
    /// The default applies `2^n` as two normal factors, `2^⌊n/2⌉` (exact on such an `m`) and the rest
    /// (which rounds once).
    #[inline(always)]
    fn scale_pow2(self, m: Self::V, n: Self::V) -> Self::V {
        let n1 = self.round(self.mul(n, self.constant(0.5)));
        let n2 = self.sub(n, n1);
        self.mul(self.mul(m, self.pow2i(n1)), self.pow2i(n2))
    }
    /// `t`, or where `|t| > 151` a value of the same sign for which `scale_pow2(m, round(t))`
    /// gives the same result (inf or 0) as for `t`; NaN stays NaN. Applied to the argument of
    /// `2^t`, this keeps `round(t)` within `scale_pow2`'s range and `t - round(t)` finite.
    ///
    /// The default clamps to `[-151, 151]`; where `scale_pow2` takes any `n` (AVX-512), only the
    /// infinities need replacing, and one instruction does it off the pipes that clamping uses.
    #[inline(always)]
    fn clamp_exp2_arg(self, t: Self::V) -> Self::V {
        self.clamp(t, self.constant(-151.0), self.constant(151.0))
    }
    /// For positive normal `x`: `(m, e)` with `x = m * 2^e`, `m` in `[0.5, 1)`.
    #[inline(always)]
    fn frexp(self, x: Self::V) -> (Self::V, Self::V) {
        let e = self.map(x, |v| {
            Self::Elem::from_f64(((v.to_f64().abs().log2().floor()) + 1.0).clamp(-2000.0, 2000.0))
        });
        let m = self.div(x, self.pow2i(e));
        (m, e)
    }

    /// `e^x`. f32: ≤ 2 ULP; f64: the platform `exp`, lane by lane.
    #[inline(always)]
    fn exp(self, x: Self::V) -> Self::V {
        Self::Elem::vexp(self, x)
    }
    /// [`Simd::exp`] of four vectors at once (the same results; faster in loops that have four
    /// independent vectors at hand).
    #[inline(always)]
    fn exp4(self, x: [Self::V; 4]) -> [Self::V; 4] {
        Self::Elem::vexp4(self, x)
    }
    /// Natural logarithm. f32: ≤ 2 ULP; f64: the platform `ln`, lane by lane.
    #[inline(always)]
    fn log(self, x: Self::V) -> Self::V {
        Self::Elem::vlog(self, x)
    }
    /// `tanh(x)`. f32: ≤ 3 ULP; f64: the platform `tanh`, lane by lane.
    #[inline(always)]
    fn tanh(self, x: Self::V) -> Self::V {
        Self::Elem::vtanh(self, x)
    }
    /// `erf(x)`. f32: absolute error ≤ 2e-7, relative ≤ 4 ULP away from 0; f64: ≤ 1e-15 relative.
    #[inline(always)]
    fn erf(self, x: Self::V) -> Self::V {
        Self::Elem::verf(self, x)
    }
    /// [`Simd::exp`] for results that are rounded to f16 or bf16: relative error ≤ 1.2e-5 (2^-16.3)
    /// before that rounding, so the rounded result is within 0.52 ULP of f16 (0.51 of bf16), at
    /// about two thirds of the cost. f64 lanes: [`Simd::exp`].
    #[inline(always)]
    fn exp_half(self, x: Self::V) -> Self::V {
        Self::Elem::vexp_half(self, x)
    }
    /// [`Simd::tanh`] for results rounded to f16 or bf16 (built on [`Simd::exp_half`]'s reduction
    /// and polynomial; relative error ≤ 2e-5 before that rounding). f64 lanes: [`Simd::tanh`].
    #[inline(always)]
    fn tanh_half(self, x: Self::V) -> Self::V {
        Self::Elem::vtanh_half(self, x)
    }
    /// The first stage of [`Simd::exp`] for loops that software-pipeline it: `exp(x) ==
    /// exp_stage2(exp_stage1(x))`, bit for bit, at every level. Where [`Simd::FAST_SCALE_POW2`] is
    /// false (below AVX-512), the pair takes the path that `exp` keeps for `|x| ≥ 86` for every
    /// vector (the same bits, slower), so use it there only if measured faster. f64 lanes: `[x, x]`.
    #[inline(always)]
    fn exp_stage1(self, x: Self::V) -> [Self::V; 2] {
        Self::Elem::vexp_stage1(self, x)
    }
    /// The second stage of [`Simd::exp`] (see [`Simd::exp_stage1`]).
    #[inline(always)]
    fn exp_stage2(self, mid: [Self::V; 2]) -> Self::V {
        Self::Elem::vexp_stage2(self, mid)
    }
    /// The first stage of [`Simd::tanh`]: `tanh(x) == tanh_stage2(x, tanh_stage1(x))`, bit for
    /// bit. f64 lanes: `[x, x]`.
    #[inline(always)]
    fn tanh_stage1(self, x: Self::V) -> [Self::V; 2] {
        Self::Elem::vtanh_stage1(self, x)
    }
    /// The second stage of [`Simd::tanh`] (see [`Simd::tanh_stage1`]).
    #[inline(always)]
    fn tanh_stage2(self, x: Self::V, mid: [Self::V; 2]) -> Self::V {
        Self::Elem::vtanh_stage2(self, x, mid)
    }
    /// The first stage of [`Simd::exp_half`], for staged ops ([`crate::simd::UnaryOp::staged`]):
    /// `exp_half(x) == exp_half_stage2(exp_half_stage1(x))`, bit for bit. f64 lanes: `[x, x]`.
    #[inline(always)]
    fn exp_half_stage1(self, x: Self::V) -> [Self::V; 2] {
        Self::Elem::vexp_half_stage1(self, x)
    }
    /// The second stage of [`Simd::exp_half`] (see [`Simd::exp_half_stage1`]).
    #[inline(always)]
    fn exp_half_stage2(self, mid: [Self::V; 2]) -> Self::V {
        Self::Elem::vexp_half_stage2(self, mid)
    }
    /// The first stage of [`Simd::tanh_half`]: `tanh_half(x) == tanh_half_stage2(x,
    /// tanh_half_stage1(x))`, bit for bit. f64 lanes: `[x, x]`.
    #[inline(always)]
    fn tanh_half_stage1(self, x: Self::V) -> [Self::V; 2] {
        Self::Elem::vtanh_half_stage1(self, x)
    }
    /// The second stage of [`Simd::tanh_half`] (see [`Simd::tanh_half_stage1`]).
    #[inline(always)]
    fn tanh_half_stage2(self, x: Self::V, mid: [Self::V; 2]) -> Self::V {
        Self::Elem::vtanh_half_stage2(self, x, mid)
    }
    /// `1 / (1 + e^-x)`, evaluated as `1 / (1 + e)` for `x ≥ 0` and `e / (1 + e)` below, with
    /// `e = e^{-|x|}`: `e^-x` never overflows, so results that are subnormal (x below about -87 in
    /// f32 lanes) come out right instead of 0.
    #[inline(always)]
    fn sigmoid(self, x: Self::V) -> Self::V {
        sigmoid_from(self, x, self.exp(self.neg(self.abs(x))))
    }

    /// Applies a scalar function to each lane (slow path; used for f64 transcendentals).
    #[inline(always)]
    fn map(self, v: Self::V, f: impl Fn(Self::Elem) -> Self::Elem) -> Self::V {
        let mut buf = [Self::Elem::ZERO; MAX_LANES];
        // SAFETY: buf holds MAX_LANES >= LANES elements.
        unsafe {
            self.store(buf.as_mut_ptr(), v);
            for x in &mut buf[..Self::LANES] {
                *x = f(*x);
            }
            self.load(buf.as_ptr())
        }
    }
    /// Builds a vector lane by lane.
    ///
    /// # Safety
    /// `f` must be safe to call for `0..LANES`.
    #[inline(always)]
    unsafe fn load_with(self, f: impl Fn(usize) -> Self::Elem) -> Self::V {
        let mut buf = [Self::Elem::ZERO; MAX_LANES];
        for (i, x) in buf[..Self::LANES].iter_mut().enumerate() {
            *x = f(i);
        }
        // SAFETY: buf holds MAX_LANES >= LANES elements.
        unsafe { self.load(buf.as_ptr()) }
    }
    /// Hands each lane to `f`.
    ///
    /// # Safety
    /// `f` must be safe to call for `0..LANES`.
    #[inline(always)]
    unsafe fn store_with(self, v: Self::V, f: impl Fn(usize, Self::Elem)) {
        let mut buf = [Self::Elem::ZERO; MAX_LANES];
        // SAFETY: buf holds MAX_LANES >= LANES elements.
        unsafe { self.store(buf.as_mut_ptr(), v) };
        for (i, x) in buf[..Self::LANES].iter().enumerate() {
            f(i, *x);
        }
    }
}

/// A kernel body generic over the backend, run by [`LaneFloat::dispatch`] inside the level's
/// `#[target_feature]` entry point. Implementations should mark `run` `#[inline(always)]`.
pub trait Kernel<L: LaneFloat> {
    /// What the kernel returns.
    type Output;
    /// Runs the body with backend `s`.
    fn run<S: Simd<Elem = L>>(self, s: S) -> Self::Output;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
    impl Sealed for half::f16 {}
    impl Sealed for half::bf16 {}
}

/// A lane type: `f32` or `f64`.
pub trait LaneFloat:
    Copy + PartialOrd + Debug + Default + Send + Sync + 'static + sealed::Sealed
{
    /// 0.
    const ZERO: Self;
    /// Converts from f64 (rounding).
    fn from_f64(x: f64) -> Self;
    /// Converts from f32 (exact).
    fn from_f32(x: f32) -> Self;
    /// Converts to f64 (exact).
    fn to_f64(self) -> f64;
    /// Runs `k` with the backend for `isa` and this lane type. `isa` must be supported (checked:
    /// an unsupported level falls back to [`Isa::Scalar`]).
    fn dispatch<K: Kernel<Self>>(isa: Isa, k: K) -> K::Output;
    #[doc(hidden)]
    fn vexp<S: Simd<Elem = Self>>(s: S, x: S::V) -> S::V;
    #[doc(hidden)]
    fn vexp4<S: Simd<Elem = Self>>(s: S, x: [S::V; 4]) -> [S::V; 4];
    #[doc(hidden)]
    fn vlog<S: Simd<Elem = Self>>(s: S, x: S::V) -> S::V;
    #[doc(hidden)]
    fn vtanh<S: Simd<Elem = Self>>(s: S, x: S::V) -> S::V;
    #[doc(hidden)]
    fn verf<S: Simd<Elem = Self>>(s: S, x: S::V) -> S::V;
    #[doc(hidden)]
    fn vexp_half<S: Simd<Elem = Self>>(s: S, x: S::V) -> S::V;
    #[doc(hidden)]
    fn vtanh_half<S: Simd<Elem = Self>>(s: S, x: S::V) -> S::V;
    #[doc(hidden)]
    fn vexp_stage1<S: Simd<Elem = Self>>(s: S, x: S::V) -> [S::V; 2];
    #[doc(hidden)]
    fn vexp_stage2<S: Simd<Elem = Self>>(s: S, mid: [S::V; 2]) -> S::V;
    #[doc(hidden)]
    fn vtanh_stage1<S: Simd<Elem = Self>>(s: S, x: S::V) -> [S::V; 2];
    #[doc(hidden)]
    fn vtanh_stage2<S: Simd<Elem = Self>>(s: S, x: S::V, mid: [S::V; 2]) -> S::V;
    #[doc(hidden)]
    fn vexp_half_stage1<S: Simd<Elem = Self>>(s: S, x: S::V) -> [S::V; 2];
    #[doc(hidden)]
    fn vexp_half_stage2<S: Simd<Elem = Self>>(s: S, mid: [S::V; 2]) -> S::V;
    #[doc(hidden)]
    fn vtanh_half_stage1<S: Simd<Elem = Self>>(s: S, x: S::V) -> [S::V; 2];
    #[doc(hidden)]
    fn vtanh_half_stage2<S: Simd<Elem = Self>>(s: S, x: S::V, mid: [S::V; 2]) -> S::V;
}

impl LaneFloat for f32 {
    const ZERO: f32 = 0.0;
    #[inline(always)]
    fn from_f64(x: f64) -> f32 {
        x as f32
    }
    #[inline(always)]
    fn from_f32(x: f32) -> f32 {
        x
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline]
    fn dispatch<K: Kernel<f32>>(isa: Isa, k: K) -> K::Output {
        super::backend::dispatch_f32(isa, k)
    }
    #[inline(always)]
    fn vexp<S: Simd<Elem = f32>>(s: S, x: S::V) -> S::V {
        math::exp_f32(s, x)
    }
    #[inline(always)]
    fn vexp4<S: Simd<Elem = f32>>(s: S, x: [S::V; 4]) -> [S::V; 4] {
        math::exp4_f32(s, x)
    }
    #[inline(always)]
    fn vlog<S: Simd<Elem = f32>>(s: S, x: S::V) -> S::V {
        math::log_f32(s, x)
    }
    #[inline(always)]
    fn vtanh<S: Simd<Elem = f32>>(s: S, x: S::V) -> S::V {
        math::tanh_f32(s, x)
    }
    #[inline(always)]
    fn verf<S: Simd<Elem = f32>>(s: S, x: S::V) -> S::V {
        math::erf_f32(s, x)
    }
    #[inline(always)]
    fn vexp_half<S: Simd<Elem = f32>>(s: S, x: S::V) -> S::V {
        math::exp_half_f32(s, x)
    }
    #[inline(always)]
    fn vtanh_half<S: Simd<Elem = f32>>(s: S, x: S::V) -> S::V {
        math::tanh_half_f32(s, x)
    }
    #[inline(always)]
    fn vexp_stage1<S: Simd<Elem = f32>>(s: S, x: S::V) -> [S::V; 2] {
        math::exp_stage1_f32(s, x)
    }
    #[inline(always)]
    fn vexp_stage2<S: Simd<Elem = f32>>(s: S, mid: [S::V; 2]) -> S::V {
        math::exp_stage2_f32(s, mid)
    }
    #[inline(always)]
    fn vtanh_stage1<S: Simd<Elem = f32>>(s: S, x: S::V) -> [S::V; 2] {
        math::tanh_stage1_f32(s, x)
    }
    #[inline(always)]
    fn vtanh_stage2<S: Simd<Elem = f32>>(s: S, x: S::V, mid: [S::V; 2]) -> S::V {
        math::tanh_stage2_f32(s, x, mid)
    }
    #[inline(always)]
    fn vexp_half_stage1<S: Simd<Elem = f32>>(s: S, x: S::V) -> [S::V; 2] {
        math::exp_half_stage1_f32(s, x)
    }
    #[inline(always)]
    fn vexp_half_stage2<S: Simd<Elem = f32>>(s: S, mid: [S::V; 2]) -> S::V {
        math::exp_half_stage2_f32(s, mid)
    }
    #[inline(always)]
    fn vtanh_half_stage1<S: Simd<Elem = f32>>(s: S, x: S::V) -> [S::V; 2] {
        math::tanh_half_stage1_f32(s, x)
    }
    #[inline(always)]
    fn vtanh_half_stage2<S: Simd<Elem = f32>>(s: S, x: S::V, mid: [S::V; 2]) -> S::V {
        math::tanh_half_stage2_f32(s, x, mid)
    }
}

impl LaneFloat for f64 {
    const ZERO: f64 = 0.0;
    #[inline(always)]
    fn from_f64(x: f64) -> f64 {
        x
    }
    #[inline(always)]
    fn from_f32(x: f32) -> f64 {
        x as f64
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline]
    fn dispatch<K: Kernel<f64>>(isa: Isa, k: K) -> K::Output {
        super::backend::dispatch_f64(isa, k)
    }
    #[inline(always)]
    fn vexp<S: Simd<Elem = f64>>(s: S, x: S::V) -> S::V {
        s.map(x, f64::exp)
    }
    #[inline(always)]
    fn vexp4<S: Simd<Elem = f64>>(s: S, x: [S::V; 4]) -> [S::V; 4] {
        [
            s.map(x[0], f64::exp),
            s.map(x[1], f64::exp),
            s.map(x[2], f64::exp),
            s.map(x[3], f64::exp),
        ]
    }
    #[inline(always)]
    fn vlog<S: Simd<Elem = f64>>(s: S, x: S::V) -> S::V {
        s.map(x, f64::ln)
    }
    #[inline(always)]
    fn vtanh<S: Simd<Elem = f64>>(s: S, x: S::V) -> S::V {
        s.map(x, f64::tanh)
    }
    #[inline(always)]
    fn verf<S: Simd<Elem = f64>>(s: S, x: S::V) -> S::V {
        s.map(x, math::erf_f64)
    }
    #[inline(always)]
    fn vexp_half<S: Simd<Elem = f64>>(s: S, x: S::V) -> S::V {
        Self::vexp(s, x)
    }
    #[inline(always)]
    fn vtanh_half<S: Simd<Elem = f64>>(s: S, x: S::V) -> S::V {
        Self::vtanh(s, x)
    }
    #[inline(always)]
    fn vexp_stage1<S: Simd<Elem = f64>>(_s: S, x: S::V) -> [S::V; 2] {
        [x, x]
    }
    #[inline(always)]
    fn vexp_stage2<S: Simd<Elem = f64>>(s: S, [x, _]: [S::V; 2]) -> S::V {
        Self::vexp(s, x)
    }
    #[inline(always)]
    fn vtanh_stage1<S: Simd<Elem = f64>>(_s: S, x: S::V) -> [S::V; 2] {
        [x, x]
    }
    #[inline(always)]
    fn vtanh_stage2<S: Simd<Elem = f64>>(s: S, x: S::V, _mid: [S::V; 2]) -> S::V {
        Self::vtanh(s, x)
    }
    #[inline(always)]
    fn vexp_half_stage1<S: Simd<Elem = f64>>(_s: S, x: S::V) -> [S::V; 2] {
        [x, x]
    }
    #[inline(always)]
    fn vexp_half_stage2<S: Simd<Elem = f64>>(s: S, [x, _]: [S::V; 2]) -> S::V {
        Self::vexp(s, x)
    }
    #[inline(always)]
    fn vtanh_half_stage1<S: Simd<Elem = f64>>(_s: S, x: S::V) -> [S::V; 2] {
        [x, x]
    }
    #[inline(always)]
    fn vtanh_half_stage2<S: Simd<Elem = f64>>(s: S, x: S::V, _mid: [S::V; 2]) -> S::V {
        Self::vtanh(s, x)
    }
}

/// [`Simd::store_bf16_pair`] as two one-vector stores (`a` at `p`, `b` after it): the default,
/// and the AVX-512 fallback without AVX512-BF16.
///
/// # Safety
/// As [`Simd::store_bf16_pair`] (the halves are aligned to `LANES · 2` bytes when `p` is to twice).
#[inline(always)]
pub(crate) unsafe fn store_bf16_each<S: Simd, const NT: bool>(
    s: S,
    p: *mut bf16,
    a: S::V,
    b: S::V,
) {
    // SAFETY: forwarded contract.
    unsafe {
        let q = p.add(S::LANES);
        if NT {
            s.stream_bf16(p, a);
            s.stream_bf16(q, b);
        } else {
            s.store_bf16(p, a);
            s.store_bf16(q, b);
        }
    }
}

/// `(num, den)` with `sigmoid(x) = num / den`, from `e = e^{-|x|}` (see [`Simd::sigmoid`]).
#[inline(always)]
pub(crate) fn sigmoid_parts<S: Simd>(s: S, x: S::V, e: S::V) -> (S::V, S::V) {
    let one = s.constant(1.0);
    (s.select(s.lt(x, s.constant(0.0)), e, one), s.add(one, e))
}

/// `sigmoid(x)` from `e = e^{-|x|}` (see [`Simd::sigmoid`]).
#[inline(always)]
pub(crate) fn sigmoid_from<S: Simd>(s: S, x: S::V, e: S::V) -> S::V {
    let (num, den) = sigmoid_parts(s, x, e);
    s.div(num, den)
}

/// Whether `T` is a half type (f16, bf16), computed in wider f32 lanes and rounded to 11 or 8
/// bits at the end, rather than its own lane type (f32, f64).
#[inline(always)]
pub(crate) const fn is_half<T: Element>() -> bool {
    size_of::<T>() == 2
}

/// The first stage of `e^x` ([`Simd::exp_stage1`]), or of [`Simd::exp_half`] for results rounded
/// to halves.
#[inline(always)]
pub(crate) fn exp_stage1_for<S: Simd>(s: S, x: S::V, half: bool) -> [S::V; 2] {
    if half {
        s.exp_half_stage1(x)
    } else {
        s.exp_stage1(x)
    }
}

/// The second stage of [`exp_stage1_for`].
#[inline(always)]
pub(crate) fn exp_stage2_for<S: Simd>(s: S, mid: [S::V; 2], half: bool) -> S::V {
    if half {
        s.exp_half_stage2(mid)
    } else {
        s.exp_stage2(mid)
    }
}

/// Whether `T` is bf16, whose hardware rounding (AVX512-BF16) flushes subnormals and so needs a
/// check for them, unlike f16's.
#[inline(always)]
pub(crate) fn is_bf16<T: Element>() -> bool {
    std::any::TypeId::of::<T>() == std::any::TypeId::of::<bf16>()
}

/// What a buffer holds. Half types compute in f32 lanes; f64 in f64 lanes.
pub trait Element:
    Copy + PartialEq + Debug + Default + Send + Sync + 'static + sealed::Sealed
{
    /// The lane type computation happens in.
    type Lane: LaneFloat;
    /// PyTorch's name: `float32`, `float64`, `float16`, `bfloat16`.
    const DTYPE: &'static str;
    /// Converts to the lane type (exact).
    fn to_lane(self) -> Self::Lane;
    /// Converts from the lane type (round to nearest even).
    fn from_lane(x: Self::Lane) -> Self;
    /// Converts to f64 (exact).
    fn to_f64(self) -> f64 {
        self.to_lane().to_f64()
    }
    /// Converts from f64, rounded once to nearest (ties to even).
    fn from_f64(x: f64) -> Self {
        Self::from_lane(Self::Lane::from_f64(x))
    }
    /// Loads `S::LANES` elements.
    ///
    /// # Safety
    /// `p` valid for reading `S::LANES` elements.
    unsafe fn vload<S: Simd<Elem = Self::Lane>>(s: S, p: *const Self) -> S::V;
    /// Stores `S::LANES` elements.
    ///
    /// # Safety
    /// `p` valid for writing `S::LANES` elements.
    unsafe fn vstore<S: Simd<Elem = Self::Lane>>(s: S, p: *mut Self, v: S::V);
    /// Non-temporal store of `S::LANES` elements.
    ///
    /// # Safety
    /// As [`Element::vstore`], and `p` aligned to `S::LANES * size_of::<Self>()` bytes.
    unsafe fn vstream<S: Simd<Elem = Self::Lane>>(s: S, p: *mut Self, v: S::V);
    /// Stores two vectors, `a` at `p` and `b` after it: streamed with `NT` (`p` then aligned to
    /// `2 · LANES` elements). With `NORMAL` the caller promises that no value is subnormal, in the
    /// lanes or once rounded to `Self` (see [`Simd::store_bf16_pair`], the one type that uses it).
    ///
    /// # Safety
    /// `p` valid for writing `2 · S::LANES` elements; with `NORMAL`, no value subnormal.
    #[inline(always)]
    unsafe fn vstore_pair<S: Simd<Elem = Self::Lane>, const NT: bool, const NORMAL: bool>(
        s: S,
        p: *mut Self,
        a: S::V,
        b: S::V,
    ) {
        // SAFETY: forwarded contract.
        unsafe {
            let q = p.add(S::LANES);
            if NT {
                Self::vstream(s, p, a);
                Self::vstream(s, q, b);
            } else {
                Self::vstore(s, p, a);
                Self::vstore(s, q, b);
            }
        }
    }
    /// Runs a kernel over buffers of this type at `isa` (bf16 picks its own token at
    /// [`Isa::Avx512Bf16`]).
    #[doc(hidden)]
    #[inline]
    fn dispatch<K: Kernel<Self::Lane>>(isa: Isa, k: K) -> K::Output {
        Self::Lane::dispatch(isa, k)
    }
}

macro_rules! lane_element {
    ($t:ty, $name:literal) => {
        impl Element for $t {
            type Lane = $t;
            const DTYPE: &'static str = $name;
            #[inline(always)]
            fn to_lane(self) -> $t {
                self
            }
            #[inline(always)]
            fn from_lane(x: $t) -> $t {
                x
            }
            #[inline(always)]
            unsafe fn vload<S: Simd<Elem = $t>>(s: S, p: *const $t) -> S::V {
                // SAFETY: forwarded contract.
                unsafe { s.load(p) }
            }
            #[inline(always)]
            unsafe fn vstore<S: Simd<Elem = $t>>(s: S, p: *mut $t, v: S::V) {
                // SAFETY: forwarded contract.
                unsafe { s.store(p, v) }
            }
            #[inline(always)]
            unsafe fn vstream<S: Simd<Elem = $t>>(s: S, p: *mut $t, v: S::V) {
                // SAFETY: forwarded contract.
                unsafe { s.stream(p, v) }
            }
        }
    };
}
lane_element!(f32, "float32");
lane_element!(f64, "float64");

macro_rules! half_element {
    ($t:ty, $name:literal, $from_f64:path, $load:ident, $store:ident, $stream:ident,
        $dispatch:path $(, pair: $pair:ident)?) => {
        impl Element for $t {
            type Lane = f32;
            const DTYPE: &'static str = $name;
            /// Rounded once: through f32 (the lane type), a value just past a tie of this type
            /// could round to f32 exactly on the tie and then to even, a step short.
            #[inline]
            fn from_f64(x: f64) -> $t {
                $from_f64(x)
            }
            #[inline(always)]
            fn to_lane(self) -> f32 {
                self.to_f32()
            }
            #[inline(always)]
            fn from_lane(x: f32) -> $t {
                <$t>::from_f32(x)
            }
            #[inline(always)]
            unsafe fn vload<S: Simd<Elem = f32>>(s: S, p: *const $t) -> S::V {
                // SAFETY: forwarded contract.
                unsafe { s.$load(p) }
            }
            #[inline(always)]
            unsafe fn vstore<S: Simd<Elem = f32>>(s: S, p: *mut $t, v: S::V) {
                // SAFETY: forwarded contract.
                unsafe { s.$store(p, v) }
            }
            #[inline(always)]
            unsafe fn vstream<S: Simd<Elem = f32>>(s: S, p: *mut $t, v: S::V) {
                // SAFETY: forwarded contract.
                unsafe { s.$stream(p, v) }
            }
            #[inline]
            fn dispatch<K: Kernel<f32>>(isa: Isa, k: K) -> K::Output {
                $dispatch(isa, k)
            }
            $(
            #[inline(always)]
            unsafe fn vstore_pair<S: Simd<Elem = f32>, const NT: bool, const NORMAL: bool>(
                s: S,
                p: *mut $t,
                a: S::V,
                b: S::V,
            ) {
                // SAFETY: forwarded contract.
                unsafe { s.$pair::<NT, NORMAL>(p, a, b) }
            }
            )?
        }
    };
}
half_element!(
    f16,
    "float16",
    op_runtime::f16_from_f64,
    load_f16,
    store_f16,
    stream_f16,
    super::backend::dispatch_f32
);
half_element!(
    bf16,
    "bfloat16",
    op_runtime::bf16_from_f64,
    load_bf16,
    store_bf16,
    stream_bf16,
    super::backend::dispatch_bf16,
    pair: store_bf16_pair
);
