//! The opkit runtime: [`Tensor`] and [`Value`], the [`Registry`] collected from `inventory`
//! registrations, dispatch by device and dtype, and [`opcheck`].
//!
//! Users normally depend on the `opkit` facade, which re-exports this crate.

// Tensors and their parts.
mod device;
mod display;
mod dtype;
mod ndarray_interop;
mod scalar;
mod storage;
mod tensor;

mod error;

pub use device::Device;
pub use dtype::{DType, Element};
pub use error::{Error, Result};
pub use ndarray_interop::{TensorView, TensorViewMut};
pub use scalar::Scalar;
pub use storage::Storage;
pub use tensor::Tensor;
