//! Binding boxed arguments to a schema: positional and keyword arguments, defaults, keyword-only
//! parameters, and a type check of every value (with PyTorch's implicit conversions: an `int`
//! where a `float` or `Scalar` is expected, one `int` for an `int[N]`).

use std::borrow::Cow;

use op_schema::{Argument, BaseType, DefaultValue, FunctionSchema, Type};

use crate::signature::Signature;
use crate::suggest::closest;
use crate::{DType, Error, Result, Scalar, Value};

/// Binds `args` and `kwargs` to `schema`'s arguments (whose [`Signature`] is `signature`): one
/// value per argument, in schema order.
///
/// The common case, every argument given positionally with exactly its schema type, borrows the
/// caller's values instead of copying them; it is checked inline, and everything else is bound
/// out of line.
#[inline]
pub(crate) fn bind<'a>(
    op: &str,
    schema: &FunctionSchema,
    signature: &Signature,
    args: &'a [Value],
    kwargs: &[(&str, Value)],
) -> Result<Cow<'a, [Value]>> {
    if kwargs.is_empty() && signature.is_all_positional() && signature.fits_exactly(args) {
        return Ok(Cow::Borrowed(args));
    }
    bind_converting(op, schema, signature, args, kwargs).map(Cow::Owned)
}

/// [`bind`] for calls with keywords, defaults or values to convert.
#[inline(never)]
fn bind_converting(
    op: &str,
    schema: &FunctionSchema,
    signature: &Signature,
    args: &[Value],
    kwargs: &[(&str, Value)],
) -> Result<Vec<Value>> {
    let params = schema.arguments();
    if kwargs.is_empty() && args.len() == params.len() && signature.is_all_positional() {
        return params
            .iter()
            .zip(args)
            .map(|(param, value)| coerce(op, param, value))
            .collect();
    }
    let positional = signature.positional;
    if args.len() > positional {
        return Err(Error::TooManyArguments {
            op: op.to_string(),
            max: positional,
            given: args.len(),
            schema: schema.to_string(),
        });
    }
    let mut slots: Vec<Option<Value>> = Vec::with_capacity(params.len());
    for (param, value) in params.iter().zip(args) {
        slots.push(Some(coerce(op, param, value)?));
    }
    slots.resize(params.len(), None);
    for (name, value) in kwargs {
        let Some(index) = params.iter().position(|p| p.name == *name) else {
            return Err(Error::UnknownKeyword {
                op: op.to_string(),
                name: name.to_string(),
                suggestions: closest(name, params.iter().map(|p| p.name.as_str())),
                schema: schema.to_string(),
            });
        };
        if slots[index].is_some() {
            return Err(Error::DuplicateArgument {
                op: op.to_string(),
                arg: name.to_string(),
            });
        }
        slots[index] = Some(coerce(op, &params[index], value)?);
    }
    params
        .iter()
        .zip(slots)
        .map(|(param, slot)| match slot {
            Some(value) => Ok(value),
            None => match &param.default {
                Some(default) => default_value(op, param, default),
                None => Err(Error::MissingArgument {
                    op: op.to_string(),
                    arg: param.name.clone(),
                    ty: param.ty.to_string(),
                    schema: schema.to_string(),
                }),
            },
        })
        .collect()
}

fn coerce(op: &str, param: &Argument, value: &Value) -> Result<Value> {
    coerce_to(&param.ty, value).ok_or_else(|| {
        if is_supported(&param.ty) {
            Error::ArgumentType {
                op: op.to_string(),
                arg: param.name.clone(),
                expected: param.ty.to_string(),
                found: value.type_name().to_string(),
            }
        } else {
            unsupported(op, param)
        }
    })
}

/// The value converted to `ty`, or `None` when it does not fit.
fn coerce_to(ty: &Type, value: &Value) -> Option<Value> {
    use BaseType as B;
    let v = match (ty, value) {
        (Type::Optional(_), Value::None) => Value::None,
        (Type::Optional(inner), v) => return coerce_to(inner, v),
        (Type::Base(B::Tensor), Value::Tensor(_))
        | (Type::Base(B::Int | B::SymInt), Value::Int(_))
        | (Type::Base(B::Float), Value::Float(_))
        | (Type::Base(B::Bool), Value::Bool(_))
        | (Type::Base(B::Str), Value::Str(_))
        | (Type::Base(B::Scalar), Value::Scalar(_))
        | (Type::Base(B::ScalarType), Value::ScalarType(_))
        | (Type::Base(B::Device), Value::Device(_)) => value.clone(),
        (Type::Base(B::Float), Value::Int(i)) => Value::Float(*i as f64),
        (Type::Base(B::Scalar), Value::Int(i)) => Value::Scalar(Scalar::Int(*i)),
        (Type::Base(B::Scalar), Value::Float(f)) => Value::Scalar(Scalar::Float(*f)),
        (Type::Base(B::Scalar), Value::Bool(b)) => Value::Scalar(Scalar::Bool(*b)),
        (Type::Base(B::Device), Value::Str(s)) => Value::Device(s.parse().ok()?),
        (Type::Base(B::ScalarType), Value::Str(s)) => Value::ScalarType(s.parse::<DType>().ok()?),
        (Type::List { elem, size }, v) => return coerce_list(elem, *size, v),
        _ => return None,
    };
    Some(v)
}

fn coerce_list(elem: &Type, size: Option<usize>, value: &Value) -> Option<Value> {
    use BaseType as B;
    // `int[2]` gives the length a single int expands to, not a length lists must have: PyTorch
    // accepts `sum(x, dim=[0, 1])` for `int[1]? dim`.
    let v = match (elem, value) {
        (Type::Base(B::Tensor), Value::TensorList(_)) => value.clone(),
        (Type::Optional(inner), Value::OptionalTensorList(_)) if is_tensor(inner) => value.clone(),
        (Type::Optional(inner), Value::TensorList(ts)) if is_tensor(inner) => {
            Value::OptionalTensorList(ts.iter().cloned().map(Some).collect())
        }
        (Type::Base(B::Int | B::SymInt), Value::IntList(_)) => value.clone(),
        (Type::Base(B::Int | B::SymInt), Value::Int(i)) => Value::IntList(vec![*i; size?]),
        (Type::Base(B::Float), Value::FloatList(_)) => value.clone(),
        (Type::Base(B::Float), Value::IntList(v)) => {
            Value::FloatList(v.iter().map(|&i| i as f64).collect())
        }
        (Type::Base(B::Bool), Value::BoolList(_)) => value.clone(),
        _ => return None,
    };
    Some(v)
}

fn is_tensor(ty: &Type) -> bool {
    matches!(ty, Type::Base(BaseType::Tensor))
}

/// Whether the boxed calling convention can carry values of this type.
pub(crate) fn is_supported(ty: &Type) -> bool {
    use BaseType as B;
    match ty {
        Type::Base(b) => matches!(
            b,
            B::Tensor
                | B::Int
                | B::SymInt
                | B::Float
                | B::Bool
                | B::Str
                | B::Scalar
                | B::ScalarType
                | B::Device
        ),
        Type::Optional(inner) => !matches!(**inner, Type::Optional(_)) && is_supported(inner),
        Type::List { elem, .. } => match &**elem {
            Type::Base(b) => matches!(b, B::Tensor | B::Int | B::SymInt | B::Float | B::Bool),
            Type::Optional(inner) => is_tensor(inner),
            _ => false,
        },
        _ => false,
    }
}

fn unsupported(op: &str, param: &Argument) -> Error {
    Error::UnsupportedArgumentType {
        op: op.to_string(),
        arg: param.name.clone(),
        ty: param.ty.to_string(),
    }
}

/// The value of a schema default for the argument's type.
fn default_value(op: &str, param: &Argument, default: &DefaultValue) -> Result<Value> {
    let converted = match default {
        DefaultValue::None => Some(Value::None),
        DefaultValue::Bool(b) => Some(Value::Bool(*b)),
        DefaultValue::Int(i) => coerce_to(&param.ty, &Value::Int(*i)),
        DefaultValue::Float(f) => coerce_to(&param.ty, &Value::Float(*f)),
        DefaultValue::Str(s) => Some(Value::Str(s.clone())),
        DefaultValue::List(items) => list_default(&param.ty, items),
        DefaultValue::Named(name) => named_default(&param.ty, name),
        #[allow(unreachable_patterns)]
        _ => None,
    };
    converted.ok_or_else(|| unsupported(op, param))
}

fn list_default(ty: &Type, items: &[DefaultValue]) -> Option<Value> {
    let elem = match ty {
        Type::List { elem, .. } => elem,
        Type::Optional(inner) => return list_default(inner, items),
        _ => return None,
    };
    let v = match &**elem {
        Type::Base(BaseType::Int | BaseType::SymInt) => Value::IntList(
            items
                .iter()
                .map(|d| {
                    if let DefaultValue::Int(i) = d {
                        Some(*i)
                    } else {
                        None
                    }
                })
                .collect::<Option<_>>()?,
        ),
        Type::Base(BaseType::Float) => Value::FloatList(
            items
                .iter()
                .map(|d| match d {
                    DefaultValue::Float(f) => Some(*f),
                    DefaultValue::Int(i) => Some(*i as f64),
                    _ => None,
                })
                .collect::<Option<_>>()?,
        ),
        Type::Base(BaseType::Bool) => Value::BoolList(
            items
                .iter()
                .map(|d| {
                    if let DefaultValue::Bool(b) = d {
                        Some(*b)
                    } else {
                        None
                    }
                })
                .collect::<Option<_>>()?,
        ),
        Type::Base(BaseType::Tensor) if items.is_empty() => Value::TensorList(Vec::new()),
        _ => return None,
    };
    Some(v)
}

/// Named constants in defaults: dtype names for `ScalarType`, and the loss reductions of
/// `at::Reduction` (`None` = 0, `Mean` = 1, `Sum` = 2) for `int`.
fn named_default(ty: &Type, name: &str) -> Option<Value> {
    match ty {
        Type::Optional(inner) => named_default(inner, name),
        Type::Base(BaseType::ScalarType) => name.parse::<DType>().ok().map(Value::ScalarType),
        Type::Base(BaseType::Int) => match name {
            "Mean" => Some(Value::Int(1)),
            "Sum" => Some(Value::Int(2)),
            _ => None,
        },
        _ => None,
    }
}
