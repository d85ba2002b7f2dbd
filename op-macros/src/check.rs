//! The rules that tie a schema to the Rust fn that implements it. Each rule says why it exists;
//! each error points at the tokens the user has to change.

use op_schema::{FunctionSchema, SchemaKind};
use proc_macro2::Span;
use quote::format_ident;
use syn::spanned::Spanned;
use syn::{Ident, ItemFn, LitStr};

use crate::attr::Options;
use crate::dtype::DTypeName;
use crate::sig::{KernelSig, Param};
use crate::types::{Canon, RetCanon, UserType, tuple_display};

/// Everything the expansion needs, checked.
pub struct Plan {
    pub schema: FunctionSchema,
    pub args: Vec<Slot>,
    /// The out variant's schema text and its output arguments, when the op has one.
    pub out: Option<(String, Vec<Slot>)>,
    pub returns: Vec<RetPlan>,
    pub style: Style,
    pub pointwise: bool,
    pub dtypes: DTypes,
}

/// One argument of the op (or one output of its out variant).
pub struct Slot {
    pub name: String,
    pub ident: Ident,
    pub canon: Canon,
}

pub struct RetPlan {
    pub canon: RetCanon,
    /// For a result that is a mutated argument (`Tensor(a!)`): that argument's index. The kernel
    /// does not return it; the wrapper returns the argument.
    pub alias_of: Option<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Functional,
    Out,
}

/// The dtypes a kernel is registered for.
pub enum DTypes {
    /// Any dtype (the kernel takes tensors and looks at the dtype itself).
    Any,
    /// A non-generic kernel for these dtypes.
    Fixed(Vec<DTypeName>),
    /// A generic kernel, instantiated once per dtype.
    Generic(Vec<DTypeName>),
}

/// Parses and validates the schema, with the schema error shown in full (stable Rust cannot
/// point inside a string literal, so the caret is drawn in the message).
pub fn schema(lit: &LitStr) -> syn::Result<FunctionSchema> {
    let text = lit.value();
    let schema = FunctionSchema::parse(&text)
        .map_err(|e| syn::Error::new(lit.span(), format!("invalid schema: {e}")))?;
    // Why: op names are global across every crate linked into a binary; a namespace keeps two
    // crates' `relu`s apart, and PyTorch requires one for custom ops too.
    if schema.namespace().is_none() {
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "the op needs a namespace, as in `my_ops::{}`: op names are global to the binary",
                schema.name()
            ),
        ));
    }
    Ok(schema)
}

/// Matches the schema against the fn and the options.
pub fn plan(
    lit: &LitStr,
    schema: FunctionSchema,
    func: &ItemFn,
    sig: &KernelSig,
    options: &Options,
) -> syn::Result<Plan> {
    let args = schema
        .arguments()
        .iter()
        .map(|a| {
            // Why: a kernel receives each argument as a concrete Rust type; a type without one
            // (Generator, Layout, …) would compile here and fail at every call.
            Canon::of_argument(a)
                .map(|canon| Slot { name: a.name.clone(), ident: rust_ident(&a.name), canon })
                .map_err(|u| {
                    syn::Error::new(
                        lit.span(),
                        format!("argument `{}` has type `{}`, which opkit kernels cannot take yet (`{}` has no Rust form); supported: Tensor (with `?`, `[]`, `(a!)`), int, SymInt, float, bool, str, Scalar, ScalarType, Device, their optionals, and int[]/float[]/bool[]", a.name, a.ty, u.0),
                    )
                })
        })
        .collect::<syn::Result<Vec<_>>>()?;

    let returns = schema
        .returns()
        .iter()
        .map(|r| {
            let canon = RetCanon::of(r).map_err(|u| {
                syn::Error::new(
                    lit.span(),
                    format!(
                        "result type `{}` is not supported by opkit kernels yet",
                        u.0
                    ),
                )
            })?;
            let alias_of = r.alias().filter(|a| a.is_write).and_then(|alias| {
                schema.arguments().iter().position(|a| {
                    a.alias()
                        .is_some_and(|b| b.is_write && b.before == alias.before)
                })
            });
            Ok(RetPlan { canon, alias_of })
        })
        .collect::<syn::Result<Vec<_>>>()?;

    let out = match schema.kind() {
        SchemaKind::Functional => schema.out_variant().ok().map(|out| {
            let outs: Vec<Slot> = out
                .arguments()
                .iter()
                .filter(|a| a.is_out())
                .map(|a| Slot {
                    name: a.name.clone(),
                    ident: rust_ident(&a.name),
                    canon: Canon::of_argument(a).unwrap_or(Canon::TensorMut),
                })
                .collect();
            (out.to_string(), outs)
        }),
        _ => None,
    };

    let style = match_params(sig, &args, out.as_ref().map(|(_, o)| o.as_slice()))?;
    check_return(func, sig, style, &returns)?;

    // Why: broadcasting is the only shape rule opkit can know without being told, and it is
    // right only for ops whose inputs are all tensors combined element by element into one
    // tensor of the same dtype.
    // An op that names its own shape function is not pointwise, whatever its signature: the
    // runtime's broadcasting shortcuts must not override the function (matmul has two tensors
    // in and one out, too).
    let pointwise = options.shape.is_none()
        && out.is_some()
        && !args.is_empty()
        && args.iter().all(|a| a.canon == Canon::Tensor)
        && schema.arguments().iter().all(|a| a.alias().is_none())
        && returns.len() == 1
        && returns[0].canon == RetCanon::Tensor;
    match (&options.shape, out.is_some(), pointwise) {
        (None, true, false) => return Err(missing_shape(lit, &schema, &args, &returns, sig)),
        (Some(path), false, _) => {
            return Err(syn::Error::new(
                path.span(),
                "this op has no out variant (it mutates its arguments or returns non-tensors), so there is no result shape to infer; remove `shape = ...`",
            ));
        }
        _ => {}
    }
    let dtypes = dtypes(sig, options)?;
    Ok(Plan {
        schema,
        args,
        out,
        returns,
        style,
        pointwise,
        dtypes,
    })
}

/// Matches the fn's parameters to the schema: the declared arguments in order (functional
/// style), or those followed by the outputs (out style).
fn match_params(sig: &KernelSig, args: &[Slot], outs: Option<&[Slot]>) -> syn::Result<Style> {
    // Why: two signatures are accepted; a parameter after the arguments that is named like the
    // first output, or takes a mutable tensor, says the kernel is out-style.
    let out_style = match (outs, sig.params.get(args.len())) {
        (Some(outs), Some(next)) => {
            outs.first().is_some_and(|o| o.name == next.schema_name)
                || matches!(
                    next.user,
                    UserType::ViewMut(_)
                        | UserType::Canonical(Canon::TensorMut | Canon::TensorListMut)
                )
        }
        _ => false,
    };
    let expected: Vec<&Slot> = if out_style {
        args.iter().chain(outs.unwrap_or(&[])).collect()
    } else {
        args.iter().collect()
    };
    for (i, param) in sig.params.iter().enumerate() {
        let Some(slot) = expected.get(i) else {
            let outputs = outs
                .filter(|o| !o.is_empty() && !out_style)
                .map_or(String::new(), |o| {
                    format!(
                        "; an out-style kernel would continue with its outputs: {}",
                        o.iter()
                            .map(|s| format!("`{}: {}`", s.ident, s.canon.display()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                });
            return Err(syn::Error::new(
                param.ident.span(),
                format!(
                    "parameter `{}` has no corresponding schema argument: the schema has {} argument{}{outputs}",
                    param.ident,
                    args.len(),
                    if args.len() == 1 { "" } else { "s" },
                ),
            ));
        };
        check_param(param, slot, i, &expected)?;
    }
    if let Some(missing) = expected.get(sig.params.len()) {
        let role = if sig.params.len() >= args.len() {
            "output"
        } else {
            "schema argument"
        };
        return Err(syn::Error::new(
            sig.inputs_span,
            format!(
                "missing parameter `{}: {}` for {role} `{}`",
                missing.ident,
                missing.canon.display(),
                missing.name
            ),
        ));
    }
    Ok(if out_style {
        Style::Out
    } else {
        Style::Functional
    })
}

fn check_param(param: &Param, slot: &Slot, index: usize, expected: &[&Slot]) -> syn::Result<()> {
    // Why: names are how boxed callers pass keyword arguments and how readers match the Rust
    // to the schema; a silent reorder would pass `y` as `x`.
    if param.schema_name != slot.name {
        let elsewhere = expected.iter().position(|s| s.name == param.schema_name);
        let message = match elsewhere {
            Some(j) => format!(
                "parameter `{}` is out of order: the schema has it at position #{}, not #{}; parameters follow the schema's order (expected `{}` here)",
                param.ident,
                j + 1,
                index + 1,
                slot.ident
            ),
            None => format!(
                "parameter `{}` does not match the schema: expected `{}` (schema argument #{}){}",
                param.ident,
                slot.ident,
                index + 1,
                if slot.name == "self" {
                    "; a schema argument `self` is written `self_` in Rust"
                } else {
                    ""
                }
            ),
        };
        return Err(syn::Error::new(param.ident.span(), message));
    }
    // Why: the type decides how the dispatcher hands the value over; mutability in particular
    // must agree with the schema's `(a!)`, which tells callers and opcheck what gets written.
    if !param.user.fits(&slot.canon) {
        let found = quote::ToTokens::to_token_stream(&param.ty).to_string();
        let found = found
            .replace(" < ", "<")
            .replace(" >", ">")
            .replace("& ", "&")
            .replace(" ,", ",");
        let alternative = match slot.canon {
            Canon::Tensor => " (or `ArrayViewD<T>`)",
            Canon::TensorMut => " (or `ArrayViewMutD<T>`)",
            Canon::OptTensor => " (or `Option<ArrayViewD<T>>`)",
            _ => "",
        };
        let why = match (&param.user, &slot.canon) {
            (UserType::Canonical(Canon::Tensor) | UserType::View(_), Canon::TensorMut) => {
                format!(
                    ": the schema marks `{}` as written (`Tensor(a!)`)",
                    slot.name
                )
            }
            (UserType::Canonical(Canon::TensorMut) | UserType::ViewMut(_), Canon::Tensor) => {
                format!(
                    ": the schema does not let the kernel write `{}`; annotate it `Tensor(a!) {}` if it must",
                    slot.name, slot.name
                )
            }
            _ => String::new(),
        };
        return Err(syn::Error::new_spanned(
            &param.ty,
            format!(
                "`{}` must be `{}`{alternative}, found `{found}`{why}",
                param.ident,
                slot.canon.display()
            ),
        ));
    }
    Ok(())
}

/// The kernel's results must be the schema's, minus the mutated arguments it returns.
fn check_return(
    func: &ItemFn,
    sig: &KernelSig,
    style: Style,
    returns: &[RetPlan],
) -> syn::Result<()> {
    let error = |message: String| match &func.sig.output {
        syn::ReturnType::Type(_, ty) => syn::Error::new_spanned(ty, message),
        syn::ReturnType::Default => syn::Error::new(KernelSig::ret_span(func), message),
    };
    if style == Style::Out {
        // Why: an out-style kernel's results are its outputs; returning something as well would
        // leave two answers to one question.
        return if sig.ret.is_unit() {
            Ok(())
        } else {
            Err(error("an out-style kernel writes its results into its output parameters; return `Result<()>` (or nothing)".into()))
        };
    }
    let expected: Vec<&RetCanon> = returns
        .iter()
        .filter(|r| r.alias_of.is_none())
        .map(|r| &r.canon)
        .collect();
    let expected_text = match expected.as_slice() {
        [] => "()".to_string(),
        _ => tuple_display(
            &expected
                .iter()
                .map(|c| c.display().to_string())
                .collect::<Vec<_>>(),
        ),
    };
    let aliased = returns.iter().any(|r| r.alias_of.is_some());
    let Some(value) = sig.ret.value().filter(|_| !sig.ret.is_unit()) else {
        return if expected.is_empty() {
            Ok(())
        } else {
            Err(error(format!(
                "the kernel returns nothing, but the schema has results: return `Result<{expected_text}>`"
            )))
        };
    };
    if expected.is_empty() {
        return Err(error(if aliased {
            "the schema's results are the arguments the op mutates, which the generated wrapper returns; the kernel returns `Result<()>`".to_string()
        } else {
            "the schema returns nothing (`-> ()`); the kernel returns `Result<()>`".to_string()
        }));
    }
    // Why: a result of the wrong shape would otherwise surface as a type error inside the
    // generated adapter, far from the return type that has to change.
    let found: Vec<&syn::Type> = match (value, expected.len()) {
        (syn::Type::Tuple(t), _) => t.elems.iter().collect(),
        (other, _) => vec![other],
    };
    let mismatch = found.len() != expected.len()
        || found
            .iter()
            .zip(&expected)
            .any(|(ty, canon)| canon.fits(ty) == Some(false));
    if mismatch {
        let count = if found.len() == expected.len() {
            String::new()
        } else {
            format!(
                " ({} value{} for {} result{})",
                found.len(),
                if found.len() == 1 { "" } else { "s" },
                expected.len(),
                if expected.len() == 1 { "" } else { "s" }
            )
        };
        return Err(error(format!(
            "the kernel must return `Result<{expected_text}>` to match the schema's results{count}{}",
            if aliased {
                "; mutated arguments the schema returns are returned by the wrapper, not the kernel"
            } else {
                ""
            }
        )));
    }
    Ok(())
}

/// The error for a non-pointwise op without `shape = ...`, with the fn to write.
fn missing_shape(
    lit: &LitStr,
    schema: &FunctionSchema,
    args: &[Slot],
    returns: &[RetPlan],
    sig: &KernelSig,
) -> syn::Error {
    let params: Vec<String> = args
        .iter()
        .map(|a| format!("{}: {}", a.ident, a.canon.meta_display()))
        .collect();
    let metas: Vec<String> = returns
        .iter()
        .map(|r| {
            if r.canon == RetCanon::TensorList {
                "Vec<Meta>".to_string()
            } else {
                "Meta".to_string()
            }
        })
        .collect();
    let name = format!("{}_shape", sig.ident);
    syn::Error::new(
        lit.span(),
        format!(
            "`{}` is not pointwise, so opkit cannot infer its result's shape: add `shape = {name}` to the attribute and write\n\n    fn {name}({}) -> opkit::Result<{}> {{\n        // the result's shape, dtype and device, from the inputs'\n    }}\n",
            schema.name(),
            params.join(", "),
            tuple_display(&metas)
        ),
    )
}

/// The dtypes a kernel is registered for, from `dtypes(...)`, its type parameter and its views.
pub fn dtypes(sig: &KernelSig, options: &Options) -> syn::Result<DTypes> {
    let given = options.dtypes.as_ref();
    if let Some(elem) = &sig.elem_param {
        // Why: a generic fn is no kernel until it is instantiated, and only the user knows for
        // which element types it is meant.
        return match given {
            Some((_, list)) => Ok(DTypes::Generic(list.clone())),
            None => Err(syn::Error::new(
                elem.span(),
                format!(
                    "`{elem}` makes this kernel generic over its element type; add `dtypes(...)` to the attribute to say which to instantiate, e.g. `dtypes(f32, f64, f16, bf16)`"
                ),
            )),
        };
    }
    let views: Vec<&syn::Type> = sig
        .params
        .iter()
        .filter_map(|p| p.user.view_elem())
        .collect();
    let Some(first) = views.first() else {
        return Ok(given.map_or(DTypes::Any, |(_, list)| DTypes::Fixed(list.clone())));
    };
    let Some(view_dtype) = DTypeName::of_rust_type(first) else {
        return match given {
            Some((_, list)) => Ok(DTypes::Fixed(list.clone())),
            None => Err(syn::Error::new(
                first.span(),
                "cannot tell which dtype this element type is; add `dtypes(...)` to the attribute",
            )),
        };
    };
    match given {
        Some((span, list)) if list.len() != 1 || list[0].rust != view_dtype.rust => {
            Err(syn::Error::new(
                *span,
                format!(
                    "the kernel's views hold `{}`, so it runs for dtype `{}` only; make it generic (`fn k<T>(x: ArrayViewD<T>, ...)`) to list several dtypes",
                    view_dtype.rust, view_dtype.rust
                ),
            ))
        }
        _ => Ok(DTypes::Fixed(vec![view_dtype])),
    }
}

/// A Rust identifier for a schema name: keywords become raw identifiers (`type` → `r#type`),
/// and the few that cannot be raw (`self`, `Self`, `crate`, `super`, `_`) take a trailing underscore
/// (`self` → `self_`), which `sig.rs` reads back.
pub fn rust_ident(name: &str) -> Ident {
    match name {
        "self" | "Self" | "crate" | "super" | "_" => format_ident!("{}_", name),
        _ => match syn::parse_str::<Ident>(name) {
            Ok(_) => format_ident!("{}", name),
            // syn refuses keywords as plain identifiers; they are fine as raw ones.
            Err(_) => Ident::new_raw(name, Span::call_site()),
        },
    }
}
