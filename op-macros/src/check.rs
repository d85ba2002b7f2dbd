//! The rules that tie a schema to the Rust fn that implements it. Each rule says why it exists;
//! each error points at the tokens the user has to change.

use op_schema::{FunctionSchema, SchemaKind};
use proc_macro2::Span;
use quote::format_ident;
use syn::spanned::Spanned;
use syn::{Ident, ItemFn, LitStr};

use crate::attr::Options;
use crate::dtype::DTypeName;
use crate::sig::{KernelSig, Param, Ret};
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
                        format!("argument `{}` has type `{}`, which opkit kernels cannot take yet; supported: Tensor (with `?`, `[]`, `(a!)`), int, SymInt, float, bool, str, Scalar, ScalarType, Device, their optionals, and int[]/float[]/bool[]", a.name, u.0),
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
    let pointwise = out.is_some()
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
    let n = sig.params.len();
    let with_outs: Vec<&Slot> = args.iter().chain(outs.unwrap_or(&[])).collect();
    // Why: two signatures are accepted, and the count tells them apart, so it is checked first.
    let (style, expected): (Style, Vec<&Slot>) = match outs {
        Some(o) if n > args.len() && !o.is_empty() => (Style::Out, with_outs),
        _ => (Style::Functional, args.iter().collect()),
    };
    for (i, param) in sig.params.iter().enumerate() {
        let Some(slot) = expected.get(i) else {
            return Err(syn::Error::new(
                param.ident.span(),
                format!(
                    "parameter `{}` has no corresponding schema argument; the schema has {} argument{}{}",
                    param.ident,
                    args.len(),
                    if args.len() == 1 { "" } else { "s" },
                    outs.map_or(String::new(), |o| format!(
                        " (an out-style kernel adds its outputs: {})",
                        o.iter()
                            .map(|s| format!("`{}: {}`", s.ident, s.canon.display()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                ),
            ));
        };
        check_param(param, slot, i, args, outs.unwrap_or(&[]))?;
    }
    if let Some(missing) = expected.get(n) {
        let role = if n >= args.len() {
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
    Ok(style)
}

fn check_param(
    param: &Param,
    slot: &Slot,
    index: usize,
    args: &[Slot],
    outs: &[Slot],
) -> syn::Result<()> {
    // Why: names are how boxed callers pass keyword arguments and how readers match the Rust
    // to the schema; a silent reorder would pass `y` as `x`.
    if param.schema_name != slot.name {
        let elsewhere = args
            .iter()
            .chain(outs)
            .position(|s| s.name == param.schema_name);
        let message = match elsewhere {
            Some(j) => format!(
                "parameter `{}` is out of order: it is schema argument #{} but stands at position #{}; parameters follow the schema's order (expected `{}` here)",
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
        let hint = match (&param.user, &slot.canon) {
            (UserType::Canonical(Canon::Tensor) | UserType::View(_), Canon::TensorMut) => format!(
                "; the schema marks `{}` as written (`Tensor(a!)`), so take `&mut Tensor` or `ArrayViewMutD<T>`",
                slot.name
            ),
            (UserType::Canonical(Canon::TensorMut) | UserType::ViewMut(_), Canon::Tensor) => {
                format!(
                    "; the schema does not let the kernel write `{}`: take `&Tensor`, or annotate it `Tensor(a!) {}`",
                    slot.name, slot.name
                )
            }
            (_, Canon::Tensor) => " (or `ArrayViewD<T>`)".to_string(),
            (_, Canon::TensorMut) => " (or `ArrayViewMutD<T>`)".to_string(),
            (_, Canon::OptTensor) => " (or `Option<ArrayViewD<T>>`)".to_string(),
            _ => String::new(),
        };
        return Err(syn::Error::new(
            param.ty.span(),
            format!(
                "`{}` must be `{}`, found `{}`{}",
                slot.name,
                slot.canon.display(),
                found
                    .replace(" < ", "<")
                    .replace(" >", ">")
                    .replace("& ", "&"),
                hint
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
    let span = KernelSig::ret_span(func);
    if style == Style::Out {
        // Why: an out-style kernel's results are its outputs; returning something as well would
        // leave two answers to one question.
        return if sig.ret.is_unit() {
            Ok(())
        } else {
            Err(syn::Error::new(
                span,
                "an out-style kernel writes its results into its output parameters; return `Result<()>` (or nothing)",
            ))
        };
    }
    let expected: Vec<&RetCanon> = returns
        .iter()
        .filter(|r| r.alias_of.is_none())
        .map(|r| &r.canon)
        .collect();
    let expected_text = tuple_display(
        &expected
            .iter()
            .map(|c| c.display().to_string())
            .collect::<Vec<_>>(),
    );
    let wrong = |what: &str| {
        syn::Error::new(
            span,
            format!(
                "{what}; the schema's results make the kernel return `Result<{}>`{}",
                if expected.is_empty() {
                    "()".to_string()
                } else {
                    expected_text.clone()
                },
                if returns.iter().any(|r| r.alias_of.is_some()) {
                    " (mutated arguments it returns are not returned by the kernel)"
                } else {
                    ""
                }
            ),
        )
    };
    match (sig.ret.value(), expected.len()) {
        (None, 0) => Ok(()),
        (None, _) => Err(wrong("the kernel returns nothing")),
        (Some(_), 0) if sig.ret.is_unit() => Ok(()),
        (Some(_), 0) => Err(wrong("the schema has no results to return")),
        (Some(syn::Type::Tuple(t)), n) if n > 1 && t.elems.len() != n => Err(wrong(&format!(
            "the kernel returns {} values",
            t.elems.len()
        ))),
        (Some(syn::Type::Tuple(t)), 1) if !t.elems.is_empty() => {
            Err(wrong("the kernel returns a tuple"))
        }
        (Some(ty), n)
            if n > 1
                && !matches!(ty, syn::Type::Tuple(_))
                && matches!(sig.ret, Ret::Result(_) | Ret::Plain(_))
                && crate::types::last_ident(ty).is_some_and(|i| i == "Tensor") =>
        {
            Err(wrong("the kernel returns one value"))
        }
        _ => Ok(()),
    }
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

/// A Rust identifier for a schema name (`self` → `self_`, keywords raw).
pub fn rust_ident(name: &str) -> Ident {
    match name {
        "self" => format_ident!("self_"),
        "type" | "in" | "fn" | "match" | "move" | "ref" | "loop" | "where" | "mod" | "use"
        | "impl" | "trait" | "struct" | "enum" | "let" | "for" | "if" | "else" | "while"
        | "return" | "static" | "const" | "pub" | "box" | "async" | "await" | "dyn" | "mut"
        | "extern" | "crate" | "super" | "true" | "false" | "as" | "break" | "continue"
        | "unsafe" | "yield" | "gen" | "try" | "macro" | "abstract" | "become" | "do" | "final"
        | "override" | "priv" | "typeof" | "unsized" | "virtual" => {
            Ident::new_raw(name, Span::call_site())
        }
        _ => format_ident!("{}", name),
    }
}
