//! Argument and return types: the base types, `?`, lists, and c10's compound
//! types (type variables, tuples, `Dict`, `Future`, `Await`, `RRef`, `Union`,
//! `__torch__` classes).

use std::fmt;

/// A base type, spelled in a schema exactly as its `Display` prints it.
///
/// The set is the union of torchgen's `BaseTy` and the names c10's
/// `SchemaTypeParser` maps (both parsers' current versions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BaseType {
    /// `Tensor`
    Tensor,
    /// `int`: a 64-bit integer.
    Int,
    /// `SymInt`: an integer that may be symbolic during tracing.
    SymInt,
    /// `float`: a 64-bit float (C++ `double`).
    Float,
    /// `SymFloat`
    SymFloat,
    /// `complex`: a complex double.
    Complex,
    /// `bool`
    Bool,
    /// `SymBool`
    SymBool,
    /// `str`
    Str,
    /// `Scalar`: a number of any kind.
    Scalar,
    /// `ScalarType`: a dtype.
    ScalarType,
    /// `Layout`
    Layout,
    /// `MemoryFormat`
    MemoryFormat,
    /// `Device`
    Device,
    /// `DeviceIndex`
    DeviceIndex,
    /// `Generator`
    Generator,
    /// `Stream`
    Stream,
    /// `Storage`
    Storage,
    /// `QScheme`
    QScheme,
    /// `Dimname`
    Dimname,
    /// `DimVector` (torchgen)
    DimVector,
    /// `ConstQuantizerPtr`
    ConstQuantizerPtr,
    /// `Quantizer` (c10)
    Quantizer,
    /// `Capsule` (c10)
    Capsule,
    /// `Any` (c10)
    Any,
    /// `AnyClassType` (c10)
    AnyClassType,
    /// `AnyEnumType` (c10)
    AnyEnumType,
    /// `GraphModule` (torchgen, higher-order operators)
    GraphModule,
    /// `NoneType` (c10; `None` in type position is read as this and printed as `NoneType`)
    NoneType,
}

impl BaseType {
    /// Every base type, in declaration order.
    pub const ALL: [BaseType; 29] = [
        BaseType::Tensor,
        BaseType::Int,
        BaseType::SymInt,
        BaseType::Float,
        BaseType::SymFloat,
        BaseType::Complex,
        BaseType::Bool,
        BaseType::SymBool,
        BaseType::Str,
        BaseType::Scalar,
        BaseType::ScalarType,
        BaseType::Layout,
        BaseType::MemoryFormat,
        BaseType::Device,
        BaseType::DeviceIndex,
        BaseType::Generator,
        BaseType::Stream,
        BaseType::Storage,
        BaseType::QScheme,
        BaseType::Dimname,
        BaseType::DimVector,
        BaseType::ConstQuantizerPtr,
        BaseType::Quantizer,
        BaseType::Capsule,
        BaseType::Any,
        BaseType::AnyClassType,
        BaseType::AnyEnumType,
        BaseType::GraphModule,
        BaseType::NoneType,
    ];

    /// The spelling in a schema.
    ///
    /// ```
    /// assert_eq!(op_schema::BaseType::Int.as_str(), "int");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            BaseType::Tensor => "Tensor",
            BaseType::Int => "int",
            BaseType::SymInt => "SymInt",
            BaseType::Float => "float",
            BaseType::SymFloat => "SymFloat",
            BaseType::Complex => "complex",
            BaseType::Bool => "bool",
            BaseType::SymBool => "SymBool",
            BaseType::Str => "str",
            BaseType::Scalar => "Scalar",
            BaseType::ScalarType => "ScalarType",
            BaseType::Layout => "Layout",
            BaseType::MemoryFormat => "MemoryFormat",
            BaseType::Device => "Device",
            BaseType::DeviceIndex => "DeviceIndex",
            BaseType::Generator => "Generator",
            BaseType::Stream => "Stream",
            BaseType::Storage => "Storage",
            BaseType::QScheme => "QScheme",
            BaseType::Dimname => "Dimname",
            BaseType::DimVector => "DimVector",
            BaseType::ConstQuantizerPtr => "ConstQuantizerPtr",
            BaseType::Quantizer => "Quantizer",
            BaseType::Capsule => "Capsule",
            BaseType::Any => "Any",
            BaseType::AnyClassType => "AnyClassType",
            BaseType::AnyEnumType => "AnyEnumType",
            BaseType::GraphModule => "GraphModule",
            BaseType::NoneType => "NoneType",
        }
    }

    /// Looks a base type up by its schema spelling (`None` also gives [`BaseType::NoneType`]).
    ///
    /// ```
    /// use op_schema::BaseType;
    /// assert_eq!(BaseType::from_name("SymInt"), Some(BaseType::SymInt));
    /// assert_eq!(BaseType::from_name("double"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<BaseType> {
        if name == "None" {
            return Some(BaseType::NoneType);
        }
        BaseType::ALL.into_iter().find(|b| b.as_str() == name)
    }
}

impl fmt::Display for BaseType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A schema type.
///
/// `int[2]?` is `Optional(List { elem: Base(Int), size: Some(2) })`: postfix
/// operators wrap from the inside out, as they are read. Alias annotations are
/// not part of the type; they live on [`Argument`](crate::Argument) and
/// [`Return`](crate::Return), as in c10 and torchgen.
///
/// ```
/// use op_schema::{BaseType, Type};
/// let t = Type::List { elem: Box::new(Type::Optional(Box::new(Type::Base(BaseType::Tensor)))), size: None };
/// assert_eq!(t.to_string(), "Tensor?[]");
/// assert!(t.is_tensor_like());
/// assert_eq!(t.base(), Some(BaseType::Tensor));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Type {
    /// A base type such as `Tensor` or `int`.
    Base(BaseType),
    /// `T?`
    Optional(Box<Type>),
    /// `T[]`, or `T[N]` with a size.
    List {
        /// The element type.
        elem: Box<Type>,
        /// The size of `T[N]`; `None` for `T[]`.
        size: Option<usize>,
    },
    /// A c10 type variable: any other lowercase identifier, such as `t` or `t1`.
    Var(String),
    /// A c10 tuple type, `(int, str)`.
    Tuple(Vec<Type>),
    /// `Dict(K, V)`
    Dict {
        /// The key type.
        key: Box<Type>,
        /// The value type.
        value: Box<Type>,
    },
    /// `Future(T)`
    Future(Box<Type>),
    /// `Await(T)`
    Await(Box<Type>),
    /// `RRef(T)`
    RRef(Box<Type>),
    /// `Union(A, B, ...)`
    Union(Vec<Type>),
    /// A custom class, `__torch__.torch.classes.ns.Class`; holds the text after `__torch__.`.
    Class(String),
}

impl Type {
    /// `Tensor`, `Tensor?`, `Tensor[]`, `Tensor?[]` and the like: a Tensor
    /// under any mix of `?` and lists (torchgen's `is_tensor_like`).
    pub fn is_tensor_like(&self) -> bool {
        self.base() == Some(BaseType::Tensor)
    }

    /// The innermost base type under `?` and lists, if there is one.
    pub fn base(&self) -> Option<BaseType> {
        match self {
            Type::Base(b) => Some(*b),
            Type::Optional(t) | Type::List { elem: t, .. } => t.base(),
            _ => None,
        }
    }

    /// True for `T?`.
    pub fn is_optional(&self) -> bool {
        matches!(self, Type::Optional(_))
    }

    /// The list under an optional `?`: `Some` for `T[]`, `T[N]` and `T[]?`.
    pub fn as_list(&self) -> Option<(&Type, Option<usize>)> {
        match self {
            Type::List { elem, size } => Some((elem, *size)),
            Type::Optional(t) => t.as_list(),
            _ => None,
        }
    }

    /// `T` for `T?`, else the type itself.
    pub fn strip_optional(&self) -> &Type {
        match self {
            Type::Optional(t) => t,
            t => t,
        }
    }

    /// True when the type names no c10-only construct, so torchgen could read it.
    pub fn is_torchgen(&self) -> bool {
        match self {
            Type::Base(_) => true,
            Type::Optional(t) | Type::List { elem: t, .. } => t.is_torchgen(),
            Type::Class(_) => true,
            _ => false,
        }
    }

    /// The type with its outermost `?` and list suffixes removed: the part
    /// before any postfix operator (`Tensor` for `Tensor?[]`).
    pub(crate) fn primary(&self) -> &Type {
        match self {
            Type::Optional(t) | Type::List { elem: t, .. } => t.primary(),
            t => t,
        }
    }

    /// Writes the part before the postfix operators.
    pub(crate) fn fmt_primary(&self, f: &mut impl fmt::Write) -> fmt::Result {
        match self {
            Type::Base(b) => f.write_str(b.as_str()),
            Type::Var(name) => f.write_str(name),
            Type::Tuple(elems) => {
                f.write_char('(')?;
                write_list(f, elems)?;
                f.write_char(')')
            }
            Type::Dict { key, value } => write!(f, "Dict({key}, {value})"),
            Type::Future(t) => write!(f, "Future({t})"),
            Type::Await(t) => write!(f, "Await({t})"),
            Type::RRef(t) => write!(f, "RRef({t})"),
            Type::Union(elems) => {
                f.write_str("Union(")?;
                write_list(f, elems)?;
                f.write_char(')')
            }
            Type::Class(path) => write!(f, "__torch__.{path}"),
            Type::Optional(_) | Type::List { .. } => unreachable!("postfix types are not primary"),
        }
    }
}

fn write_list(f: &mut impl fmt::Write, elems: &[Type]) -> fmt::Result {
    for (i, t) in elems.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{t}")?;
    }
    Ok(())
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Optional(t) => write!(f, "{t}?"),
            Type::List {
                elem,
                size: Some(n),
            } => write!(f, "{elem}[{n}]"),
            Type::List { elem, size: None } => write!(f, "{elem}[]"),
            t => t.fmt_primary(f),
        }
    }
}

impl From<BaseType> for Type {
    fn from(b: BaseType) -> Self {
        Type::Base(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_base_type_round_trips_its_name() {
        for b in BaseType::ALL {
            assert_eq!(BaseType::from_name(b.as_str()), Some(b));
        }
        assert_eq!(BaseType::from_name("None"), Some(BaseType::NoneType));
    }

    #[test]
    fn prints_compound_types() {
        let t = Type::Optional(Box::new(Type::List {
            elem: Box::new(Type::Base(BaseType::Int)),
            size: Some(2),
        }));
        assert_eq!(t.to_string(), "int[2]?");
        let d = Type::Dict {
            key: Box::new(BaseType::Str.into()),
            value: Box::new(Type::Var("t".into())),
        };
        assert_eq!(d.to_string(), "Dict(str, t)");
        let tup = Type::List {
            elem: Box::new(Type::Tuple(vec![
                BaseType::Str.into(),
                Type::Var("t".into()),
            ])),
            size: None,
        };
        assert_eq!(tup.to_string(), "(str, t)[]");
        assert!(!tup.is_tensor_like());
        assert_eq!(
            tup.primary(),
            &Type::Tuple(vec![BaseType::Str.into(), Type::Var("t".into())])
        );
    }
}
