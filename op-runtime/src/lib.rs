//! The opkit runtime: [`Tensor`] and [`Value`], the [`Registry`] collected from `inventory`
//! registrations, dispatch by device and dtype, and [`opcheck`].
//!
//! Users normally depend on the `opkit` facade, which re-exports this crate.

// Tensors and their parts.
mod device;
mod display;
mod dtype;
mod half_round;
mod ndarray_interop;
mod scalar;
mod storage;
mod tensor;

mod error;

// Ops: registration, lookup, calling, dispatch.
mod bind;
mod call;
mod dispatch;
mod meta;
mod opcheck;
mod record;
mod registry;
mod returns;
mod signature;
mod suggest;
mod value;

#[cfg(feature = "cuda")]
pub mod cuda;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use device::{
    Device, DeviceBackend, DeviceKind, DevicePtr, register_backend, registered_backend,
};
pub use dtype::{DType, Element, bf16, f16};
pub use error::{Error, KernelSite, Result};
pub use half_round::{bf16_from_f64, f16_from_f64};
pub use ndarray_interop::{TensorView, TensorViewMut};
pub use scalar::Scalar;
pub use storage::{BorrowKind, HOST_ALIGNMENT, SliceGuard, SliceGuardMut, Storage};
pub use tensor::Tensor;

pub use dispatch::DispatchKey;
pub use meta::{Meta, broadcast_shapes};
pub use opcheck::{Check, Outcome, Report, Sample, opcheck, opcheck_samples};
pub use record::{KernelDTypes, KernelStyle, SourceLocation};
pub use registry::{KernelInfo, OpHandle, Registry, Variant};
pub use returns::Returns;
pub use value::Value;
