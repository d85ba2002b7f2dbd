//! The semantic rules of c10 and torchgen, one function per rule, each with
//! the reason it exists. [`FunctionSchema::validate`] runs them in order and
//! reports the first broken one, pointing at the piece of text that breaks it.
//!
//! Where c10 accepts nonsense that only fails later (`str s=3` registers fine
//! and breaks the first call), we reject it here, at compile time.

use crate::alias::AliasSite;
use crate::ast::{FunctionSchema, ItemSpans, Spans};
use crate::default::DefaultValue;
use crate::error::{ErrorKind, SchemaError};
use crate::kind::{Groups, SchemaKind, same_alias};
use crate::types::{BaseType, Type};

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
        RULES.iter().try_for_each(|rule| rule(&cx))
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
/// how arguments relate, then how arguments relate to returns.
const RULES: &[Rule] = &[
    overload_name,
    reserved_out_suffix,
    duplicate_names,
    alias_annotations,
    defaults_fit_types,
    vararg_without_defaults,
    non_default_after_default,
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

/// c10 reads defaults by type when the operator is registered; a default that
/// does not fit either fails there, at load time, or (as `str s=3` does)
/// registers and fails at the first call. torchgen copies the text into C++
/// and Python, where it must compile. We check the fit here instead.
fn defaults_fit_types(cx: &Cx) -> Result<(), SchemaError> {
    for (i, a) in cx.s.arguments.iter().enumerate() {
        let Some(d) = &a.default else { continue };
        if let Err((message, hint)) = check_default(&a.ty, d) {
            let span = cx.arg(i).default.clone().unwrap_or(cx.arg(i).whole.clone());
            let written = a.default_text.clone().unwrap_or_else(|| d.to_string());
            let err = cx.err(
                ErrorKind::DefaultTypeMismatch,
                span,
                format!(
                    "default `{written}` does not fit `{} {}`: {message}",
                    a.ty, a.name
                ),
            );
            return Err(match hint {
                Some(h) => err.with_hint(h),
                None => err,
            });
        }
    }
    Ok(())
}

type Misfit = (String, Option<String>);

fn misfit(message: impl Into<String>, hint: Option<String>) -> Result<(), Misfit> {
    Err((message.into(), hint))
}

fn check_default(ty: &Type, d: &DefaultValue) -> Result<(), Misfit> {
    match ty {
        Type::Optional(_) if d.is_none() => Ok(()),
        Type::Optional(inner) => check_default(inner, d),
        Type::List { elem, size } => check_list_default(ty, elem, *size, d),
        Type::Base(b) => check_base_default(*b, d),
        _ => misfit(
            format!("`{}` arguments cannot have defaults", ty.primary()),
            None,
        ),
    }
}

/// Element types c10 can build a default list of.
fn list_literal_ok(elem: &Type) -> bool {
    matches!(
        elem,
        Type::Base(
            BaseType::Int
                | BaseType::SymInt
                | BaseType::Float
                | BaseType::SymFloat
                | BaseType::Bool
                | BaseType::SymBool
                | BaseType::Complex
        )
    )
}

fn check_list_default(
    ty: &Type,
    elem: &Type,
    size: Option<usize>,
    d: &DefaultValue,
) -> Result<(), Misfit> {
    match d {
        DefaultValue::None => misfit(
            "a list that is not optional cannot default to `None`",
            Some(format!("make it optional: `{ty}?`")),
        ),
        _ if !list_literal_ok(elem) => misfit(
            format!(
                "PyTorch only has default values for lists of int, float, bool and complex, not `{elem}`"
            ),
            Some(format!(
                "make it optional, `{ty}? x=None`, and treat `None` as the default"
            )),
        ),
        DefaultValue::List(items) => {
            for item in items {
                if let Err((m, _)) = check_default(elem, item) {
                    return misfit(format!("element `{item}`: {m}"), None);
                }
            }
            Ok(())
        }
        _ if size.is_some() => check_default(elem, d),
        _ => misfit(
            "an unsized list needs a list default",
            Some(format!(
                "write `[{d}]`, or give the list a size to repeat the value: `{elem}[2]`"
            )),
        ),
    }
}

fn check_base_default(b: BaseType, d: &DefaultValue) -> Result<(), Misfit> {
    use BaseType as B;
    use DefaultValue as D;
    let named = |allowed: &[&str], d: &D| matches!(d, D::Named(n) if allowed.contains(&n.as_str()));
    let ok = match b {
        B::Tensor | B::Generator | B::Quantizer => d.is_none(),
        B::Int | B::SymInt | B::DeviceIndex | B::ConstQuantizerPtr => {
            matches!(d, D::Int(_)) || named(&["Mean", "Sum"], d)
        }
        B::Float | B::SymFloat => matches!(d, D::Int(_) | D::Float(_)),
        B::Complex => matches!(d, D::Int(_) | D::Float(_) | D::Complex(_)),
        B::Bool | B::SymBool => matches!(d, D::Bool(_)),
        B::Str | B::Dimname | B::Device => matches!(d, D::Str(_)),
        B::Scalar => matches!(d, D::Int(_) | D::Float(_) | D::Complex(_) | D::Bool(_)),
        B::ScalarType => named(&["float", "long", "complex"], d),
        B::Layout => named(&["strided"], d),
        B::MemoryFormat => named(&["contiguous_format"], d),
        _ => return misfit(format!("`{b}` arguments cannot have defaults"), None),
    };
    if ok {
        return Ok(());
    }
    let hint = match (b, d) {
        (_, D::None) => Some(format!("only optional types default to `None`: write `{b}?`")),
        (B::Bool | B::SymBool, D::Named(n)) if n == "true" || n == "false" => {
            Some(format!("write `{}`", if n == "true" { "True" } else { "False" }))
        }
        (B::Bool | B::SymBool, D::Int(0 | 1)) => Some("write `True` or `False`".into()),
        (B::Int | B::SymInt, D::Float(_)) => Some(format!("use a whole number, or make the argument `float`")),
        (B::Int | B::SymInt, D::Named(_)) => Some("integers default to a number, or to the reduction `Mean` or `Sum`".into()),
        (B::Str | B::Dimname | B::Device, _) => Some(format!("quote it: `\"{d}\"`")),
        (B::ScalarType, _) => Some("PyTorch's schema parser knows the dtypes `float`, `long` and `complex` as ScalarType defaults; use `ScalarType? dtype=None` for others".into()),
        (B::Layout, _) => Some("the only Layout default is `strided`".into()),
        (B::MemoryFormat, _) => Some("the only MemoryFormat default is `contiguous_format`; use `MemoryFormat? memory_format=None` for others".into()),
        (B::Tensor | B::Generator | B::Quantizer, _) => Some(format!("a `{b}` can only default to `None`; make it optional: `{b}? x=None`")),
        _ => None,
    };
    misfit(format!("expected {}", expected_default(b)), hint)
}

fn expected_default(b: BaseType) -> &'static str {
    use BaseType as B;
    match b {
        B::Tensor | B::Generator | B::Quantizer => "`None`",
        B::Int | B::SymInt | B::DeviceIndex | B::ConstQuantizerPtr => "an integer",
        B::Float | B::SymFloat => "a number",
        B::Complex | B::Scalar => "a number",
        B::Bool | B::SymBool => "`True` or `False`",
        B::Str | B::Dimname | B::Device => "a string literal",
        B::ScalarType => "a dtype name",
        B::Layout | B::MemoryFormat => "a named constant",
        _ => "no default",
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
    for (k, (out, ret)) in outs.iter().zip(rets).enumerate() {
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
    if rets.iter().any(|r| r.is_write()) {
        if let Some(k) = rets.iter().position(|r| !r.is_write()) {
            return Err(cx
                .err(
                    ErrorKind::MixedMutableReturns,
                    cx.ret(k).whole.clone(),
                    "returns must be all written or all new values",
                )
                .with_hint("do not return the written tensors; return only the new values"));
        }
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
        .err(ErrorKind::TensorOptionsNotFunctional, cx.arg(i).whole.clone(), format!("a {kind:?} operator cannot take TensorOptions (`dtype`, `layout`, `device`, `pin_memory`)"))
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

/// For unit tests: the first argument's default checked alone.
#[cfg(test)]
fn fits(ty: &str, default: &str) -> bool {
    let s = FunctionSchema::parse_unvalidated(&format!("f({ty} x={default}) -> ()")).unwrap();
    let a = &s.arguments[0];
    check_default(&a.ty, a.default.as_ref().unwrap()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_by_type() {
        for (ty, d) in [
            ("int", "-100"),
            ("int", "Mean"),
            ("SymInt", "1"),
            ("float", "1e-05"),
            ("float", "2"),
            ("float", "-inf"),
            ("bool", "False"),
            ("str", "'none'"),
            ("str", "\"valid\""),
            ("Scalar", "1"),
            ("Scalar", "0.5"),
            ("ScalarType", "long"),
            ("Layout", "strided"),
            ("MemoryFormat", "contiguous_format"),
            ("Tensor?", "None"),
            ("int[2]", "1"),
            ("int[2]", "[0, 1]"),
            ("int[]", "[]"),
            ("bool[3]", "[True, False, True]"),
            ("float[]?", "None"),
            ("int[1]?", "None"),
            ("Tensor", "None"),
            ("Device", "\"cpu\""),
            ("complex", "1j"),
            ("int?", "1"),
            ("ScalarType?", "None"),
        ] {
            assert!(fits(ty, d), "{ty} {d}");
        }
        for (ty, d) in [
            ("Tensor", "1"),
            ("bool", "true"),
            ("bool", "1"),
            ("int", "1.5"),
            ("str", "3"),
            ("int", "[1]"),
            ("int[]", "1"),
            ("int[]", "None"),
            ("Tensor[]", "[]"),
            ("int", "None"),
            ("ScalarType", "half"),
            ("Layout", "long"),
            ("t", "1"),
            ("Stream", "None"),
            ("int[2]", "[1.5]"),
            ("int?", "1.5"),
        ] {
            assert!(!fits(ty, d), "{ty} {d}");
        }
    }

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
