//! # opkit
//!
//! Declare custom tensor operators with a PyTorch-style schema that is checked against your Rust
//! fn **at compile time**, and get the out variant, shape inference, typed wrappers and a registry
//! that dispatches by device and dtype.
//!
//! ```
//! use opkit::{custom_op, Registry, Result, Tensor, Value};
//!
//! #[custom_op("intro::scale(Tensor x, float alpha=2.0) -> Tensor", shape = same_as_x)]
//! fn scale(x: &Tensor, alpha: f64) -> Result<Tensor> {
//!     let values: Vec<f32> = x.to_vec::<f32>()?.iter().map(|v| v * alpha as f32).collect();
//!     Tensor::from_vec(values, x.shape())
//! }
//!
//! fn same_as_x(x: &opkit::Meta, _alpha: f64) -> Result<opkit::Meta> {
//!     Ok(x.clone())
//! }
//!
//! # fn main() -> opkit::Result<()> {
//! let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3])?;
//! // Typed call, dispatched by device and dtype:
//! let y = scale::call(&x, 3.0)?;
//! assert_eq!(y.to_vec::<f32>()?, vec![3.0, 6.0, 9.0]);
//! // Boxed call by name, with the schema's default for `alpha`:
//! let out = Registry::global()?.call("intro::scale", &[Value::from(x)])?;
//! assert_eq!(out[0].as_tensor().unwrap().to_vec::<f32>()?, vec![2.0, 4.0, 6.0]);
//! assert_eq!(scale::OUT_SCHEMA, "intro::scale.out(Tensor x, float alpha=2.0, *, Tensor(a!) out) -> Tensor(a!)");
//! # Ok(())
//! # }
//! ```
//!
//! See the crate [`op_macros`] for the attribute's rules, and `ARCHITECTURE.md` for the map.
//!
//! **Linking.** Rust links a crate only when something names it, and an unlinked crate's ops are
//! silently absent from the registry. This facade names `op_kernels` (the built-in ops); name your
//! own op crates likewise (`use my_ops as _;`), and call [`Registry::expect_ops`] at start-up to
//! turn a missing crate into an error.

pub use op_macros::{custom_op, kernel};
pub use op_runtime::*;

/// The schema language (parser, printer, validation, out-variant derivation).
pub use op_schema as schema;

/// The built-in ops and the SIMD layer. Naming the crate here is what links its registrations.
pub use op_kernels as kernels;

/// Re-exported so kernels can take `ArrayViewD<T>` with `opkit` as their only dependency.
pub use ndarray;

/// Re-exported for `f16` and `bf16` tensors.
pub use half;

/// The README's Rust examples, compiled and run as doc tests against this crate alone.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
