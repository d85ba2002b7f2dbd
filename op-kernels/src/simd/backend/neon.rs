//! aarch64 Advanced SIMD backend: 4 f32 or 2 f64 lanes. NEON's `fmax`/`fmin` already propagate NaN.
//! f16 goes through the default lane-by-lane `half` conversion (the NEON f16 vector types need the
//! unstable `f16` primitive); bf16 uses integer widening and rounding.

use std::arch::aarch64::*;

use half::bf16;

use crate::simd::{Isa, Kernel, Simd};

/// The [`Isa::Neon`] backend with f32 lanes.
#[derive(Clone, Copy, Debug)]
pub struct NeonF32(());

/// The [`Isa::Neon`] backend with f64 lanes.
#[derive(Clone, Copy, Debug)]
pub struct NeonF64(());

impl NeonF32 {
    /// # Safety
    /// The CPU must support NEON.
    pub(crate) unsafe fn new() -> Self {
        NeonF32(())
    }

    /// # Safety
    /// As [`NeonF32::new`] (implied by `self`).
    #[target_feature(enable = "neon")]
    pub(crate) unsafe fn vectorize<K: Kernel<f32>>(self, k: K) -> K::Output {
        k.run(self)
    }
}

impl NeonF64 {
    /// # Safety
    /// The CPU must support NEON.
    pub(crate) unsafe fn new() -> Self {
        NeonF64(())
    }

    /// # Safety
    /// As [`NeonF64::new`] (implied by `self`).
    #[target_feature(enable = "neon")]
    pub(crate) unsafe fn vectorize<K: Kernel<f64>>(self, k: K) -> K::Output {
        k.run(self)
    }
}

impl Simd for NeonF32 {
    type Elem = f32;
    type V = float32x4_t;
    type M = uint32x4_t;
    const LANES: usize = 4;
    const ISA: Isa = Isa::Neon;

    #[inline(always)]
    fn splat(self, x: f32) -> float32x4_t {
        // SAFETY (all methods): the token proves NEON; pointer contracts are the caller's.
        unsafe { vdupq_n_f32(x) }
    }
    #[inline(always)]
    fn add(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        unsafe { vaddq_f32(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        unsafe { vsubq_f32(a, b) }
    }
    #[inline(always)]
    fn mul(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        unsafe { vmulq_f32(a, b) }
    }
    #[inline(always)]
    fn div(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        unsafe { vdivq_f32(a, b) }
    }
    #[inline(always)]
    fn mul_add(self, a: float32x4_t, b: float32x4_t, c: float32x4_t) -> float32x4_t {
        unsafe { vfmaq_f32(c, a, b) }
    }
    #[inline(always)]
    fn max(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        unsafe { vmaxq_f32(a, b) }
    }
    #[inline(always)]
    fn min(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        unsafe { vminq_f32(a, b) }
    }
    #[inline(always)]
    fn abs(self, a: float32x4_t) -> float32x4_t {
        unsafe { vabsq_f32(a) }
    }
    #[inline(always)]
    fn neg(self, a: float32x4_t) -> float32x4_t {
        unsafe { vnegq_f32(a) }
    }
    #[inline(always)]
    fn sqrt(self, a: float32x4_t) -> float32x4_t {
        unsafe { vsqrtq_f32(a) }
    }
    #[inline(always)]
    fn round(self, a: float32x4_t) -> float32x4_t {
        unsafe { vrndnq_f32(a) }
    }
    #[inline(always)]
    fn copysign(self, mag: float32x4_t, sign: float32x4_t) -> float32x4_t {
        unsafe { vbslq_f32(vdupq_n_u32(0x8000_0000), sign, mag) }
    }
    #[inline(always)]
    fn lt(self, a: float32x4_t, b: float32x4_t) -> uint32x4_t {
        unsafe { vcltq_f32(a, b) }
    }
    #[inline(always)]
    fn le(self, a: float32x4_t, b: float32x4_t) -> uint32x4_t {
        unsafe { vcleq_f32(a, b) }
    }
    #[inline(always)]
    fn eq(self, a: float32x4_t, b: float32x4_t) -> uint32x4_t {
        unsafe { vceqq_f32(a, b) }
    }
    #[inline(always)]
    fn is_nan(self, a: float32x4_t) -> uint32x4_t {
        unsafe { vmvnq_u32(vceqq_f32(a, a)) }
    }
    #[inline(always)]
    fn select(self, m: uint32x4_t, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        unsafe { vbslq_f32(m, a, b) }
    }
    #[inline(always)]
    fn any(self, m: uint32x4_t) -> bool {
        unsafe { vmaxvq_u32(m) != 0 }
    }
    #[inline(always)]
    fn prefetch<P>(self, p: *const P) {
        // PRFM is a hint: it never faults, whatever the address (and `_prefetch` is not stable).
        unsafe {
            std::arch::asm!("prfm pldl1keep, [{0}]", in(reg) p, options(nostack, preserves_flags, readonly))
        }
    }
    #[inline(always)]
    fn reduce_sum(self, v: float32x4_t) -> f32 {
        unsafe { vaddvq_f32(v) }
    }
    #[inline(always)]
    fn reduce_max(self, v: float32x4_t) -> f32 {
        unsafe { vmaxvq_f32(v) }
    }
    #[inline(always)]
    fn reduce_min(self, v: float32x4_t) -> f32 {
        unsafe { vminvq_f32(v) }
    }
    #[inline(always)]
    unsafe fn load(self, p: *const f32) -> float32x4_t {
        unsafe { vld1q_f32(p) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32, v: float32x4_t) {
        unsafe { vst1q_f32(p, v) }
    }
    #[inline(always)]
    unsafe fn load_bf16(self, p: *const bf16) -> float32x4_t {
        unsafe { vreinterpretq_f32_u32(vshll_n_u16::<16>(vld1_u16(p.cast()))) }
    }
    #[inline(always)]
    unsafe fn store_bf16(self, p: *mut bf16, v: float32x4_t) {
        unsafe {
            let b = vreinterpretq_u32_f32(v);
            let lsb = vandq_u32(vshrq_n_u32::<16>(b), vdupq_n_u32(1));
            let r = vshrq_n_u32::<16>(vaddq_u32(b, vaddq_u32(lsb, vdupq_n_u32(0x7fff))));
            let quiet = vorrq_u32(vshrq_n_u32::<16>(b), vdupq_n_u32(0x40));
            vst1_u16(p.cast(), vmovn_u32(vbslq_u32(self.is_nan(v), quiet, r)));
        }
    }
    #[inline(always)]
    fn pow2i(self, n: float32x4_t) -> float32x4_t {
        unsafe {
            let i = vaddq_s32(vcvtnq_s32_f32(n), vdupq_n_s32(127));
            vreinterpretq_f32_s32(vshlq_n_s32::<23>(i))
        }
    }
    #[inline(always)]
    fn frexp(self, x: float32x4_t) -> (float32x4_t, float32x4_t) {
        unsafe {
            let b = vreinterpretq_u32_f32(x);
            let e = vsubq_s32(
                vreinterpretq_s32_u32(vandq_u32(vshrq_n_u32::<23>(b), vdupq_n_u32(0xff))),
                vdupq_n_s32(126),
            );
            let m = vorrq_u32(
                vandq_u32(b, vdupq_n_u32(!0x7f80_0000)),
                vdupq_n_u32(0x3f00_0000),
            );
            (vreinterpretq_f32_u32(m), vcvtq_f32_s32(e))
        }
    }
}

impl Simd for NeonF64 {
    type Elem = f64;
    type V = float64x2_t;
    type M = uint64x2_t;
    const LANES: usize = 2;
    const ISA: Isa = Isa::Neon;

    #[inline(always)]
    fn splat(self, x: f64) -> float64x2_t {
        // SAFETY (all methods): the token proves NEON; pointer contracts are the caller's.
        unsafe { vdupq_n_f64(x) }
    }
    #[inline(always)]
    fn add(self, a: float64x2_t, b: float64x2_t) -> float64x2_t {
        unsafe { vaddq_f64(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: float64x2_t, b: float64x2_t) -> float64x2_t {
        unsafe { vsubq_f64(a, b) }
    }
    #[inline(always)]
    fn mul(self, a: float64x2_t, b: float64x2_t) -> float64x2_t {
        unsafe { vmulq_f64(a, b) }
    }
    #[inline(always)]
    fn div(self, a: float64x2_t, b: float64x2_t) -> float64x2_t {
        unsafe { vdivq_f64(a, b) }
    }
    #[inline(always)]
    fn mul_add(self, a: float64x2_t, b: float64x2_t, c: float64x2_t) -> float64x2_t {
        unsafe { vfmaq_f64(c, a, b) }
    }
    #[inline(always)]
    fn max(self, a: float64x2_t, b: float64x2_t) -> float64x2_t {
        unsafe { vmaxq_f64(a, b) }
    }
    #[inline(always)]
    fn min(self, a: float64x2_t, b: float64x2_t) -> float64x2_t {
        unsafe { vminq_f64(a, b) }
    }
    #[inline(always)]
    fn abs(self, a: float64x2_t) -> float64x2_t {
        unsafe { vabsq_f64(a) }
    }
    #[inline(always)]
    fn neg(self, a: float64x2_t) -> float64x2_t {
        unsafe { vnegq_f64(a) }
    }
    #[inline(always)]
    fn sqrt(self, a: float64x2_t) -> float64x2_t {
        unsafe { vsqrtq_f64(a) }
    }
    #[inline(always)]
    fn round(self, a: float64x2_t) -> float64x2_t {
        unsafe { vrndnq_f64(a) }
    }
    #[inline(always)]
    fn copysign(self, mag: float64x2_t, sign: float64x2_t) -> float64x2_t {
        unsafe { vbslq_f64(vdupq_n_u64(0x8000_0000_0000_0000), sign, mag) }
    }
    #[inline(always)]
    fn lt(self, a: float64x2_t, b: float64x2_t) -> uint64x2_t {
        unsafe { vcltq_f64(a, b) }
    }
    #[inline(always)]
    fn le(self, a: float64x2_t, b: float64x2_t) -> uint64x2_t {
        unsafe { vcleq_f64(a, b) }
    }
    #[inline(always)]
    fn eq(self, a: float64x2_t, b: float64x2_t) -> uint64x2_t {
        unsafe { vceqq_f64(a, b) }
    }
    #[inline(always)]
    fn is_nan(self, a: float64x2_t) -> uint64x2_t {
        unsafe { veorq_u64(vceqq_f64(a, a), vdupq_n_u64(u64::MAX)) }
    }
    #[inline(always)]
    fn select(self, m: uint64x2_t, a: float64x2_t, b: float64x2_t) -> float64x2_t {
        unsafe { vbslq_f64(m, a, b) }
    }
    #[inline(always)]
    fn any(self, m: uint64x2_t) -> bool {
        unsafe { vmaxvq_u32(vreinterpretq_u32_u64(m)) != 0 }
    }
    #[inline(always)]
    fn prefetch<P>(self, p: *const P) {
        // PRFM is a hint: it never faults, whatever the address (and `_prefetch` is not stable).
        unsafe {
            std::arch::asm!("prfm pldl1keep, [{0}]", in(reg) p, options(nostack, preserves_flags, readonly))
        }
    }
    #[inline(always)]
    fn reduce_sum(self, v: float64x2_t) -> f64 {
        unsafe { vaddvq_f64(v) }
    }
    #[inline(always)]
    fn reduce_max(self, v: float64x2_t) -> f64 {
        unsafe { vmaxvq_f64(v) }
    }
    #[inline(always)]
    fn reduce_min(self, v: float64x2_t) -> f64 {
        unsafe { vminvq_f64(v) }
    }
    #[inline(always)]
    unsafe fn load(self, p: *const f64) -> float64x2_t {
        unsafe { vld1q_f64(p) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f64, v: float64x2_t) {
        unsafe { vst1q_f64(p, v) }
    }
}
