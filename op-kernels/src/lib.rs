//! opkit's built-in operators and SIMD layer.
pub mod simd;
