//! The mapping between schema types and Rust types.
//!
//! Every schema argument has one *canonical* Rust type (`Tensor` → `&Tensor`, `int` → `i64`, …):
//! the typed wrappers take it and the op's `Kernel`/`OutKernel` fn-pointer types are made of it.
//! A kernel may instead take an ndarray view where the canonical type is a tensor; the generated
//! adapter converts. Type names are compared by their last path segment, since a macro cannot
//! resolve paths; a type it does not recognise is passed through unchanged and left to rustc.

use op_schema::{Argument, BaseType, Return, Type};
use proc_macro2::TokenStream;
use quote::quote;

/// The canonical Rust form of a schema type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Canon {
    Tensor,
    TensorMut,
    OptTensor,
    TensorList,
    TensorListMut,
    OptTensorList,
    Int,
    Float,
    Bool,
    Str,
    Scalar,
    DType,
    Device,
    IntList,
    FloatList,
    BoolList,
    /// `T?` for a non-tensor `T`.
    Opt(Box<Canon>),
}

/// A schema type opkit cannot pass to a kernel yet.
pub struct Unsupported(pub String);

impl Canon {
    pub fn of_argument(arg: &Argument) -> Result<Canon, Unsupported> {
        Canon::of_type(&arg.ty, arg.is_write())
    }

    pub fn of_type(ty: &Type, write: bool) -> Result<Canon, Unsupported> {
        use BaseType as B;
        let unsupported = || Unsupported(ty.to_string());
        Ok(match ty {
            Type::Base(B::Tensor) if write => Canon::TensorMut,
            Type::Base(B::Tensor) => Canon::Tensor,
            Type::Base(B::Int | B::SymInt) => Canon::Int,
            Type::Base(B::Float) => Canon::Float,
            Type::Base(B::Bool) => Canon::Bool,
            Type::Base(B::Str) => Canon::Str,
            Type::Base(B::Scalar) => Canon::Scalar,
            Type::Base(B::ScalarType) => Canon::DType,
            Type::Base(B::Device) => Canon::Device,
            Type::Optional(inner) => match Canon::of_type(inner, false)? {
                Canon::Tensor if !write => Canon::OptTensor,
                c @ (Canon::Int
                | Canon::Float
                | Canon::Bool
                | Canon::Str
                | Canon::Scalar
                | Canon::DType
                | Canon::Device
                | Canon::IntList
                | Canon::FloatList) => Canon::Opt(Box::new(c)),
                _ => return Err(unsupported()),
            },
            Type::List { elem, .. } => match &**elem {
                Type::Base(B::Tensor) if write => Canon::TensorListMut,
                Type::Base(B::Tensor) => Canon::TensorList,
                Type::Optional(inner) if matches!(**inner, Type::Base(B::Tensor)) && !write => {
                    Canon::OptTensorList
                }
                Type::Base(B::Int | B::SymInt) => Canon::IntList,
                Type::Base(B::Float) => Canon::FloatList,
                Type::Base(B::Bool) => Canon::BoolList,
                _ => return Err(unsupported()),
            },
            _ => return Err(unsupported()),
        })
    }

    /// The canonical parameter type.
    pub fn tokens(&self, k: &TokenStream) -> TokenStream {
        let p = quote!(#k::__private);
        match self {
            Canon::Tensor => quote!(&#p::Tensor),
            Canon::TensorMut => quote!(&mut #p::Tensor),
            Canon::OptTensor => quote!(::core::option::Option<&#p::Tensor>),
            Canon::TensorList => quote!(&[#p::Tensor]),
            Canon::TensorListMut => quote!(&mut [#p::Tensor]),
            Canon::OptTensorList => quote!(&[::core::option::Option<#p::Tensor>]),
            Canon::Int => quote!(i64),
            Canon::Float => quote!(f64),
            Canon::Bool => quote!(bool),
            Canon::Str => quote!(&str),
            Canon::Scalar => quote!(#p::Scalar),
            Canon::DType => quote!(#p::DType),
            Canon::Device => quote!(#p::Device),
            Canon::IntList => quote!(&[i64]),
            Canon::FloatList => quote!(&[f64]),
            Canon::BoolList => quote!(&[bool]),
            Canon::Opt(inner) => {
                let inner = inner.tokens(k);
                quote!(::core::option::Option<#inner>)
            }
        }
    }

    /// The type a shape function takes in this argument's place (tensors become `Meta`s).
    pub fn meta_tokens(&self, k: &TokenStream) -> TokenStream {
        let p = quote!(#k::__private);
        match self {
            Canon::Tensor | Canon::TensorMut => quote!(&#p::Meta),
            Canon::OptTensor => quote!(::core::option::Option<&#p::Meta>),
            Canon::TensorList | Canon::TensorListMut => quote!(&[#p::Meta]),
            Canon::OptTensorList => quote!(&[::core::option::Option<#p::Meta>]),
            other => other.tokens(k),
        }
    }

    /// How the canonical type is written for users, in messages.
    pub fn display(&self) -> String {
        match self {
            Canon::Tensor => "&Tensor".into(),
            Canon::TensorMut => "&mut Tensor".into(),
            Canon::OptTensor => "Option<&Tensor>".into(),
            Canon::TensorList => "&[Tensor]".into(),
            Canon::TensorListMut => "&mut [Tensor]".into(),
            Canon::OptTensorList => "&[Option<Tensor>]".into(),
            Canon::Int => "i64".into(),
            Canon::Float => "f64".into(),
            Canon::Bool => "bool".into(),
            Canon::Str => "&str".into(),
            Canon::Scalar => "Scalar".into(),
            Canon::DType => "DType".into(),
            Canon::Device => "Device".into(),
            Canon::IntList => "&[i64]".into(),
            Canon::FloatList => "&[f64]".into(),
            Canon::BoolList => "&[bool]".into(),
            Canon::Opt(inner) => format!("Option<{}>", inner.display()),
        }
    }

    /// The `Meta` form for messages.
    pub fn meta_display(&self) -> String {
        match self {
            Canon::Tensor | Canon::TensorMut => "&Meta".into(),
            Canon::OptTensor => "Option<&Meta>".into(),
            Canon::TensorList | Canon::TensorListMut => "&[Meta]".into(),
            Canon::OptTensorList => "&[Option<Meta>]".into(),
            other => other.display(),
        }
    }

    pub fn is_tensor_like(&self) -> bool {
        matches!(
            self,
            Canon::Tensor
                | Canon::TensorMut
                | Canon::OptTensor
                | Canon::TensorList
                | Canon::TensorListMut
                | Canon::OptTensorList
        )
    }
}

/// The Rust type of a result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RetCanon {
    Tensor,
    TensorList,
    Int,
    Float,
    Bool,
    Str,
    Scalar,
    DType,
    IntList,
    FloatList,
}

impl RetCanon {
    pub fn of(ret: &Return) -> Result<RetCanon, Unsupported> {
        use BaseType as B;
        Ok(match &ret.ty {
            Type::Base(B::Tensor) => RetCanon::Tensor,
            Type::List { elem, .. } if matches!(**elem, Type::Base(B::Tensor)) => {
                RetCanon::TensorList
            }
            Type::Base(B::Int | B::SymInt) => RetCanon::Int,
            Type::Base(B::Float) => RetCanon::Float,
            Type::Base(B::Bool) => RetCanon::Bool,
            Type::Base(B::Str) => RetCanon::Str,
            Type::Base(B::Scalar) => RetCanon::Scalar,
            Type::Base(B::ScalarType) => RetCanon::DType,
            Type::List { elem, .. } if matches!(**elem, Type::Base(B::Int | B::SymInt)) => {
                RetCanon::IntList
            }
            Type::List { elem, .. } if matches!(**elem, Type::Base(B::Float)) => {
                RetCanon::FloatList
            }
            other => return Err(Unsupported(other.to_string())),
        })
    }

    pub fn tokens(&self, k: &TokenStream) -> TokenStream {
        let p = quote!(#k::__private);
        match self {
            RetCanon::Tensor => quote!(#p::Tensor),
            RetCanon::TensorList => quote!(::std::vec::Vec<#p::Tensor>),
            RetCanon::Int => quote!(i64),
            RetCanon::Float => quote!(f64),
            RetCanon::Bool => quote!(bool),
            RetCanon::Str => quote!(::std::string::String),
            RetCanon::Scalar => quote!(#p::Scalar),
            RetCanon::DType => quote!(#p::DType),
            RetCanon::IntList => quote!(::std::vec::Vec<i64>),
            RetCanon::FloatList => quote!(::std::vec::Vec<f64>),
        }
    }

    /// Whether a written result type is this one: `Some(false)` when it is clearly another
    /// (a different known type), `None` when the macro cannot tell (an alias, a path it does not
    /// know): rustc then judges.
    pub fn fits(&self, ty: &syn::Type) -> Option<bool> {
        const KNOWN: [&str; 9] = [
            "Tensor", "Vec", "i64", "f64", "bool", "String", "Scalar", "DType", "Device",
        ];
        if let syn::Type::Tuple(_) = ty {
            return Some(false);
        }
        let last = last_ident(ty)?;
        if !KNOWN.contains(&last.as_str()) {
            return None;
        }
        let elem = generic_of(ty, "Vec").and_then(|t| last_ident(&t));
        Some(match self {
            RetCanon::Tensor => last == "Tensor",
            RetCanon::TensorList => last == "Vec" && elem.as_deref().is_none_or(|e| e == "Tensor"),
            RetCanon::Int => last == "i64",
            RetCanon::Float => last == "f64",
            RetCanon::Bool => last == "bool",
            RetCanon::Str => last == "String",
            RetCanon::Scalar => last == "Scalar",
            RetCanon::DType => last == "DType",
            RetCanon::IntList => last == "Vec" && elem.as_deref().is_none_or(|e| e == "i64"),
            RetCanon::FloatList => last == "Vec" && elem.as_deref().is_none_or(|e| e == "f64"),
        })
    }

    pub fn display(&self) -> &'static str {
        match self {
            RetCanon::Tensor => "Tensor",
            RetCanon::TensorList => "Vec<Tensor>",
            RetCanon::Int => "i64",
            RetCanon::Float => "f64",
            RetCanon::Bool => "bool",
            RetCanon::Str => "String",
            RetCanon::Scalar => "Scalar",
            RetCanon::DType => "DType",
            RetCanon::IntList => "Vec<i64>",
            RetCanon::FloatList => "Vec<f64>",
        }
    }
}

/// Several results as one Rust type: `()`, the single type, or a tuple.
pub fn tuple_tokens(items: &[TokenStream]) -> TokenStream {
    match items {
        [single] => single.clone(),
        many => quote!((#(#many,)*)),
    }
}

pub fn tuple_display(items: &[String]) -> String {
    match items {
        [single] => single.clone(),
        many => format!("({})", many.join(", ")),
    }
}

/// What a kernel parameter's Rust type is, as far as the macro can tell from its tokens.
#[derive(Clone, Debug)]
pub enum UserType {
    /// Exactly the canonical type's shape (`&Tensor` for `Tensor`, `i64` for `int`, …).
    Canonical(Canon),
    /// `ArrayViewD<E>`: a read view of a tensor of element type `E`.
    View(syn::Type),
    /// `ArrayViewMutD<E>`.
    ViewMut(syn::Type),
    /// `Option<ArrayViewD<E>>`.
    OptView(syn::Type),
    /// Anything else: passed through, rustc checks it against the canonical type.
    Other,
}

impl UserType {
    pub fn classify(ty: &syn::Type) -> UserType {
        if let Some(elem) = generic_of(ty, "ArrayViewD") {
            return UserType::View(elem);
        }
        if let Some(elem) = generic_of(ty, "ArrayViewMutD") {
            return UserType::ViewMut(elem);
        }
        if let Some(inner) = generic_of(ty, "Option") {
            if let Some(elem) = generic_of(&inner, "ArrayViewD") {
                return UserType::OptView(elem);
            }
            return match UserType::classify(&inner) {
                UserType::Canonical(Canon::Tensor) => UserType::Canonical(Canon::OptTensor),
                UserType::Canonical(c) if !c.is_tensor_like() => {
                    UserType::Canonical(Canon::Opt(Box::new(c)))
                }
                _ => UserType::Other,
            };
        }
        let canon = match ty {
            syn::Type::Reference(r) => {
                let mutable = r.mutability.is_some();
                match (&*r.elem, mutable) {
                    (syn::Type::Slice(s), m) => match (last_ident(&s.elem).as_deref(), m) {
                        (Some("Tensor"), false) => Canon::TensorList,
                        (Some("Tensor"), true) => Canon::TensorListMut,
                        (Some("i64"), false) => Canon::IntList,
                        (Some("f64"), false) => Canon::FloatList,
                        (Some("bool"), false) => Canon::BoolList,
                        _ if !m
                            && generic_of(&s.elem, "Option")
                                .is_some_and(|t| last_ident(&t).as_deref() == Some("Tensor")) =>
                        {
                            Canon::OptTensorList
                        }
                        _ => return UserType::Other,
                    },
                    (elem, m) => match (last_ident(elem).as_deref(), m) {
                        (Some("Tensor"), false) => Canon::Tensor,
                        (Some("Tensor"), true) => Canon::TensorMut,
                        (Some("str"), false) => Canon::Str,
                        _ => return UserType::Other,
                    },
                }
            }
            syn::Type::Path(_) => match last_ident(ty).as_deref() {
                Some("i64") => Canon::Int,
                Some("f64") => Canon::Float,
                Some("bool") => Canon::Bool,
                Some("Scalar") => Canon::Scalar,
                Some("DType") => Canon::DType,
                Some("Device") => Canon::Device,
                _ => return UserType::Other,
            },
            _ => return UserType::Other,
        };
        UserType::Canonical(canon)
    }

    /// Whether this Rust type can stand for the canonical type `canon`. `Other` always can: rustc
    /// will judge it.
    pub fn fits(&self, canon: &Canon) -> bool {
        match (self, canon) {
            (UserType::Other, _) => true,
            (UserType::Canonical(c), canon) => c == canon,
            (UserType::View(_), Canon::Tensor) => true,
            (UserType::ViewMut(_), Canon::TensorMut) => true,
            (UserType::OptView(_), Canon::OptTensor) => true,
            _ => false,
        }
    }

    /// The element type of a view, if this is one.
    pub fn view_elem(&self) -> Option<&syn::Type> {
        match self {
            UserType::View(e) | UserType::ViewMut(e) | UserType::OptView(e) => Some(e),
            _ => None,
        }
    }
}

/// The last path segment's name of a path type.
pub fn last_ident(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => {
            p.path.segments.last().map(|s| s.ident.to_string())
        }
        syn::Type::Group(g) => last_ident(&g.elem),
        syn::Type::Paren(p) => last_ident(&p.elem),
        _ => None,
    }
}

/// For `Name<T, ...>` (last segment `name`), the first generic type argument `T`.
pub fn generic_of(ty: &syn::Type, name: &str) -> Option<syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    args.args.iter().find_map(|a| match a {
        syn::GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    })
}
