//! opkit's built-in operators, declared with `#[custom_op]` exactly as a user declares theirs, and
//! the SIMD layer they (and user ops) are written with.
//!
//! - [`simd`]: write an elementwise or row-wise kernel body once; it is instantiated per ISA
//!   level (AVX-512, AVX2+FMA+F16C, NEON, scalar), chosen at first use.
//! - [`seed`]: `my_ops::mul3` (functional style, any dtype) and `my_ops::mul4` (out style,
//!   generic over the element type), the examples of the design notes.

// `#[custom_op]` expands to paths under `::opkit`; inside opkit itself the runtime plays that role.
extern crate op_runtime as opkit;

pub mod seed;
pub mod simd;
