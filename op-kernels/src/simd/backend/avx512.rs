//! AVX-512 (F/BW/VL/DQ) backend: 16 f32 or 8 f64 lanes, k-register masks.
//!
//! Same structure as the AVX2 backend; the token only exists once the CPU reported the features.
//! Half conversions use AVX-512F (`vcvtph2ps`/`vcvtps2ph`) and integer rounding for bf16, which is
//! correctly rounded for subnormals too; the [`Isa::Avx512Bf16`] token rounds with AVX512-BF16's
//! `vcvtneps2bf16` instead, except for vectors holding a subnormal (which it flushes to zero).

use std::arch::x86_64::*;

use half::{bf16, f16};

use crate::simd::vector::store_bf16_each;
use crate::simd::{Isa, Kernel, Simd};

/// The [`Isa::Avx512`] backend with f32 lanes; with `BF16`, the [`Isa::Avx512Bf16`] one, which
/// rounds to bf16 with `vcvtneps2bf16` (used for kernels whose buffers are bf16).
#[derive(Clone, Copy, Debug)]
pub struct Avx512F32<const BF16: bool = false>(());

/// The [`Isa::Avx512`] backend with f64 lanes.
#[derive(Clone, Copy, Debug)]
pub struct Avx512F64(());

impl Avx512F32 {
    /// # Safety
    /// The CPU must support AVX-512 F/BW/VL/DQ, AVX2, FMA and F16C.
    pub(crate) unsafe fn new() -> Self {
        Avx512F32(())
    }

    /// # Safety
    /// As [`Avx512F32::new`] (implied by `self`).
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")]
    pub(crate) unsafe fn vectorize<K: Kernel<f32>>(self, k: K) -> K::Output {
        k.run(self)
    }
}

impl Avx512F32<true> {
    /// # Safety
    /// As [`Avx512F32::new`], and the CPU must support AVX512-BF16.
    pub(crate) unsafe fn new_bf16() -> Self {
        Avx512F32(())
    }

    /// # Safety
    /// As [`Avx512F32::new_bf16`] (implied by `self`).
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,avx2,fma,f16c")]
    pub(crate) unsafe fn vectorize<K: Kernel<f32>>(self, k: K) -> K::Output {
        k.run(self)
    }
}

impl Avx512F64 {
    /// # Safety
    /// As [`Avx512F32::new`].
    pub(crate) unsafe fn new() -> Self {
        Avx512F64(())
    }

    /// # Safety
    /// As [`Avx512F64::new`] (implied by `self`).
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")]
    pub(crate) unsafe fn vectorize<K: Kernel<f64>>(self, k: K) -> K::Output {
        k.run(self)
    }
}

const ROUND_NEAREST: i32 = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;

#[inline(always)]
unsafe fn bf16_pack(v: __m512) -> __m256i {
    // SAFETY: AVX-512F available (caller holds a token).
    unsafe {
        let b = _mm512_castps_si512(v);
        let lsb = _mm512_and_si512(_mm512_srli_epi32::<16>(b), _mm512_set1_epi32(1));
        let rounded = _mm512_add_epi32(b, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff)));
        let r = _mm512_srli_epi32::<16>(rounded);
        let quiet = _mm512_or_si512(_mm512_srli_epi32::<16>(b), _mm512_set1_epi32(0x40));
        let nan = _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(v, v);
        _mm512_cvtepi32_epi16(_mm512_mask_blend_epi32(nan, r, quiet))
    }
}

/// bf16 rounding with AVX512-BF16: `vcvtneps2bf16` rounds to nearest even and quiets NaN exactly as
/// [`bf16_pack`] does, but flushes subnormal inputs to zero, so a vector holding one goes through
/// `bf16_pack` (the same bits as every other level, whatever the values).
///
/// # Safety
/// The CPU supports AVX-512 F/DQ and AVX512-BF16.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bf16")]
unsafe fn bf16_pack_hw(v: __m512) -> __m256i {
    // SAFETY: the features are enabled; transmute between two 32-byte vector types.
    unsafe {
        // fpclass category 0x20: denormal.
        if _mm512_fpclass_ps_mask::<0x20>(v) != 0 {
            return bf16_pack(v);
        }
        std::mem::transmute::<__m256bh, __m256i>(_mm512_cvtneps_pbh(v))
    }
}

impl<const BF16: bool> Avx512F32<BF16> {
    /// The bf16 rounding of this backend.
    #[inline(always)]
    fn pack_bf16(self, v: __m512) -> __m256i {
        // SAFETY: a `true` token exists only where AVX512-BF16 was detected (`new_bf16`).
        unsafe { if BF16 { bf16_pack_hw(v) } else { bf16_pack(v) } }
    }
}

/// [`bf16_pack_hw`] of two vectors, `a` in the low half: one `vcvtne2ps2bf16` (as fast as the
/// one-vector form, so half the cost per element), and one check of both for subnormals (none
/// with `NORMAL`, where the caller promises there are none). Measured in a bf16 exp loop in L1:
/// 6.2 → 5.2 cycles per vector.
///
/// # Safety
/// The CPU supports AVX-512 F/DQ and AVX512-BF16.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bf16")]
unsafe fn bf16_pack_pair_hw<const NORMAL: bool>(a: __m512, b: __m512) -> __m512i {
    // SAFETY: the features are enabled; transmutes between vector types of the same size.
    unsafe {
        // fpclass category 0x20: denormal.
        if !NORMAL && (_mm512_fpclass_ps_mask::<0x20>(a) | _mm512_fpclass_ps_mask::<0x20>(b)) != 0 {
            let lo = _mm512_castsi256_si512(bf16_pack(a));
            return _mm512_inserti64x4::<1>(lo, bf16_pack(b));
        }
        std::mem::transmute::<__m512bh, __m512i>(_mm512_cvtne2ps_pbh(b, a))
    }
}

impl<const BF16: bool> Simd for Avx512F32<BF16> {
    type Elem = f32;
    type V = __m512;
    type M = __mmask16;
    const LANES: usize = 16;
    const ISA: Isa = if BF16 { Isa::Avx512Bf16 } else { Isa::Avx512 };

    #[inline(always)]
    fn splat(self, x: f32) -> __m512 {
        // SAFETY (all methods): the token proves the features; pointer contracts are the caller's.
        unsafe { _mm512_set1_ps(x) }
    }
    #[inline(always)]
    fn add(self, a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_add_ps(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_sub_ps(a, b) }
    }
    #[inline(always)]
    fn mul(self, a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_mul_ps(a, b) }
    }
    #[inline(always)]
    fn div(self, a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_div_ps(a, b) }
    }
    #[inline(always)]
    fn mul_add(self, a: __m512, b: __m512, c: __m512) -> __m512 {
        unsafe { _mm512_fmadd_ps(a, b, c) }
    }
    #[inline(always)]
    fn max(self, a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_mask_mov_ps(_mm512_max_ps(a, b), self.is_nan(a), a) }
    }
    #[inline(always)]
    fn clamp(self, x: __m512, lo: __m512, hi: __m512) -> __m512 {
        // SAFETY: the level's features are available (the token exists). maxps/minps return their
        // second operand when either is NaN, so x (then the max) passes a NaN through.
        unsafe { _mm512_min_ps(hi, _mm512_max_ps(lo, x)) }
    }
    #[inline(always)]
    fn min(self, a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_mask_mov_ps(_mm512_min_ps(a, b), self.is_nan(a), a) }
    }
    #[inline(always)]
    fn max_any_nan(self, a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_max_ps(a, b) }
    }
    #[inline(always)]
    fn min_any_nan(self, a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_min_ps(a, b) }
    }
    #[inline(always)]
    fn abs(self, a: __m512) -> __m512 {
        unsafe { _mm512_abs_ps(a) }
    }
    #[inline(always)]
    fn neg(self, a: __m512) -> __m512 {
        unsafe { _mm512_xor_ps(_mm512_set1_ps(-0.0), a) }
    }
    #[inline(always)]
    fn sqrt(self, a: __m512) -> __m512 {
        unsafe { _mm512_sqrt_ps(a) }
    }
    #[inline(always)]
    fn round(self, a: __m512) -> __m512 {
        unsafe { _mm512_roundscale_ps::<ROUND_NEAREST>(a) }
    }
    #[inline(always)]
    fn copysign(self, mag: __m512, sign: __m512) -> __m512 {
        unsafe {
            let m = _mm512_set1_ps(-0.0);
            _mm512_or_ps(_mm512_andnot_ps(m, mag), _mm512_and_ps(m, sign))
        }
    }
    #[inline(always)]
    fn lt(self, a: __m512, b: __m512) -> __mmask16 {
        unsafe { _mm512_cmp_ps_mask::<_CMP_LT_OQ>(a, b) }
    }
    #[inline(always)]
    fn le(self, a: __m512, b: __m512) -> __mmask16 {
        unsafe { _mm512_cmp_ps_mask::<_CMP_LE_OQ>(a, b) }
    }
    #[inline(always)]
    fn eq(self, a: __m512, b: __m512) -> __mmask16 {
        unsafe { _mm512_cmp_ps_mask::<_CMP_EQ_OQ>(a, b) }
    }
    #[inline(always)]
    fn is_nan(self, a: __m512) -> __mmask16 {
        unsafe { _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(a, a) }
    }
    #[inline(always)]
    fn select(self, m: __mmask16, a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_mask_blend_ps(m, b, a) }
    }
    #[inline(always)]
    fn any(self, m: __mmask16) -> bool {
        m != 0
    }
    #[inline(always)]
    fn reduce_sum(self, v: __m512) -> f32 {
        unsafe { _mm512_reduce_add_ps(v) }
    }
    #[inline(always)]
    fn reduce_max(self, v: __m512) -> f32 {
        if self.is_nan(v) != 0 {
            return f32::NAN;
        }
        unsafe { _mm512_reduce_max_ps(v) }
    }
    #[inline(always)]
    fn reduce_min(self, v: __m512) -> f32 {
        if self.is_nan(v) != 0 {
            return f32::NAN;
        }
        unsafe { _mm512_reduce_min_ps(v) }
    }
    #[inline(always)]
    unsafe fn load(self, p: *const f32) -> __m512 {
        unsafe { _mm512_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32, v: __m512) {
        unsafe { _mm512_storeu_ps(p, v) }
    }
    #[inline(always)]
    unsafe fn stream(self, p: *mut f32, v: __m512) {
        unsafe { _mm512_stream_ps(p, v) }
    }
    #[inline(always)]
    fn fence(self) {
        unsafe { _mm_sfence() }
    }
    #[inline(always)]
    fn prefetch<P>(self, p: *const P) {
        // A prefetch never faults, whatever the address.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast()) }
    }
    #[inline(always)]
    unsafe fn load_f16(self, p: *const f16) -> __m512 {
        unsafe { _mm512_cvtph_ps(_mm256_loadu_si256(p.cast())) }
    }
    #[inline(always)]
    unsafe fn store_f16(self, p: *mut f16, v: __m512) {
        unsafe { _mm256_storeu_si256(p.cast(), _mm512_cvtps_ph::<ROUND_NEAREST>(v)) }
    }
    #[inline(always)]
    unsafe fn stream_f16(self, p: *mut f16, v: __m512) {
        unsafe { _mm256_stream_si256(p.cast(), _mm512_cvtps_ph::<ROUND_NEAREST>(v)) }
    }
    #[inline(always)]
    unsafe fn load_bf16(self, p: *const bf16) -> __m512 {
        unsafe {
            let h = _mm512_cvtepu16_epi32(_mm256_loadu_si256(p.cast()));
            _mm512_castsi512_ps(_mm512_slli_epi32::<16>(h))
        }
    }
    #[inline(always)]
    unsafe fn store_bf16(self, p: *mut bf16, v: __m512) {
        unsafe { _mm256_storeu_si256(p.cast(), self.pack_bf16(v)) }
    }
    #[inline(always)]
    unsafe fn stream_bf16(self, p: *mut bf16, v: __m512) {
        unsafe { _mm256_stream_si256(p.cast(), self.pack_bf16(v)) }
    }
    #[inline(always)]
    unsafe fn store_bf16_pair<const NT: bool, const NORMAL: bool>(
        self,
        p: *mut bf16,
        a: __m512,
        b: __m512,
    ) {
        // SAFETY: the caller's contract; a `true` token exists only where AVX512-BF16 was
        // detected.
        unsafe {
            if !BF16 {
                // Integer rounding, one vector at a time (no subnormal to care about).
                return store_bf16_each::<Self, NT>(self, p, a, b);
            }
            let r = bf16_pack_pair_hw::<NORMAL>(a, b);
            if NT {
                _mm512_stream_si512(p.cast(), r);
            } else {
                _mm512_storeu_si512(p.cast(), r);
            }
        }
    }
    const FAST_SCALE_POW2: bool = true;

    #[inline(always)]
    fn scale_pow2(self, m: __m512, n: __m512) -> __m512 {
        // SAFETY: AVX-512F available (the token exists). vscalefps: m · 2^floor(n), rounded once,
        // overflow to inf and gradual underflow, whatever n.
        unsafe { _mm512_scalef_ps(m, n) }
    }

    #[inline(always)]
    fn clamp_exp2_arg(self, t: __m512) -> __m512 {
        // vfixupimmps, one nibble of response per class of t: -inf (class 4) → -MAX (response 15),
        // +inf (class 5) → +MAX (14), every other class keeps t. round(±MAX) = ±MAX, which
        // vscalefps takes (inf or 0), and ±MAX - round(±MAX) = 0.
        const TABLE: i32 = (15 << 16) | (14 << 20);
        // SAFETY: AVX-512F available (the token exists).
        unsafe { _mm512_fixupimm_ps::<0>(t, t, _mm512_set1_epi32(TABLE)) }
    }

    #[inline(always)]
    fn pow2i(self, n: __m512) -> __m512 {
        unsafe {
            let i = _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127));
            _mm512_castsi512_ps(_mm512_slli_epi32::<23>(i))
        }
    }
    #[inline(always)]
    fn frexp(self, x: __m512) -> (__m512, __m512) {
        unsafe {
            let b = _mm512_castps_si512(x);
            let e = _mm512_sub_epi32(
                _mm512_and_si512(_mm512_srli_epi32::<23>(b), _mm512_set1_epi32(0xff)),
                _mm512_set1_epi32(126),
            );
            let m = _mm512_or_si512(
                _mm512_and_si512(b, _mm512_set1_epi32(!0x7f80_0000)),
                _mm512_set1_epi32(0x3f00_0000),
            );
            (_mm512_castsi512_ps(m), _mm512_cvtepi32_ps(e))
        }
    }
}

impl Simd for Avx512F64 {
    type Elem = f64;
    type V = __m512d;
    type M = __mmask8;
    const LANES: usize = 8;
    const ISA: Isa = Isa::Avx512;

    #[inline(always)]
    fn splat(self, x: f64) -> __m512d {
        // SAFETY (all methods): the token proves the features; pointer contracts are the caller's.
        unsafe { _mm512_set1_pd(x) }
    }
    #[inline(always)]
    fn add(self, a: __m512d, b: __m512d) -> __m512d {
        unsafe { _mm512_add_pd(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: __m512d, b: __m512d) -> __m512d {
        unsafe { _mm512_sub_pd(a, b) }
    }
    #[inline(always)]
    fn mul(self, a: __m512d, b: __m512d) -> __m512d {
        unsafe { _mm512_mul_pd(a, b) }
    }
    #[inline(always)]
    fn div(self, a: __m512d, b: __m512d) -> __m512d {
        unsafe { _mm512_div_pd(a, b) }
    }
    #[inline(always)]
    fn mul_add(self, a: __m512d, b: __m512d, c: __m512d) -> __m512d {
        unsafe { _mm512_fmadd_pd(a, b, c) }
    }
    #[inline(always)]
    fn max(self, a: __m512d, b: __m512d) -> __m512d {
        unsafe { _mm512_mask_mov_pd(_mm512_max_pd(a, b), self.is_nan(a), a) }
    }
    #[inline(always)]
    fn min(self, a: __m512d, b: __m512d) -> __m512d {
        unsafe { _mm512_mask_mov_pd(_mm512_min_pd(a, b), self.is_nan(a), a) }
    }
    #[inline(always)]
    fn max_any_nan(self, a: __m512d, b: __m512d) -> __m512d {
        unsafe { _mm512_max_pd(a, b) }
    }
    #[inline(always)]
    fn min_any_nan(self, a: __m512d, b: __m512d) -> __m512d {
        unsafe { _mm512_min_pd(a, b) }
    }
    #[inline(always)]
    fn abs(self, a: __m512d) -> __m512d {
        unsafe { _mm512_abs_pd(a) }
    }
    #[inline(always)]
    fn neg(self, a: __m512d) -> __m512d {
        unsafe { _mm512_xor_pd(_mm512_set1_pd(-0.0), a) }
    }
    #[inline(always)]
    fn sqrt(self, a: __m512d) -> __m512d {
        unsafe { _mm512_sqrt_pd(a) }
    }
    #[inline(always)]
    fn round(self, a: __m512d) -> __m512d {
        unsafe { _mm512_roundscale_pd::<ROUND_NEAREST>(a) }
    }
    #[inline(always)]
    fn copysign(self, mag: __m512d, sign: __m512d) -> __m512d {
        unsafe {
            let m = _mm512_set1_pd(-0.0);
            _mm512_or_pd(_mm512_andnot_pd(m, mag), _mm512_and_pd(m, sign))
        }
    }
    #[inline(always)]
    fn lt(self, a: __m512d, b: __m512d) -> __mmask8 {
        unsafe { _mm512_cmp_pd_mask::<_CMP_LT_OQ>(a, b) }
    }
    #[inline(always)]
    fn le(self, a: __m512d, b: __m512d) -> __mmask8 {
        unsafe { _mm512_cmp_pd_mask::<_CMP_LE_OQ>(a, b) }
    }
    #[inline(always)]
    fn eq(self, a: __m512d, b: __m512d) -> __mmask8 {
        unsafe { _mm512_cmp_pd_mask::<_CMP_EQ_OQ>(a, b) }
    }
    #[inline(always)]
    fn is_nan(self, a: __m512d) -> __mmask8 {
        unsafe { _mm512_cmp_pd_mask::<_CMP_UNORD_Q>(a, a) }
    }
    #[inline(always)]
    fn select(self, m: __mmask8, a: __m512d, b: __m512d) -> __m512d {
        unsafe { _mm512_mask_blend_pd(m, b, a) }
    }
    #[inline(always)]
    fn any(self, m: __mmask8) -> bool {
        m != 0
    }
    #[inline(always)]
    fn reduce_sum(self, v: __m512d) -> f64 {
        unsafe { _mm512_reduce_add_pd(v) }
    }
    #[inline(always)]
    fn reduce_max(self, v: __m512d) -> f64 {
        if self.is_nan(v) != 0 {
            return f64::NAN;
        }
        unsafe { _mm512_reduce_max_pd(v) }
    }
    #[inline(always)]
    fn reduce_min(self, v: __m512d) -> f64 {
        if self.is_nan(v) != 0 {
            return f64::NAN;
        }
        unsafe { _mm512_reduce_min_pd(v) }
    }
    #[inline(always)]
    unsafe fn load(self, p: *const f64) -> __m512d {
        unsafe { _mm512_loadu_pd(p) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f64, v: __m512d) {
        unsafe { _mm512_storeu_pd(p, v) }
    }
    #[inline(always)]
    unsafe fn stream(self, p: *mut f64, v: __m512d) {
        unsafe { _mm512_stream_pd(p, v) }
    }
    #[inline(always)]
    fn fence(self) {
        unsafe { _mm_sfence() }
    }
    #[inline(always)]
    fn prefetch<P>(self, p: *const P) {
        // A prefetch never faults, whatever the address.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast()) }
    }
}
