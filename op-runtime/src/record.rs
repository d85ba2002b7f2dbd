//! Registration records: the `'static`, const-constructible data that `#[custom_op]` and
//! `#[kernel]` submit through `inventory`, and that [`Registry::global`](crate::Registry::global)
//! collects at start-up.
//!
//! Users never build these by hand; they are public (hidden from the docs) so the generated code
//! can name them, and so tests can build a registry from hand-made records
//! ([`Registry::from_records`](crate::Registry::from_records)).

use std::any::Any;
use std::fmt;

use crate::{DType, DeviceKind, Meta, Result, Returns, Tensor, Value};

/// Where a record was declared: the position of the attribute in the user's source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SourceLocation {
    /// `file!()` of the declaration.
    pub file: &'static str,
    /// `line!()` of the declaration.
    pub line: u32,
    /// `column!()` of the declaration.
    pub column: u32,
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// Which dtypes a kernel accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelDTypes {
    /// Any dtype: the kernel inspects the dtype itself (a "dtype-generic" kernel).
    Any,
    /// Exactly these.
    Only(&'static [DType]),
}

/// How a kernel delivers its results, which fixes the Rust type of its typed entry point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelStyle {
    /// Returns its results (`Kernel` in the op's generated module); the out variant copies them
    /// into the given outputs.
    Functional,
    /// Writes into outputs it is given (`OutKernel`); the functional call allocates them from
    /// shape inference first. For ops without an out variant this is the same as `Functional`.
    Out,
}

/// The boxed entry point of an op, generated once per op by `#[custom_op]`: it reads the bound
/// arguments, calls the typed kernel `typed` (of the Rust type that `style` names) and returns
/// the op's results. For [`KernelStyle::Out`], `outs` holds the outputs, already checked or
/// allocated, and the returned list is empty. A written (`Tensor(a!)`) argument is passed to the
/// kernel as a new handle on the caller's storage, so the caller sees the writes.
pub type BoxedKernelFn = fn(
    typed: &'static (dyn Any + Send + Sync),
    style: KernelStyle,
    args: &[Value],
    outs: &mut [Tensor],
) -> Result<Returns>;

/// The boxed shape function of an op: the bound arguments in, the `Meta` of each Tensor result
/// out (in return order).
pub type BoxedShapeFn = fn(op: &OpDef, args: &[Value]) -> Result<Vec<Meta>>;

/// An operator definition: one per `#[custom_op]`.
#[derive(Debug)]
pub struct OpDef {
    /// The schema as the user wrote it (the macro has proved that it parses and validates).
    pub schema: &'static str,
    /// The out variant's schema as the macro derived it, when the op has one. The registry
    /// derives it again and refuses a mismatch.
    pub out_schema: Option<&'static str>,
    /// Where the op was declared.
    pub location: SourceLocation,
    /// The typed shape function (`ShapeFn` in the op's module), when the user supplied one.
    pub shape_fn: Option<&'static (dyn Any + Send + Sync)>,
    /// The boxed shape function; `None` for ops without new Tensor results.
    pub boxed_shape: Option<BoxedShapeFn>,
    /// The op's boxed entry point (shared by all its kernels).
    pub boxed: BoxedKernelFn,
    /// Shape inference is PyTorch broadcasting of all inputs.
    pub pointwise: bool,
}

/// A kernel: one implementation of an op for one backend and some dtypes.
#[derive(Debug)]
pub struct KernelDef {
    /// The op's full name, `namespace::name` or `namespace::name.overload`.
    pub op: &'static str,
    /// The kind of device it runs on (the device index plays no part in choosing a kernel);
    /// `None` for a composite kernel (written in terms of other ops, so it runs wherever they do).
    pub backend: Option<DeviceKind>,
    /// The dtypes it accepts.
    pub dtypes: KernelDTypes,
    /// How it delivers results.
    pub style: KernelStyle,
    /// The typed entry point: a `static` holding a fn pointer of the op's `Kernel` or `OutKernel`
    /// type.
    pub typed: &'static (dyn Any + Send + Sync),
    /// The Rust path of the kernel fn, for messages.
    pub name: &'static str,
    /// Where the kernel was declared.
    pub location: SourceLocation,
}

inventory::collect!(OpDef);
inventory::collect!(KernelDef);
