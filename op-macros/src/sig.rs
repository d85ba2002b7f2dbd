//! Reading the annotated fn: its parameters (names, types, spans), its one optional type
//! parameter (the element type of a dtype-generic kernel) and its return type.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{FnArg, GenericParam, Ident, ItemFn, Pat, ReturnType};

use crate::types::{UserType, generic_of};

/// The parts of a kernel fn the checks and the expansion need.
pub struct KernelSig {
    pub ident: Ident,
    pub params: Vec<Param>,
    /// The element-type parameter of a generic kernel (`T` in `fn mul4<T: Float>`).
    pub elem_param: Option<Ident>,
    pub ret: Ret,
    /// The span of the parameter list (for "missing parameter" errors).
    pub inputs_span: Span,
}

pub struct Param {
    /// The name as the schema spells it: `self_` in Rust is `self` in the schema, `r#type` is `type`.
    pub schema_name: String,
    pub ident: Ident,
    pub ty: syn::Type,
    pub user: UserType,
}

/// The return type, as far as it matters for matching the schema.
pub enum Ret {
    /// No return type, or `()`.
    Unit,
    /// `Result<X>` (any path ending in `Result`): `X` is the value.
    Result(syn::Type),
    /// Anything else, returned without a `Result`.
    Plain(syn::Type),
}

impl Ret {
    pub fn value(&self) -> Option<&syn::Type> {
        match self {
            Ret::Unit => None,
            Ret::Result(t) | Ret::Plain(t) => Some(t),
        }
    }

    pub fn is_unit(&self) -> bool {
        match self {
            Ret::Unit => true,
            Ret::Result(t) | Ret::Plain(t) => {
                matches!(t, syn::Type::Tuple(tuple) if tuple.elems.is_empty())
            }
        }
    }
}

impl KernelSig {
    pub fn read(func: &ItemFn) -> syn::Result<KernelSig> {
        let sig = &func.sig;
        if let Some(asyncness) = sig.asyncness {
            return Err(syn::Error::new(
                asyncness.span,
                "a kernel cannot be `async`: kernels run to completion on the calling thread",
            ));
        }
        if let Some(unsafety) = sig.unsafety {
            return Err(syn::Error::new(
                unsafety.span,
                "a kernel cannot be an `unsafe fn`: the dispatcher calls it from safe code; keep the `unsafe` blocks inside its body",
            ));
        }
        if let Some(abi) = &sig.abi {
            return Err(syn::Error::new(
                abi.span(),
                "a kernel cannot have an `extern` ABI; write a Rust fn that calls the foreign function",
            ));
        }
        if let Some(variadic) = &sig.variadic {
            return Err(syn::Error::new(
                variadic.span(),
                "a kernel cannot be variadic",
            ));
        }
        let mut elem_param = None;
        for param in &sig.generics.params {
            match param {
                GenericParam::Lifetime(_) => {}
                GenericParam::Type(t) if elem_param.is_none() => elem_param = Some(t.ident.clone()),
                GenericParam::Type(t) => {
                    return Err(syn::Error::new(
                        t.ident.span(),
                        "a kernel has at most one type parameter: the element type, instantiated for each of `dtypes(...)`",
                    ));
                }
                GenericParam::Const(c) => {
                    return Err(syn::Error::new(
                        c.span(),
                        "a kernel cannot have const generic parameters",
                    ));
                }
            }
        }
        let mut params = Vec::new();
        for input in &sig.inputs {
            let typed = match input {
                FnArg::Receiver(r) => {
                    return Err(syn::Error::new(
                        r.span(),
                        "a kernel is a free fn, not a method; a schema argument named `self` is written `self_` in Rust",
                    ));
                }
                FnArg::Typed(t) => t,
            };
            let ident = match &*typed.pat {
                Pat::Ident(p) if p.subpat.is_none() => p.ident.clone(),
                other => {
                    return Err(syn::Error::new(
                        other.span(),
                        "a kernel parameter must be a plain name, the schema argument's name; destructure inside the body",
                    ));
                }
            };
            let name = ident.to_string();
            let schema_name = match (name.strip_prefix("r#"), name.as_str()) {
                (Some(raw), _) => raw.to_string(),
                (None, "self_" | "Self_" | "crate_" | "super_" | "__") => {
                    name[..name.len() - 1].to_string()
                }
                (None, _) => name,
            };
            let ty = (*typed.ty).clone();
            params.push(Param {
                schema_name,
                ident,
                user: UserType::classify(&ty),
                ty,
            });
        }
        let ret = match &sig.output {
            ReturnType::Default => Ret::Unit,
            ReturnType::Type(_, ty) => match generic_of(ty, "Result") {
                Some(value) => Ret::Result(value),
                None => match &**ty {
                    syn::Type::Tuple(t) if t.elems.is_empty() => Ret::Unit,
                    other => Ret::Plain(other.clone()),
                },
            },
        };
        Ok(KernelSig {
            ident: sig.ident.clone(),
            params,
            elem_param,
            ret,
            inputs_span: sig.paren_token.span.join(),
        })
    }

    /// The span of the return type, or of the fn's name when it has none.
    pub fn ret_span(func: &ItemFn) -> Span {
        match &func.sig.output {
            ReturnType::Default => func.sig.paren_token.span.close(),
            ReturnType::Type(_, ty) => ty.span(),
        }
    }
}
