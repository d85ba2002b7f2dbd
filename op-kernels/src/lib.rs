//! opkit's built-in operators, declared with `#[custom_op]` exactly as a user declares theirs, and
//! the SIMD layer they (and user ops) are written with.
//!
//! - [`ops`]: the built-in ops of namespace `ops` (PyTorch's schemas): arithmetic with broadcasting
//!   and type promotion, activations, `sum`/`mean` over any dims, `softmax`/`log_softmax` over any
//!   dim, `rms_norm`, `layer_norm`, `matmul` and `linear`, for f32, f64, f16 and bf16 (and the
//!   integer dtypes where PyTorch has them), any strides.
//! - [`simd`]: write an elementwise or row-wise kernel body once; it is instantiated per ISA
//!   level (AVX-512 with or without AVX512-BF16, AVX2+FMA+F16C, NEON, scalar), chosen at first use.
//! - [`seed`]: `my_ops::mul3` (out style taking `&Tensor`, any numeric dtype) and `my_ops::mul4`
//!   (out style over ndarray views, generic over the element type), the examples of the design
//!   notes, both on the SIMD layer.

// `#[custom_op]` expands to paths under `::opkit`; inside opkit itself the runtime plays that role.
extern crate op_runtime as opkit;

#[cfg(feature = "cuda")]
pub mod cuda;
pub mod ops;
pub mod seed;
pub mod simd;
