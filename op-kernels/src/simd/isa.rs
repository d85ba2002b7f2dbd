//! Instruction-set levels: detection once per process, the `OPKIT_ISA` override, and in-process forcing.

use std::cell::Cell;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use super::SimdError;

/// An instruction-set level that kernels are instantiated for.
///
/// Every kernel body is monomorphised once per level; [`Isa::active`] picks the level a call runs at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Isa {
    /// Portable Rust, one lane: runs everywhere.
    Scalar,
    /// x86-64 AVX2 + FMA + F16C (x86-64-v3): 8 f32 lanes.
    Avx2,
    /// x86-64 AVX-512 F/BW/VL/DQ on top of [`Isa::Avx2`]: 16 f32 lanes.
    Avx512,
    /// [`Isa::Avx512`] plus AVX512-BF16: kernels over bf16 buffers round with `vcvtneps2bf16`
    /// (the same bits); every other kernel runs as at [`Isa::Avx512`].
    Avx512Bf16,
    /// aarch64 Advanced SIMD: 4 f32 lanes.
    Neon,
}

impl Isa {
    /// All levels, in the order of preference on their architecture (lowest first).
    pub const ALL: [Isa; 5] = [
        Isa::Scalar,
        Isa::Avx2,
        Isa::Avx512,
        Isa::Avx512Bf16,
        Isa::Neon,
    ];

    /// The name used by `OPKIT_ISA`: `scalar`, `avx2`, `avx512`, `avx512bf16` or `neon`.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
            Isa::Avx512Bf16 => "avx512bf16",
            Isa::Neon => "neon",
        }
    }

    /// Whether this CPU can run kernels of this level. Cached after the first call.
    pub fn is_supported(self) -> bool {
        static SUPPORT: OnceLock<[bool; Isa::ALL.len()]> = OnceLock::new();
        SUPPORT.get_or_init(|| Isa::ALL.map(probe))[self as usize]
    }

    /// The best level this CPU supports, ignoring `OPKIT_ISA`. Cached after the first call.
    pub fn detect() -> Isa {
        static BEST: OnceLock<Isa> = OnceLock::new();
        *BEST.get_or_init(|| {
            [Isa::Avx512Bf16, Isa::Avx512, Isa::Avx2, Isa::Neon]
                .into_iter()
                .find(|isa| isa.is_supported())
                .unwrap_or(Isa::Scalar)
        })
    }

    /// The level kernels called from this thread run at.
    ///
    /// In order: a level forced on this thread by [`with_isa`]; else `OPKIT_ISA` (read once) when this
    /// CPU supports it; else [`Isa::detect`]. A forced level the CPU lacks is ignored with one warning
    /// on stderr, so a forced level can never execute an illegal instruction.
    pub fn active() -> Isa {
        FORCED.with(Cell::get).unwrap_or_else(process_default)
    }
}

impl fmt::Display for Isa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Isa {
    type Err = SimdError;

    fn from_str(s: &str) -> Result<Isa, SimdError> {
        Isa::ALL
            .into_iter()
            .find(|isa| isa.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| SimdError::UnknownIsa(s.to_owned()))
    }
}

thread_local! {
    static FORCED: Cell<Option<Isa>> = const { Cell::new(None) };
}

/// Runs `f` with kernels called from this thread forced to `isa` (worker threads a kernel splits its
/// work onto inherit the level, because the level is chosen before the split).
///
/// Returns [`SimdError::UnsupportedIsa`] without running `f` when this CPU lacks `isa`.
///
/// ```
/// use op_kernels::simd::{self, Isa};
/// let mut y = [0.0f32; 3];
/// simd::with_isa(Isa::Scalar, || simd::ops::mul_scalar(&[1.0f32, 2.0, 3.0], 3.0, &mut y)).unwrap().unwrap();
/// assert_eq!(y, [3.0, 6.0, 9.0]);
/// ```
pub fn with_isa<R>(isa: Isa, f: impl FnOnce() -> R) -> Result<R, SimdError> {
    if !isa.is_supported() {
        return Err(SimdError::UnsupportedIsa(isa));
    }
    struct Restore(Option<Isa>);
    impl Drop for Restore {
        fn drop(&mut self) {
            FORCED.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(FORCED.with(|c| c.replace(Some(isa))));
    Ok(f())
}

fn process_default() -> Isa {
    static DEFAULT: OnceLock<Isa> = OnceLock::new();
    *DEFAULT.get_or_init(|| match std::env::var("OPKIT_ISA") {
        Err(_) => Isa::detect(),
        Ok(s) if s.trim().is_empty() => Isa::detect(),
        Ok(s) => match s.parse::<Isa>() {
            Ok(isa) if isa.is_supported() => isa,
            Ok(isa) => {
                eprintln!(
                    "opkit: OPKIT_ISA={isa} is not supported by this CPU; using {}",
                    Isa::detect()
                );
                Isa::detect()
            }
            Err(e) => {
                eprintln!("opkit: {e}; using {}", Isa::detect());
                Isa::detect()
            }
        },
    })
}

#[allow(unreachable_code)]
fn probe(isa: Isa) -> bool {
    match isa {
        Isa::Scalar => true,
        Isa::Avx2 => {
            #[cfg(target_arch = "x86_64")]
            return std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
                && std::arch::is_x86_feature_detected!("f16c");
            false
        }
        Isa::Avx512 => {
            #[cfg(target_arch = "x86_64")]
            return probe(Isa::Avx2)
                && std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512bw")
                && std::arch::is_x86_feature_detected!("avx512vl")
                && std::arch::is_x86_feature_detected!("avx512dq");
            false
        }
        Isa::Avx512Bf16 => {
            #[cfg(target_arch = "x86_64")]
            return probe(Isa::Avx512) && std::arch::is_x86_feature_detected!("avx512bf16");
            false
        }
        Isa::Neon => {
            #[cfg(target_arch = "aarch64")]
            return std::arch::is_aarch64_feature_detected!("neon");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for isa in Isa::ALL {
            assert_eq!(isa.name().parse::<Isa>().unwrap(), isa);
        }
        assert!("sse9".parse::<Isa>().is_err());
    }

    #[test]
    fn forcing_is_scoped_and_checked() {
        let outer = Isa::active();
        with_isa(Isa::Scalar, || assert_eq!(Isa::active(), Isa::Scalar)).unwrap();
        assert_eq!(Isa::active(), outer);
        assert!(Isa::detect().is_supported());
        #[cfg(target_arch = "x86_64")]
        assert!(matches!(
            with_isa(Isa::Neon, || ()),
            Err(SimdError::UnsupportedIsa(Isa::Neon))
        ));
    }
}
