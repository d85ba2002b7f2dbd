//! [`Value`]: the boxed argument and return type, like PyTorch's `IValue`.

use std::fmt;

use crate::{DType, Device, Scalar, Tensor};

/// One boxed argument or return value of an operator call.
///
/// Boxed calls (`OpHandle::call`, `Registry::call`) take and return `Value`s; the typed wrappers that
/// `#[custom_op]` generates use plain Rust types instead and never box.
///
/// ```
/// use op_runtime::{Tensor, Value};
/// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
/// let args = [Value::from(x), Value::from(2.5), Value::from(true)];
/// assert_eq!(args[1].type_name(), "float");
/// ```
#[derive(Clone, Debug)]
pub enum Value {
    /// `None`, for optional arguments.
    None,
    /// A tensor.
    Tensor(Tensor),
    /// `Tensor[]`.
    TensorList(Vec<Tensor>),
    /// `Tensor?[]`.
    OptionalTensorList(Vec<Option<Tensor>>),
    /// `int` / `SymInt`.
    Int(i64),
    /// `float`.
    Float(f64),
    /// `bool`.
    Bool(bool),
    /// `str`.
    Str(String),
    /// `Scalar`.
    Scalar(Scalar),
    /// `ScalarType`.
    ScalarType(DType),
    /// `Device`.
    Device(Device),
    /// `int[]` / `SymInt[]` / `int[N]`.
    IntList(Vec<i64>),
    /// `float[]`.
    FloatList(Vec<f64>),
    /// `bool[]` / `bool[N]`.
    BoolList(Vec<bool>),
}

impl Value {
    /// The schema spelling of this value's type, for error messages (`Tensor`, `int`, `float[]`, …).
    pub fn type_name(&self) -> &'static str {
        self.kind().type_name()
    }

    /// The tensor, if this is one.
    pub fn as_tensor(&self) -> Option<&Tensor> {
        match self {
            Value::Tensor(t) => Some(t),
            _ => None,
        }
    }

    /// The tensor, consuming the value.
    pub fn into_tensor(self) -> Option<Tensor> {
        match self {
            Value::Tensor(t) => Some(t),
            _ => None,
        }
    }

    /// The integer, if this is an `int`.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(v) => Some(*v),
            _ => None,
        }
    }

    /// The float, if this is a `float`.
    pub fn as_float(&self) -> Option<f64> {
        match self {
            Value::Float(v) => Some(*v),
            _ => None,
        }
    }

    /// The bool, if this is a `bool`.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(v) => Some(*v),
            _ => None,
        }
    }

    /// Whether this is `None`.
    pub fn is_none(&self) -> bool {
        matches!(self, Value::None)
    }

    /// The variant without its payload: names the type in messages, and is what the type checks
    /// boxed calls precompute per schema test against.
    #[inline]
    pub(crate) fn kind(&self) -> ValueKind {
        match self {
            Value::None => ValueKind::None,
            Value::Tensor(_) => ValueKind::Tensor,
            Value::TensorList(_) => ValueKind::TensorList,
            Value::OptionalTensorList(_) => ValueKind::OptionalTensorList,
            Value::Int(_) => ValueKind::Int,
            Value::Float(_) => ValueKind::Float,
            Value::Bool(_) => ValueKind::Bool,
            Value::Str(_) => ValueKind::Str,
            Value::Scalar(_) => ValueKind::Scalar,
            Value::ScalarType(_) => ValueKind::ScalarType,
            Value::Device(_) => ValueKind::Device,
            Value::IntList(_) => ValueKind::IntList,
            Value::FloatList(_) => ValueKind::FloatList,
            Value::BoolList(_) => ValueKind::BoolList,
        }
    }

    /// Every tensor held by this value, for dispatch and device checks.
    pub(crate) fn for_each_tensor<'a>(&'a self, f: &mut impl FnMut(&'a Tensor)) {
        match self {
            Value::Tensor(t) => f(t),
            Value::TensorList(ts) => ts.iter().for_each(f),
            Value::OptionalTensorList(ts) => ts.iter().flatten().for_each(f),
            _ => {}
        }
    }
}

/// The variants of [`Value`] without their payloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum ValueKind {
    None,
    Tensor,
    TensorList,
    OptionalTensorList,
    Int,
    Float,
    Bool,
    Str,
    Scalar,
    ScalarType,
    Device,
    IntList,
    FloatList,
    BoolList,
}

impl ValueKind {
    /// The schema spelling of values of this kind.
    fn type_name(self) -> &'static str {
        match self {
            ValueKind::None => "None",
            ValueKind::Tensor => "Tensor",
            ValueKind::TensorList => "Tensor[]",
            ValueKind::OptionalTensorList => "Tensor?[]",
            ValueKind::Int => "int",
            ValueKind::Float => "float",
            ValueKind::Bool => "bool",
            ValueKind::Str => "str",
            ValueKind::Scalar => "Scalar",
            ValueKind::ScalarType => "ScalarType",
            ValueKind::Device => "Device",
            ValueKind::IntList => "int[]",
            ValueKind::FloatList => "float[]",
            ValueKind::BoolList => "bool[]",
        }
    }

    /// This kind's bit in a set of kinds.
    #[inline]
    pub(crate) const fn bit(self) -> u16 {
        1 << self as u16
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::None => f.write_str("None"),
            Value::Tensor(t) => write!(f, "{t}"),
            Value::TensorList(ts) => write!(f, "[{} tensors]", ts.len()),
            Value::OptionalTensorList(ts) => write!(f, "[{} optional tensors]", ts.len()),
            Value::Int(v) => write!(f, "{v}"),
            Value::Float(v) => write!(f, "{v:?}"),
            Value::Bool(v) => f.write_str(if *v { "True" } else { "False" }),
            Value::Str(v) => write!(f, "{v:?}"),
            Value::Scalar(v) => write!(f, "{v}"),
            Value::ScalarType(v) => write!(f, "{v}"),
            Value::Device(v) => write!(f, "{v}"),
            Value::IntList(v) => write!(f, "{v:?}"),
            Value::FloatList(v) => write!(f, "{v:?}"),
            Value::BoolList(v) => write!(f, "{v:?}"),
        }
    }
}

macro_rules! value_from {
    ($($t:ty => $variant:ident),* $(,)?) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self {
                Value::$variant(v.into())
            }
        }
    )*};
}

value_from! {
    Tensor => Tensor,
    Vec<Tensor> => TensorList,
    Vec<Option<Tensor>> => OptionalTensorList,
    i64 => Int,
    i32 => Int,
    f64 => Float,
    bool => Bool,
    String => Str,
    &str => Str,
    Scalar => Scalar,
    DType => ScalarType,
    Device => Device,
    Vec<i64> => IntList,
    Vec<f64> => FloatList,
    Vec<bool> => BoolList,
}

impl From<&Tensor> for Value {
    fn from(t: &Tensor) -> Self {
        Value::Tensor(t.clone())
    }
}

impl From<&[i64]> for Value {
    fn from(v: &[i64]) -> Self {
        Value::IntList(v.to_vec())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::None, Into::into)
    }
}
