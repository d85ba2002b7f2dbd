//! torchgen's rules for an operator's variants: out arguments and what an out
//! variant returns, in-place operators, mutable returns, TensorOptions.
//!
//! They describe torchgen's code generation, so they apply to schemas torchgen
//! could read; c10's JIT schemas (type variables, `Dict`, `...`) follow other
//! conventions, such as `aten::_set_item.t(t[](a!) l, int idx, t(b -> *) el) -> t[](a!)`
//! returning the list it writes.

use super::{Cx, Rule};
use crate::error::{ErrorKind, SchemaError};
use crate::kind::{SchemaKind, same_alias};
use crate::types::{BaseType, Type};

/// In the order they are checked; only for schemas torchgen could read
/// ([`FunctionSchema::is_torchgen`](crate::FunctionSchema::is_torchgen)).
pub(super) const RULES: &[Rule] = &[
    out_arguments_last,
    no_mutable_before_self,
    outs_match_returns,
    mutable_positionals_not_returned,
    returns_all_mutable_or_none,
    mutable_returns_aliased,
    inplace_writes_and_returns_self,
    tensor_options_only_functional,
    functional_overload_is_functional,
];

/// torchgen treats every keyword-only argument from the first written one on
/// as an out argument, and C++ moves them all to the front of `add_out`; a
/// read-only argument among them would be taken for an output.
fn out_arguments_last(cx: &Cx) -> Result<(), SchemaError> {
    let Some(start) = cx.groups.out_start else {
        return Ok(());
    };
    let Some(i) = (start..cx.s.arguments.len()).find(|&i| !cx.s.arguments[i].is_write()) else {
        return Ok(());
    };
    let a = &cx.s.arguments[i];
    let out = &cx.s.arguments[start].name;
    Err(cx
        .err(
            ErrorKind::OutArgumentOrder,
            cx.arg(i).whole.clone(),
            format!(
                "keyword-only argument `{}` follows the out argument `{out}` but is not written",
                a.name
            ),
        )
        .with_hint(format!(
            "move `{}` before `{out}`: out arguments come last",
            a.name
        )))
}

/// torchgen does not support written positional arguments before `self`.
fn no_mutable_before_self(cx: &Cx) -> Result<(), SchemaError> {
    for i in cx.groups.pre_self() {
        if cx.s.arguments[i].is_write() {
            return Err(cx
                .err(
                    ErrorKind::MutableBeforeSelf,
                    cx.arg(i).whole.clone(),
                    format!(
                        "written argument `{}` comes before `self`",
                        cx.s.arguments[i].name
                    ),
                )
                .with_hint("move it after `self`"));
        }
    }
    Ok(())
}

/// An out variant returns the tensors it wrote, in order, so C++ can chain
/// calls: the i-th return is the i-th out argument, with the same annotation.
/// Lists of outputs cannot be chained, so out variants with any non-Tensor
/// out argument return nothing. (Out arguments named `_scratch_*` are scratch
/// space and are not returned.)
fn outs_match_returns(cx: &Cx) -> Result<(), SchemaError> {
    let outs = cx.groups.outs(&cx.s.arguments);
    if outs.is_empty() {
        return Ok(());
    }
    let start = cx.groups.out_start.unwrap_or(0);
    let rets = &cx.s.returns;
    if let Some(k) = outs
        .iter()
        .position(|a| a.ty != Type::Base(BaseType::Tensor))
    {
        if !rets.is_empty() {
            return Err(cx
                .err(
                    ErrorKind::OutListReturns,
                    cx.spans.returns.clone(),
                    "an out variant with non-Tensor out arguments must return `()`",
                )
                .with_note(format!(
                    "out argument `{}` is a `{}`",
                    outs[k].name, outs[k].ty
                ))
                .with_hint("write `-> ()`"));
        }
        return Ok(());
    }
    // Scratch out arguments are not returned, so they take no place among the returns.
    let returned_outs = outs.iter().filter(|a| !a.name.starts_with("_scratch_"));
    for (k, (out, ret)) in returned_outs.zip(rets).enumerate() {
        if !same_alias(out.alias.as_ref(), ret.alias.as_ref()) {
            let span = cx.ret(k).alias.clone().unwrap_or(cx.ret(k).ty.clone());
            let want = out
                .alias
                .as_ref()
                .map(|a| a.to_string())
                .unwrap_or_default();
            return Err(cx
                .err(ErrorKind::OutReturnMismatch, span, format!("return {} must alias out argument `{}`", k + 1, out.name))
                .with_note(format!("the i-th return of an out variant is its i-th out argument; `{}` is `Tensor{want}`", out.name))
                .with_hint(format!("write `Tensor{want}`")));
        }
    }
    let returned = outs
        .iter()
        .filter(|a| !a.name.starts_with("_scratch_"))
        .count();
    if returned != rets.len() {
        let names: Vec<String> = (start..cx.s.arguments.len())
            .map(|i| cx.s.arguments[i].name.clone())
            .collect();
        return Err(cx
            .err(ErrorKind::OutReturnCount, cx.spans.returns.clone(), format!("an out variant must return its {returned} out argument(s), but returns {}", rets.len()))
            .with_note(format!("out arguments: {}", names.join(", ")))
            .with_hint("return each out argument once, in order, with its annotation: `-> (Tensor(a!), Tensor(b!))`"));
    }
    Ok(())
}

/// torchgen pairs a mutable operator with a generated functional variant that
/// returns the written arguments; that only works when they are not already
/// returned.
fn mutable_positionals_not_returned(cx: &Cx) -> Result<(), SchemaError> {
    for i in cx.groups.post_self() {
        let a = &cx.s.arguments[i];
        if !a.is_write() {
            continue;
        }
        if let Some(k) =
            cx.s.returns
                .iter()
                .position(|r| same_alias(a.alias.as_ref(), r.alias.as_ref()))
        {
            return Err(cx
                .err(ErrorKind::MutablePositionalReturned, cx.ret(k).whole.clone(), format!("written positional argument `{}` is also returned", a.name))
                .with_hint(format!("return `()` instead; or, if `{}` is the output, make it keyword-only (after `*`) to declare an out variant", a.name)));
        }
    }
    Ok(())
}

/// torchgen forbids `-> (Tensor(a!), Tensor)`: you cannot chain on a written
/// tensor inside a tuple, so written tensors should simply not be returned.
fn returns_all_mutable_or_none(cx: &Cx) -> Result<(), SchemaError> {
    let rets = &cx.s.returns;
    if !rets.iter().any(|r| r.is_write()) {
        return Ok(());
    }
    if let Some(k) = rets.iter().position(|r| !r.is_write()) {
        return Err(cx
            .err(
                ErrorKind::MixedMutableReturns,
                cx.ret(k).whole.clone(),
                "returns must be all written or all new values",
            )
            .with_hint("do not return the written tensors; return only the new values"));
    }
    Ok(())
}

/// A written return is an argument handed back; it must be one the caller
/// passed as an output, an out argument or `self`.
fn mutable_returns_aliased(cx: &Cx) -> Result<(), SchemaError> {
    let args = &cx.s.arguments;
    let candidates =
        |i: &usize| args[*i].is_out() || (*i < cx.groups.positional_end && args[*i].name == "self");
    for (k, r) in cx.s.returns.iter().enumerate() {
        if !r.is_write() {
            continue;
        }
        let aliased = |i: &usize| same_alias(args[*i].alias.as_ref(), r.alias.as_ref());
        if (0..args.len()).filter(candidates).any(|i| aliased(&i)) {
            continue;
        }
        let span = cx.ret(k).alias.clone().unwrap_or(cx.ret(k).whole.clone());
        let err = cx.err(
            ErrorKind::MutableReturnNotAliased,
            span,
            format!(
                "written return `{}` is not an out argument or `self`",
                cx.text.get(cx.ret(k).ty.clone()).unwrap_or_default()
            ),
        );
        return Err(match (0..args.len()).find(aliased) {
            Some(i) => err
                .with_note(format!("it aliases positional argument `{}`", args[i].name))
                .with_hint(format!(
                    "did you forget to make `{}` keyword-only? put `*` before it",
                    args[i].name
                )),
            None => err.with_hint(
                "annotate the argument it returns with the same set, such as `Tensor(a!) out`",
            ),
        });
    }
    Ok(())
}

/// `foo_` and `__iadd__` promise to write `self` and, for a Tensor `self`,
/// to return it so calls chain (`x.add_(y).mul_(z)`).
fn inplace_writes_and_returns_self(cx: &Cx) -> Result<(), SchemaError> {
    if !cx.s.name.is_inplace() {
        return Ok(());
    }
    let name = cx.s.base_name();
    let Some(i) = cx
        .groups
        .self_index
        .filter(|&i| cx.s.arguments[i].is_write())
    else {
        let (span, note) = match cx.groups.self_index {
            Some(i) => (cx.arg(i).ty.clone(), "`self` is not annotated as written"),
            None => (
                cx.spans.base.clone(),
                "it has no positional `self` argument",
            ),
        };
        return Err(cx
            .err(ErrorKind::InplaceSelfNotMutable, span, format!("in-place operator `{name}` must write to `self`"))
            .with_note(note)
            .with_hint("write `Tensor(a!) self` (and return `Tensor(a!)`), or drop the trailing `_` if it is not in place"));
    };
    let self_arg = &cx.s.arguments[i];
    let rets = &cx.s.returns;
    if self_arg.ty == Type::Base(BaseType::Tensor) {
        if rets.len() != 1 || !same_alias(self_arg.alias.as_ref(), rets[0].alias.as_ref()) {
            let a = self_arg
                .alias
                .as_ref()
                .map(|a| a.to_string())
                .unwrap_or_default();
            return Err(cx
                .err(
                    ErrorKind::InplaceReturn,
                    cx.spans.returns.clone(),
                    format!("in-place operator `{name}` must return `self`"),
                )
                .with_hint(format!("write `-> Tensor{a}`")));
        }
    } else if !rets.is_empty() {
        return Err(cx
            .err(
                ErrorKind::InplaceReturn,
                cx.spans.returns.clone(),
                format!(
                    "in-place operator `{name}` on a `{}` must return `()`",
                    self_arg.ty
                ),
            )
            .with_hint("write `-> ()`: only a Tensor `self` is returned for chaining"));
    }
    Ok(())
}

/// TensorOptions (`dtype`, `layout`, `device`, `pin_memory`) describe a tensor
/// the operator allocates, so only functional (factory) operators take them;
/// an out or in-place variant writes into a tensor that already exists.
fn tensor_options_only_functional(cx: &Cx) -> Result<(), SchemaError> {
    let Some(i) = cx.groups.tensor_options else {
        return Ok(());
    };
    let kind = cx.s.kind();
    if kind == SchemaKind::Functional {
        return Ok(());
    }
    Err(cx
        .err(ErrorKind::TensorOptionsNotFunctional, cx.arg(i).whole.clone(), format!("{} cannot take TensorOptions (`dtype`, `layout`, `device`, `pin_memory`)", describe(kind)))
        .with_hint("the output already exists, so drop these arguments (its dtype and device are the output's)"))
}

/// torchgen generates `<op>.functional` overloads for mutable operators, so an
/// overload name containing `functional` is reserved for functional schemas.
fn functional_overload_is_functional(cx: &Cx) -> Result<(), SchemaError> {
    let Some(overload) = cx.s.overload() else {
        return Ok(());
    };
    if !overload.contains("functional") || cx.s.kind() == SchemaKind::Functional {
        return Ok(());
    }
    Err(cx
        .err(
            ErrorKind::FunctionalOverloadMismatch,
            cx.spans.overload.clone().unwrap_or_default(),
            format!("overload `{overload}` says functional, but the operator writes its arguments"),
        )
        .with_hint("choose an overload name without `functional`"))
}

/// A kind of variant in a sentence: "an out variant cannot ...".
fn describe(kind: SchemaKind) -> &'static str {
    match kind {
        SchemaKind::Functional => "a functional operator",
        SchemaKind::Inplace => "an in-place operator",
        SchemaKind::Out => "an out variant",
        SchemaKind::Scratch => "an out variant with scratch arguments",
        SchemaKind::Mutable => "a mutable operator",
    }
}
