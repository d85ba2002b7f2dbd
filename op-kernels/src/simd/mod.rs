//! The SIMD layer: kernel bodies written once over a small vector abstraction, instantiated per ISA
//! level (AVX-512 with or without AVX512-BF16, AVX2+FMA+F16C, NEON, scalar), dispatched once per call
//! on a level detected once per process.
//!
//! - [`Isa`]: detection, the `OPKIT_ISA=scalar|avx2|avx512|avx512bf16|neon` override, [`with_isa`] to
//!   force a level in-process (tests).
//! - [`Simd`]: the vector operations a kernel body uses; [`Element`]: f32, f64, f16, bf16 buffers (halves
//!   compute in f32 lanes with hardware conversion where present, correctly rounded either way).
//! - [`UnaryOp`] / [`BinaryOp`] with [`unary`], [`binary`], [`binary_scalar`]: a user's elementwise op in
//!   a few lines; [`unary_strided`] / [`binary_strided`] over [`StridedSlice`] views with broadcasting.
//! - [`rows`]: row-wise reductions (sum, mean, max, min, or a user's [`rows::ReduceOp`]) and
//!   normalisations (softmax, log_softmax, rms_norm, layer_norm).
//! - [`ops`]: the built-in elementwise kernels (mul by scalar, add/sub/mul/div, neg, abs, relu, gelu,
//!   silu, sigmoid, tanh, exp, log).
//! - Threading: [`set_num_threads`] / `OPKIT_NUM_THREADS`; work below
//!   [`PAR_MIN_BYTES_PER_THREAD`] per thread stays on the caller.
//!
//! Accuracy (f32 lanes; f64 lanes use the platform's libm for transcendentals): add/sub/mul/div/sqrt/fma
//! are correctly rounded; exp, log ≤ 2 ULP; tanh ≤ 3 ULP; erf ≤ 4 ULP (2e-7 absolute); sigmoid, silu,
//! gelu inherit those (≤ 5 ULP, or 1e-6 relative to the result's magnitude near cancellation). f16 and bf16
//! results are the f32 result rounded once to nearest even, so within 1 ULP of the element type
//! (plus the f32 error, far below it).

mod backend;
mod elementwise;
mod isa;
mod layout;
mod math;
pub mod ops;
pub mod rows;
mod strided;
mod threads;
mod vector;

use std::fmt;

pub use backend::{ScalarF32, ScalarF64};
pub use elementwise::{
    BinaryOp, NT_MIN_BYTES, Streaming, UnaryOp, binary, binary_scalar, scalar_binary,
    set_streaming, unary, unary_inplace,
};
pub use isa::{Isa, with_isa};
pub use layout::{StridedSlice, StridedSliceMut};
pub use math::erf_f64;
pub use strided::{binary_strided, unary_strided};
pub use threads::{PAR_MIN_BYTES_PER_THREAD, num_threads, set_num_threads};
#[doc(hidden)]
pub use threads::{Pool, set_par_min_bytes, set_pool};
pub use vector::{Element, Kernel, LaneFloat, MAX_LANES, Simd};

/// What can go wrong calling a kernel: every check happens before any element is touched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimdError {
    /// A slice's length does not match what the other arguments imply.
    LengthMismatch {
        /// Which argument.
        what: &'static str,
        /// The length it should have.
        expected: usize,
        /// The length it has.
        got: usize,
    },
    /// A strided view reaches outside its buffer, or its shape and strides differ in rank.
    InvalidLayout(String),
    /// Shapes that do not broadcast together.
    ShapeMismatch(String),
    /// An output view whose elements overlap (a zero stride, or interleaved strides).
    OverlappingOutput,
    /// `OPKIT_ISA` or a string that names no level.
    UnknownIsa(String),
    /// A level this CPU cannot run.
    UnsupportedIsa(Isa),
}

impl fmt::Display for SimdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimdError::LengthMismatch {
                what,
                expected,
                got,
            } => {
                write!(f, "`{what}` has {got} elements, expected {expected}")
            }
            SimdError::InvalidLayout(why) => write!(f, "invalid strided layout: {why}"),
            SimdError::ShapeMismatch(why) => write!(f, "shape mismatch: {why}"),
            SimdError::OverlappingOutput => f.write_str(
                "the output view has overlapping elements (a zero or interleaved stride)",
            ),
            SimdError::UnknownIsa(s) => {
                write!(
                    f,
                    "unknown ISA level `{s}` (expected scalar, avx2, avx512, avx512bf16 or neon)"
                )
            }
            SimdError::UnsupportedIsa(isa) => {
                write!(f, "this CPU does not support the {isa} level")
            }
        }
    }
}

impl std::error::Error for SimdError {}
