//! Backends: one [`Simd`](super::Simd) implementation per level and lane type, and the dispatchers that
//! enter a level's `#[target_feature]` function once per kernel call.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(target_arch = "aarch64")]
mod neon;
mod scalar;

pub use scalar::{ScalarF32, ScalarF64};

use super::{Isa, Kernel};

/// Runs `k` at `isa` with f32 lanes. A level the CPU lacks runs as [`Isa::Scalar`] instead: the token
/// types are only created here, after the check, which is what makes their `unsafe` intrinsics sound.
#[inline]
pub(crate) fn dispatch_f32<K: Kernel<f32>>(isa: Isa, k: K) -> K::Output {
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the level is supported (checked by is_supported, cached).
        Isa::Avx512 | Isa::Avx512Bf16 if isa.is_supported() => unsafe {
            avx512::Avx512F32::new().vectorize(k)
        },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Isa::Avx2 if isa.is_supported() => unsafe { avx2::Avx2F32::new().vectorize(k) },
        #[cfg(target_arch = "aarch64")]
        // SAFETY: as above.
        Isa::Neon if isa.is_supported() => unsafe { neon::NeonF32::new().vectorize(k) },
        _ => k.run(ScalarF32),
    }
}

/// As [`dispatch_f32`], for kernels over bf16 buffers: at [`Isa::Avx512Bf16`] they get the token
/// that rounds with `vcvtneps2bf16` (only they are instantiated for it).
#[inline]
pub(crate) fn dispatch_bf16<K: Kernel<f32>>(isa: Isa, k: K) -> K::Output {
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the level (AVX-512 and AVX512-BF16) is supported (checked by is_supported, cached).
        Isa::Avx512Bf16 if isa.is_supported() => unsafe {
            avx512::Avx512F32::new_bf16().vectorize(k)
        },
        _ => dispatch_f32(isa, k),
    }
}

/// As [`dispatch_f32`] with f64 lanes.
#[inline]
pub(crate) fn dispatch_f64<K: Kernel<f64>>(isa: Isa, k: K) -> K::Output {
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the level is supported (checked by is_supported, cached).
        Isa::Avx512 | Isa::Avx512Bf16 if isa.is_supported() => unsafe {
            avx512::Avx512F64::new().vectorize(k)
        },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Isa::Avx2 if isa.is_supported() => unsafe { avx2::Avx2F64::new().vectorize(k) },
        #[cfg(target_arch = "aarch64")]
        // SAFETY: as above.
        Isa::Neon if isa.is_supported() => unsafe { neon::NeonF64::new().vectorize(k) },
        _ => k.run(ScalarF64),
    }
}
