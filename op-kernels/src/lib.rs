//! opkit's built-in operators and SIMD layer (filled by the kernels work).
