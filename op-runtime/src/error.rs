//! The one error type of the runtime. Every failure a caller can cause is a variant here with a
//! message that says what was wrong and how to fix it.

use crate::{DType, Device};

/// Result alias used throughout opkit.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the runtime.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ---- tensors, storage, devices (tensor layer) ----
    /// A tensor's dtype is not the one the caller asked for.
    #[error("dtype mismatch: expected {expected}, found {found}")]
    DTypeMismatch { expected: DType, found: DType },

    /// A device has no backend in this build, or its backend failed to start.
    #[error("device {device} is not available: {reason}")]
    DeviceUnavailable { device: Device, reason: String },
    // ---- registry, calls, dispatch (registry layer) ----
}
