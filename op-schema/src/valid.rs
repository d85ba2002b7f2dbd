//! The semantic rules of c10 and torchgen, one function per rule, each with
//! the reason it exists. [`FunctionSchema::validate`] runs them in order and
//! reports the first broken one, pointing at the piece of text that breaks it.
//!
//! Where c10 accepts nonsense that only fails later (`str s=3` registers fine
//! and breaks the first call), we reject it here, at compile time.
//!
//! This file holds the rules about names, annotations and argument order;
//! [`defaults`] checks that defaults fit their types, and [`variants`] holds
//! torchgen's rules for out, in-place and mutable variants.

mod defaults;
mod variants;

use crate::alias::AliasSite;
use crate::ast::{FunctionSchema, ItemSpans, Spans};
use crate::error::{ErrorKind, SchemaError};
use crate::kind::Groups;
use crate::types::{BaseType, Type};
use defaults::defaults_fit_types;

impl FunctionSchema {
    /// Checks the semantic rules of c10 and torchgen; `parse` runs this too.
    ///
    /// ```
    /// use op_schema::{ErrorKind, FunctionSchema};
    /// let s = FunctionSchema::parse_unvalidated("f(Tensor x=1) -> Tensor").unwrap();
    /// let err = s.validate().unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::DefaultTypeMismatch);
    /// assert_eq!(err.span(), 11..12);
    /// ```
    pub fn validate(&self) -> Result<(), SchemaError> {
        let src = self.located();
        let cx = Cx {
            s: self,
            text: &src.text,
            spans: &src.spans,
            groups: Groups::of(&self.arguments),
        };
        RULES.iter().try_for_each(|rule| rule(&cx))?;
        if self.is_torchgen() {
            variants::RULES.iter().try_for_each(|rule| rule(&cx))?;
        }
        Ok(())
    }
}

/// Everything a rule looks at.
struct Cx<'a> {
    s: &'a FunctionSchema,
    text: &'a str,
    spans: &'a Spans,
    groups: Groups,
}

impl Cx<'_> {
    fn err(
        &self,
        kind: ErrorKind,
        span: std::ops::Range<usize>,
        message: impl Into<String>,
    ) -> SchemaError {
        SchemaError::new(kind, self.text, span, message)
    }

    fn arg(&self, i: usize) -> &ItemSpans {
        &self.spans.args[i]
    }

    fn ret(&self, i: usize) -> &ItemSpans {
        &self.spans.rets[i]
    }

    fn column(&self, offset: usize) -> usize {
        self.text[..offset].chars().count() + 1
    }
}

type Rule = fn(&Cx) -> Result<(), SchemaError>;

/// In the order they are checked: names, then each argument on its own, then
/// how arguments relate; [`variants::RULES`] then check how arguments relate
/// to returns.
const RULES: &[Rule] = &[
    overload_name,
    reserved_out_suffix,
    duplicate_names,
    alias_annotations,
    defaults_fit_types,
    vararg_without_defaults,
    non_default_after_default,
];

/// `torch.ops.ns.op.default` names the overload without a name, and Python
/// reserves dunder attributes of the overload packet, so c10 rejects
/// `default` and names starting with `__` as overload names.
fn overload_name(cx: &Cx) -> Result<(), SchemaError> {
    let (Some(name), Some(span)) = (cx.s.overload(), cx.spans.overload.clone()) else {
        return Ok(());
    };
    if name == "default" {
        return Err(cx
            .err(ErrorKind::InvalidOverloadName, span, "`default` is not a legal overload name")
            .with_hint("`torch.ops.<ns>.<op>.default` already means the overload without a name; choose another name"));
    }
    if name.starts_with("__") {
        return Err(cx
            .err(ErrorKind::InvalidOverloadName, span, format!("overload name `{name}` starts with `__`"))
            .with_hint("Python reserves dunder attributes on `torch.ops.<ns>.<op>`; drop the leading underscores"));
    }
    Ok(())
}

/// torchgen reserves the `_out` suffix: out variants are overloads (`add.out`),
/// and a base name ending in `_out` would clash with the C++ `add_out` function
/// generated for them.
fn reserved_out_suffix(cx: &Cx) -> Result<(), SchemaError> {
    let base = cx.s.base_name();
    let Some(stem) = base.strip_suffix("_out") else {
        return Ok(());
    };
    let span = cx.spans.base.clone();
    let start = span.end - 4;
    Err(cx
        .err(
            ErrorKind::ReservedOutSuffix,
            start..span.end,
            format!("operator name `{base}` ends in `_out`, which is reserved"),
        )
        .with_hint(format!(
            "name out variants with an overload instead: `{stem}.out`"
        )))
}

/// Arguments are passed by name from Python and C++, so each name must be
/// unique; so must named returns, which become fields of a named tuple.
fn duplicate_names(cx: &Cx) -> Result<(), SchemaError> {
    for (i, a) in cx.s.arguments.iter().enumerate() {
        if let Some(first) = cx.s.arguments[..i].iter().position(|b| b.name == a.name) {
            let first_at = cx.arg(first).name.clone().unwrap_or_default().start;
            return Err(cx
                .err(
                    ErrorKind::DuplicateArgumentName,
                    cx.arg(i).name.clone().unwrap_or_default(),
                    format!("argument `{}` is declared twice", a.name),
                )
                .with_note(format!("first declared at column {}", cx.column(first_at)))
                .with_hint("rename one of them"));
        }
    }
    for (i, r) in cx.s.returns.iter().enumerate() {
        let Some(name) = &r.name else { continue };
        if let Some(first) = cx.s.returns[..i]
            .iter()
            .position(|b| b.name.as_ref() == Some(name))
        {
            let first_at = cx.ret(first).name.clone().unwrap_or_default().start;
            return Err(cx
                .err(
                    ErrorKind::DuplicateReturnName,
                    cx.ret(i).name.clone().unwrap_or_default(),
                    format!("return `{name}` is named twice"),
                )
                .with_note(format!("first named at column {}", cx.column(first_at)))
                .with_hint("rename one of them"));
        }
    }
    Ok(())
}

/// Alias annotations describe aliasing and mutation of values that can alias:
/// Tensors, and in c10 its mutable containers (lists, dicts, classes) and
/// generic values. On an `int` they mean nothing and usually reveal a wish to
/// return a value through an argument. torchgen also forbids writing more than
/// one set at once (`a|b!`), and more than one set on both sides of `->`,
/// which would leave the aliasing after the call ambiguous.
fn alias_annotations(cx: &Cx) -> Result<(), SchemaError> {
    let args =
        cx.s.arguments
            .iter()
            .enumerate()
            .map(|(i, a)| (&a.ty, a.alias.as_ref(), a.alias_site, cx.arg(i)));
    let rets =
        cx.s.returns
            .iter()
            .enumerate()
            .map(|(i, r)| (&r.ty, r.alias.as_ref(), r.alias_site, cx.ret(i)));
    for (ty, alias, site, spans) in args.chain(rets) {
        let Some(alias) = alias else { continue };
        let span = spans.alias.clone().unwrap_or(spans.ty.clone());
        let annotated = annotated_type(ty, site);
        if !can_alias(annotated) {
            let what = if alias.is_write { "write to" } else { "alias" };
            return Err(cx
                .err(ErrorKind::AliasOnNonTensor, span, format!("alias annotation on `{annotated}`, a type that cannot alias"))
                .with_hint(format!(
                    "only Tensors (and c10's containers and type variables) can alias; an operator cannot {what} an `{annotated}` argument, so remove the annotation (return a new value instead)"
                )));
        }
        if alias.is_write && alias.before.len() > 1 {
            return Err(cx
                .err(
                    ErrorKind::MutableAliasSetTooLarge,
                    span,
                    "a written value can only be in one alias set",
                )
                .with_hint(format!("write `({}!)`", alias.before[0])));
        }
        if alias.before.len() > 1 && alias.after.len() > 1 {
            return Err(cx.err(
                ErrorKind::AmbiguousAliasSets,
                span,
                "an alias annotation cannot have several sets both before and after `->`",
            ));
        }
    }
    Ok(())
}

/// The type an annotation at `site` applies to: the base type or a list.
fn annotated_type(ty: &Type, site: AliasSite) -> &Type {
    let AliasSite::List(k) = site else {
        return ty.primary();
    };
    let mut lists = Vec::new();
    let mut t = ty;
    while let Type::Optional(inner) | Type::List { elem: inner, .. } = t {
        if matches!(t, Type::List { .. }) {
            lists.push(t);
        }
        t = inner;
    }
    lists
        .iter()
        .rev()
        .nth(usize::from(k) - 1)
        .copied()
        .unwrap_or(ty)
}

fn can_alias(ty: &Type) -> bool {
    match ty {
        Type::Base(b) => matches!(
            b,
            BaseType::Tensor | BaseType::Any | BaseType::AnyClassType | BaseType::Capsule
        ),
        Type::Optional(_) => false,
        _ => true,
    }
}

/// c10 rejects defaults on schemas with `...` arguments: the variadic tail
/// makes it impossible to tell which trailing arguments were left out.
fn vararg_without_defaults(cx: &Cx) -> Result<(), SchemaError> {
    if !cx.s.is_vararg {
        return Ok(());
    }
    let Some(i) = cx.s.arguments.iter().position(|a| a.default.is_some()) else {
        return Ok(());
    };
    Err(cx
        .err(
            ErrorKind::VarargWithDefault,
            cx.arg(i).default.clone().unwrap_or_default(),
            "schemas with `...` cannot have default values",
        )
        .with_hint("remove the default, or the `...`"))
}

/// Positional arguments bind in order, so once one has a default every later
/// positional one needs one too (c10's `checkSchema`). c10 exempts lists,
/// which old serialized schemas wrote without defaults; so do we.
fn non_default_after_default(cx: &Cx) -> Result<(), SchemaError> {
    let mut first_default: Option<usize> = None;
    for (i, a) in cx.s.arguments.iter().enumerate() {
        if a.default.is_some() {
            first_default.get_or_insert(i);
        } else if let Some(d) = first_default {
            if a.kwarg_only || matches!(a.ty, Type::List { .. }) {
                continue;
            }
            let prev = &cx.s.arguments[d].name;
            return Err(cx
                .err(ErrorKind::NonDefaultAfterDefault, cx.arg(i).name.clone().unwrap_or_default(), format!("argument `{}` has no default but follows `{prev}`, which has one", a.name))
                .with_hint(format!("give `{}` a default, move it before `{prev}`, or make it keyword-only by putting it after `*`", a.name)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotated_type_finds_the_site() {
        let s =
            FunctionSchema::parse_unvalidated("f(Tensor[](a) x, Tensor(b)[] y, t[][](c) z) -> ()")
                .unwrap();
        let a = &s.arguments;
        assert_eq!(
            annotated_type(&a[0].ty, a[0].alias_site).to_string(),
            "Tensor[]"
        );
        assert_eq!(
            annotated_type(&a[1].ty, a[1].alias_site).to_string(),
            "Tensor"
        );
        assert_eq!(
            annotated_type(&a[2].ty, a[2].alias_site).to_string(),
            "t[][]"
        );
    }
}
