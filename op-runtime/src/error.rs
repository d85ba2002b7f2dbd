//! The one error type of the runtime. Every failure a caller can cause is a variant here with a
//! message that says what was wrong and how to fix it.

use crate::{DType, Device, SourceLocation};

/// Result alias used throughout opkit.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the runtime.
#[derive(Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ---- tensors, storage, devices (tensor layer) ----
    /// A tensor's dtype is not the one the caller asked for.
    #[error("dtype mismatch: expected {expected}, found {found}")]
    DTypeMismatch { expected: DType, found: DType },

    /// A device has no backend in this build, or its backend failed to start.
    #[error("device {device} is not available: {reason}")]
    DeviceUnavailable { device: Device, reason: String },

    /// A shape does not fit what an operation needs (shapes that cannot be broadcast, an output of
    /// the wrong shape, ...). `context` says which shapes and why.
    #[error("shape mismatch: {context}")]
    ShapeMismatch { context: String },

    /// A flat buffer's length does not match the element count of the shape given with it.
    #[error(
        "length mismatch: {len} elements cannot have shape {shape:?}, which holds {numel}; \
         pass a shape whose sizes multiply to {len}"
    )]
    LengthMismatch {
        len: usize,
        shape: Vec<usize>,
        numel: usize,
    },

    /// A shape argument is malformed: a negative size, more than one `-1`, or sizes that cannot
    /// hold the tensor's elements.
    #[error("invalid shape {shape:?}: {reason}")]
    InvalidShape { shape: Vec<isize>, reason: String },

    /// A shape's element count, or its size in bytes, does not fit in memory's address range.
    #[error(
        "shape {shape:?} is too large: its element count or size in bytes overflows the address \
         space; use a smaller shape"
    )]
    ShapeOverflow { shape: Vec<usize> },

    /// A dimension index is outside `-ndim..ndim`.
    #[error("{}", crate::tensor::dim_out_of_range_message(*.dim, *.ndim))]
    DimOutOfRange { dim: isize, ndim: usize },

    /// An index along a dimension is outside `-size..size`.
    #[error(
        "index {index} is out of bounds for dimension {dim} with size {size} (valid indices are \
         -{size} to {size} exclusive; negative indices count from the end)"
    )]
    IndexOutOfRange {
        index: isize,
        dim: usize,
        size: usize,
    },

    /// An operation needs a contiguous tensor.
    #[error(
        "tensor with shape {shape:?} and strides {strides:?} is not contiguous; call \
         .contiguous() to get a contiguous copy"
    )]
    NotContiguous {
        shape: Vec<usize>,
        strides: Vec<isize>,
    },

    /// `view_shape` cannot express the requested shape over these strides without a copy.
    #[error(
        "cannot view a tensor of shape {shape:?} and strides {strides:?} as shape {requested:?}: \
         a new dimension would span memory that is not evenly strided; use .reshape(...), which \
         copies when it must"
    )]
    ViewNotPossible {
        shape: Vec<usize>,
        strides: Vec<isize>,
        requested: Vec<usize>,
    },

    /// The tensor's storage is already borrowed in a conflicting way (the check never blocks).
    #[error(
        "cannot {wanted} this tensor: its storage is already being {} elsewhere (for example an \
         output that overlaps an input, or a slice or view still alive); drop the other borrow \
         first, or copy the tensor with .deep_clone()",
        .held.participle()
    )]
    StorageBorrowed {
        wanted: crate::storage::BorrowKind,
        held: crate::storage::BorrowKind,
    },

    /// A mutable access to a tensor whose elements overlap in memory (zero strides).
    #[error(
        "cannot write through a tensor whose elements overlap in memory (shape {shape:?}, strides \
         {strides:?}, as made by expand or broadcast_to): the writes would race; call \
         .contiguous() for a writable copy"
    )]
    OverlappingWrite {
        shape: Vec<usize>,
        strides: Vec<isize>,
    },

    /// Tensors that must share a device do not, or a CPU-only access met another device.
    #[error(
        "device mismatch: expected a tensor on {expected}, found one on {found}; move it with \
         .to(device)"
    )]
    DeviceMismatch { expected: Device, found: Device },

    /// An operation does not support a dtype.
    #[error("dtype {dtype} is not supported by {context}")]
    UnsupportedDType { dtype: DType, context: String },

    /// A dtype name that is neither a PyTorch ScalarType name, a PyTorch alias nor a Rust name.
    #[error(
        "unknown dtype `{name}`; expected one of: {}",
        crate::dtype::VALID_DTYPE_NAMES
    )]
    UnknownDType { name: String },

    /// A device string that does not parse.
    #[error(
        "unknown device `{name}`; expected `cpu`, `cuda`, `cuda:N`, `npu`, `npu:N` or `ascend:N` \
         (N a device index such as 0)"
    )]
    UnknownDevice { name: String },

    /// A scalar that the requested type cannot hold exactly.
    #[error("scalar {value} cannot be converted to {target} without loss")]
    ScalarConversion { value: crate::Scalar, target: DType },

    /// A single value was asked of a tensor that does not hold exactly one element.
    #[error(
        "a tensor with {numel} elements cannot be converted to a single value; only one-element \
         tensors can (use to_vec to read all elements)"
    )]
    NotOneElement { numel: usize },

    /// Memory could not be allocated.
    #[error(
        "failed to allocate {nbytes} bytes on {device}: out of memory; use smaller tensors or \
         free others"
    )]
    AllocationFailed { device: Device, nbytes: usize },

    /// A second backend was registered for a device kind that already has one.
    #[error(
        "a {kind} backend (`{existing}`) is already registered; register one backend per device \
         kind, once per process"
    )]
    BackendAlreadyRegistered {
        kind: crate::DeviceKind,
        existing: String,
    },

    /// A device backend reported a failure (a driver error, a failed copy).
    #[error("{device} backend error: {message}")]
    DeviceError { device: Device, message: String },

    /// An argument is invalid in a way no more specific variant covers; the message says how.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    // ---- registry, calls, dispatch (registry layer) ----
    /// The registry found problems in the registrations linked into this binary.
    #[error("the op registry is invalid ({} problem{}):{}", problems.len(), if problems.len() == 1 { "" } else { "s" }, list(problems))]
    RegistryInvalid { problems: Vec<Error> },

    /// A registered schema does not parse (only possible for hand-made records).
    #[error("op registered at {location} has an invalid schema `{schema}`: {message}")]
    InvalidSchemaRecord {
        schema: String,
        location: SourceLocation,
        message: String,
    },

    /// Two registrations declare the same op.
    #[error(
        "op `{name}` is declared twice: at {first} and at {second}; rename one (or give it an overload name, `{name}.my_overload`)"
    )]
    DuplicateOp {
        name: String,
        first: SourceLocation,
        second: SourceLocation,
    },

    /// Two kernels claim the same (op, backend, dtype).
    #[error(
        "op `{op}` has two kernels for {key}: {first} and {second}; remove one or narrow its `dtypes(...)`"
    )]
    DuplicateKernel {
        op: &'static str,
        /// `"(cpu, float32)"`-style: the device kind (or `composite`) and the dtype they share.
        key: Box<str>,
        first: Box<KernelSite>,
        second: Box<KernelSite>,
    },

    /// A kernel names an op that no linked crate declares.
    #[error(
        "kernel `{kernel}` at {location} is registered for op `{op}`, which is not declared{}",
        did_you_mean(suggestions)
    )]
    KernelForUnknownOp {
        op: String,
        kernel: String,
        location: SourceLocation,
        suggestions: Vec<String>,
    },

    /// The out schema recorded for an op differs from the one derived from its schema.
    #[error(
        "op `{op}` at {location} records the out variant `{declared}`, but its schema derives `{derived}`; rebuild the crate that declares it with this version of opkit"
    )]
    OutVariantMismatch {
        op: String,
        location: SourceLocation,
        declared: String,
        derived: String,
    },

    /// A lookup by name found nothing.
    #[error("no op named `{name}` is registered{}", did_you_mean(suggestions))]
    UnknownOp {
        name: String,
        suggestions: Vec<String>,
    },

    /// A name without an overload matches several overloads, and the call could not choose.
    #[error(
        "`{name}` is ambiguous: it has the overloads {}; name one (`{name}.<overload>`) or pass arguments that fit exactly one",
        quoted(overloads)
    )]
    AmbiguousOverload {
        name: String,
        overloads: Vec<String>,
    },

    /// No overload of a name accepts the given arguments.
    #[error("no overload of `{name}` accepts these arguments:{}", list(attempts))]
    NoMatchingOverload { name: String, attempts: Vec<Error> },

    /// Ops the caller expected are not in the registry: their crate was not linked.
    #[error(
        "expected ops are not registered: {}. Rust links a crate only when something names it: add `use <the crate that declares them> as _;` to your binary (or call any item of it)",
        quoted(missing)
    )]
    MissingOps { missing: Vec<String> },

    /// No kernel can run the op for this device and dtype.
    #[error("op `{op}` has no kernel for {device} with dtype {}; registered: {}. Register one with `#[kernel({op_item}, device = ..., dtypes(...))]` or convert the inputs", dtype.map_or("(none)".to_string(), |d| d.to_string()), if registered.is_empty() { "nothing".to_string() } else { registered.join(", ") }, op_item = op.rsplit("::").next().unwrap_or(op))]
    NoKernel {
        op: String,
        device: Device,
        dtype: Option<DType>,
        registered: Vec<String>,
    },

    /// Tensor arguments of one call live on different devices.
    #[error(
        "all tensor arguments of `{op}` must be on one device, but `{first_arg}` is on {first_device} and `{arg}` is on {device}; move them with `.to(device)`"
    )]
    ArgumentsOnDifferentDevices {
        op: String,
        first_arg: String,
        first_device: Device,
        arg: String,
        device: Device,
    },

    /// More positional arguments than the schema has.
    #[error("`{op}` takes at most {max} positional argument{} but {given} were given (schema: `{schema}`)", if *max == 1 { "" } else { "s" })]
    TooManyArguments {
        op: String,
        max: usize,
        given: usize,
        schema: String,
    },

    /// A required argument was not given.
    #[error("`{op}` is missing its argument `{arg}` of type `{ty}` (schema: `{schema}`)")]
    MissingArgument {
        op: String,
        arg: String,
        ty: String,
        schema: String,
    },

    /// A keyword argument names no parameter.
    #[error(
        "`{op}` has no argument named `{name}`{} (schema: `{schema}`)",
        did_you_mean(suggestions)
    )]
    UnknownKeyword {
        op: String,
        name: String,
        suggestions: Vec<String>,
        schema: String,
    },

    /// An argument was given twice (positionally and by keyword, or by keyword twice).
    #[error("`{op}` got argument `{arg}` twice")]
    DuplicateArgument { op: String, arg: String },

    /// An argument's value does not fit the schema's type.
    #[error("argument `{arg}` of `{op}` must be `{expected}`, but a `{found}` was given")]
    ArgumentType {
        op: String,
        arg: String,
        expected: String,
        found: String,
    },

    /// A schema uses a type the boxed calling convention cannot carry.
    #[error("argument `{arg}` of `{op}` has type `{ty}`, which opkit cannot pass yet")]
    UnsupportedArgumentType { op: String, arg: String, ty: String },

    /// An output tensor given to an out call does not fit the op's result.
    #[error(
        "output `{arg}` of `{op}` must be {expected} (or empty, to be resized), but it is {found}"
    )]
    OutputMismatch {
        op: String,
        arg: String,
        expected: String,
        found: String,
    },

    /// An output shares memory with an input, which the schema does not allow.
    #[error(
        "output `{output}` of `{op}` overlaps {other} in memory, which its schema does not allow; pass a separate output tensor"
    )]
    OutputOverlap {
        op: String,
        output: String,
        other: String,
    },

    /// A kernel panicked; the panic was caught at the dispatch boundary.
    #[error("kernel `{kernel}` of op `{op}` (registered at {location}) panicked: {message}")]
    KernelPanicked {
        op: String,
        kernel: String,
        location: SourceLocation,
        message: String,
    },

    /// The registry's records disagree with the calling code (a bug in generated or hand-made
    /// records, never in user input).
    #[error("internal error: {0}")]
    Internal(String),
}

/// A kernel's name and where it was registered, for messages about kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelSite {
    /// The Rust path of the kernel fn.
    pub name: &'static str,
    /// Where it was registered.
    pub location: SourceLocation,
}

impl std::fmt::Display for KernelSite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` at {}", self.name, self.location)
    }
}

/// `Debug` shows the message, as `Display` does: a `fn main() -> opkit::Result<()>` that fails
/// prints `Error: <what went wrong and what to do>` rather than a struct dump. Match on the
/// variants to inspect the fields.
impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

fn list(items: &[impl std::fmt::Display]) -> String {
    items.iter().map(|e| format!("\n  - {e}")).collect()
}

fn quoted(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn did_you_mean(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", quoted(suggestions))
    }
}
