//! The schema tree: operator name, arguments, returns, and where each piece
//! was in the text it was parsed from.

use std::ops::Range;
use std::str::FromStr;
use std::sync::Arc;

use crate::alias::{AliasInfo, AliasSite};
use crate::default::DefaultValue;
use crate::error::SchemaError;
use crate::types::{BaseType, Type};

/// An operator's name: `namespace::name.overload`.
///
/// ```
/// use op_schema::OperatorName;
/// let n = OperatorName::new(Some("aten"), "add_", Some("Tensor"));
/// assert_eq!(n.to_string(), "aten::add_.Tensor");
/// assert_eq!(n.qualified_base(), "aten::add_");
/// assert!(n.is_inplace());
/// assert_eq!(n.without_overload().to_string(), "aten::add_");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OperatorName {
    /// The namespace before `::`, such as `aten` or `my_ops`.
    pub namespace: Option<String>,
    /// The base name as written, such as `add_` or `__iand__`.
    pub name: String,
    /// The overload name after `.`; `None` when absent.
    pub overload: Option<String>,
}

/// The augmented-assignment dunders that are in place (`__iadd__`), from PEP 203,
/// as torchgen lists them.
const AUGMENTED_ASSIGNMENT_NAMES: [&str; 11] = [
    "add", "sub", "mul", "div", "mod", "pow", "lshift", "rshift", "and", "xor", "or",
];

impl OperatorName {
    /// Builds a name from its parts.
    pub fn new(namespace: Option<&str>, name: &str, overload: Option<&str>) -> Self {
        OperatorName {
            namespace: namespace.map(str::to_owned),
            name: name.to_owned(),
            overload: overload.map(str::to_owned),
        }
    }

    /// The same name without its overload.
    pub fn without_overload(&self) -> OperatorName {
        OperatorName {
            overload: None,
            ..self.clone()
        }
    }

    /// `namespace::name` (or `name` without a namespace), without the overload.
    pub fn qualified_base(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}::{}", self.name),
            None => self.name.clone(),
        }
    }

    /// True for a double-underscore method name such as `__and__` or `__iand__`.
    pub fn is_dunder(&self) -> bool {
        let n = &self.name;
        n.len() > 4 && n.starts_with("__") && n.ends_with("__")
    }

    /// True for an in-place name: `foo_`, or an augmented-assignment dunder
    /// such as `__iadd__` (torchgen's `BaseOperatorName.inplace`).
    pub fn is_inplace(&self) -> bool {
        if self.is_dunder() {
            let inner = &self.name[2..self.name.len() - 2];
            inner
                .strip_prefix('i')
                .is_some_and(|rest| AUGMENTED_ASSIGNMENT_NAMES.contains(&rest))
        } else {
            self.name.ends_with('_')
        }
    }

    /// The base name with the in-place marker removed: `add_` gives `add`,
    /// `__iand__` gives `__and__`; other names are returned unchanged.
    pub fn functional_base(&self) -> String {
        if !self.is_inplace() {
            self.name.clone()
        } else if self.is_dunder() {
            format!("__{}", &self.name[3..])
        } else {
            self.name[..self.name.len() - 1].to_owned()
        }
    }
}

/// An argument of an operator.
///
/// ```
/// use op_schema::FunctionSchema;
/// let s = FunctionSchema::parse("f(Tensor(a!)[] out, int[2] stride=1) -> ()").unwrap();
/// let out = &s.arguments()[0];
/// assert_eq!(out.alias().unwrap().to_string(), "(a!)");
/// assert!(out.is_write() && !out.is_out()); // positional, so not an out argument
/// assert_eq!(s.arguments()[1].default_text.as_deref(), Some("1"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Argument {
    /// The argument's name.
    pub name: String,
    /// The argument's type.
    pub ty: Type,
    /// The default value, as written (see [`effective_default`](Self::effective_default)).
    pub default: Option<DefaultValue>,
    /// True for arguments after `*`.
    pub kwarg_only: bool,
    /// The alias annotation, wherever it is written in the type.
    pub alias: Option<AliasInfo>,
    /// Where the alias annotation is written; only matters for printing.
    pub alias_site: AliasSite,
    /// The default's text as written, whitespace normalised, which printing
    /// uses instead of `default`'s canonical spelling (so `1e-05` stays
    /// `1e-05`). `None` for defaults set in code; clear it when you change
    /// `default`, or use [`set_default`](Self::set_default).
    pub default_text: Option<String>,
}

impl Argument {
    /// A positional argument without default or annotation.
    ///
    /// ```
    /// use op_schema::{AliasInfo, Argument, BaseType};
    /// let a = Argument::new("out", BaseType::Tensor).kwarg_only().with_alias(AliasInfo::write("a"));
    /// assert_eq!(a.to_string(), "Tensor(a!) out");
    /// assert!(a.is_out());
    /// ```
    pub fn new(name: &str, ty: impl Into<Type>) -> Self {
        Argument {
            name: name.to_owned(),
            ty: ty.into(),
            default: None,
            kwarg_only: false,
            alias: None,
            alias_site: AliasSite::Base,
            default_text: None,
        }
    }

    /// Makes the argument keyword-only.
    pub fn kwarg_only(mut self) -> Self {
        self.kwarg_only = true;
        self
    }

    /// Sets the alias annotation, on the base type.
    pub fn with_alias(mut self, alias: AliasInfo) -> Self {
        self.alias = Some(alias);
        self.alias_site = AliasSite::Base;
        self
    }

    /// Sets the default value.
    pub fn with_default(mut self, default: DefaultValue) -> Self {
        self.set_default(Some(default));
        self
    }

    /// Replaces the default value and forgets its written text.
    pub fn set_default(&mut self, default: Option<DefaultValue>) {
        self.default = default;
        self.default_text = None;
    }

    /// The alias annotation: `a!` for both `Tensor(a!)[] out` and c10's `t[](a!) self`.
    pub fn alias(&self) -> Option<&AliasInfo> {
        self.alias.as_ref()
    }

    /// True when the operator writes to this argument (`!`).
    pub fn is_write(&self) -> bool {
        self.alias.as_ref().is_some_and(|a| a.is_write)
    }

    /// True for an out argument: keyword-only and written.
    pub fn is_out(&self) -> bool {
        self.kwarg_only && self.is_write()
    }

    /// The default as c10 reads it: a scalar default of a sized list is
    /// repeated (`int[2] stride=1` gives `[1, 1]`); others as written.
    ///
    /// ```
    /// use op_schema::{DefaultValue, FunctionSchema};
    /// let s = FunctionSchema::parse("f(int[2] stride=1) -> ()").unwrap();
    /// let d = s.arguments()[0].effective_default().unwrap();
    /// assert_eq!(d, DefaultValue::List(vec![DefaultValue::Int(1), DefaultValue::Int(1)]));
    /// ```
    pub fn effective_default(&self) -> Option<DefaultValue> {
        let d = self.default.as_ref()?;
        match (&self.ty, d) {
            (Type::List { size: Some(n), .. }, v)
                if !matches!(v, DefaultValue::List(_) | DefaultValue::None) =>
            {
                Some(DefaultValue::List(vec![v.clone(); *n]))
            }
            _ => Some(d.clone()),
        }
    }
}

/// A return value of an operator.
#[derive(Debug, Clone, PartialEq)]
pub struct Return {
    /// The field name, as in `-> (Tensor values, Tensor indices)`.
    pub name: Option<String>,
    /// The return type.
    pub ty: Type,
    /// The alias annotation, wherever it is written in the type.
    pub alias: Option<AliasInfo>,
    /// Where the alias annotation is written; only matters for printing.
    pub alias_site: AliasSite,
}

impl Return {
    /// An unnamed return without annotation.
    pub fn new(ty: impl Into<Type>) -> Self {
        Return {
            name: None,
            ty: ty.into(),
            alias: None,
            alias_site: AliasSite::Base,
        }
    }

    /// Names the return.
    pub fn named(mut self, name: &str) -> Self {
        self.name = Some(name.to_owned());
        self
    }

    /// Sets the alias annotation, on the base type.
    pub fn with_alias(mut self, alias: AliasInfo) -> Self {
        self.alias = Some(alias);
        self.alias_site = AliasSite::Base;
        self
    }

    /// The alias annotation.
    pub fn alias(&self) -> Option<&AliasInfo> {
        self.alias.as_ref()
    }

    /// True for a written return (`Tensor(a!)`), an alias of a written argument.
    pub fn is_write(&self) -> bool {
        self.alias.as_ref().is_some_and(|a| a.is_write)
    }
}

/// Byte ranges of the pieces of one argument or return.
#[derive(Debug, Clone, Default)]
pub(crate) struct ItemSpans {
    pub whole: Range<usize>,
    pub ty: Range<usize>,
    pub alias: Option<Range<usize>>,
    pub name: Option<Range<usize>>,
    pub default: Option<Range<usize>>,
}

/// Byte ranges of the pieces of a schema, to point errors at.
#[derive(Debug, Clone, Default)]
pub(crate) struct Spans {
    pub name: Range<usize>,
    pub base: Range<usize>,
    pub overload: Option<Range<usize>>,
    pub args: Vec<ItemSpans>,
    pub rets: Vec<ItemSpans>,
    /// From the first token after `->` to the end.
    pub returns: Range<usize>,
}

/// The text a schema was parsed from, and where its pieces are.
#[derive(Debug)]
pub(crate) struct Source {
    pub text: Box<str>,
    pub spans: Spans,
}

/// A function schema: `namespace::name.overload(arguments) -> returns`.
///
/// [`parse`](Self::parse) (and `str::parse`) reads and validates one; it
/// prints back canonically with `Display`:
///
/// ```
/// use op_schema::{FunctionSchema, SchemaKind};
///
/// let s: FunctionSchema = "my_ops::mul3(Tensor  x ,int y=2)- >Tensor".parse()?;
/// assert_eq!(s.to_string(), "my_ops::mul3(Tensor x, int y=2) -> Tensor");
/// assert_eq!(s.namespace(), Some("my_ops"));
/// assert_eq!(s.kind(), SchemaKind::Functional);
/// assert_eq!(
///     s.out_variant()?.to_string(),
///     "my_ops::mul3.out(Tensor x, int y=2, *, Tensor(a!) out) -> Tensor(a!)"
/// );
/// # Ok::<(), op_schema::SchemaError>(())
/// ```
#[derive(Debug, Clone)]
pub struct FunctionSchema {
    pub(crate) name: OperatorName,
    pub(crate) arguments: Vec<Argument>,
    pub(crate) returns: Vec<Return>,
    pub(crate) is_vararg: bool,
    pub(crate) is_varret: bool,
    pub(crate) source: Option<Arc<Source>>,
}

impl PartialEq for FunctionSchema {
    /// Compares the schemas, not the texts they were parsed from.
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.arguments == other.arguments
            && self.returns == other.returns
            && self.is_vararg == other.is_vararg
            && self.is_varret == other.is_varret
    }
}

impl FunctionSchema {
    /// Builds a schema in code. It is not validated; call [`validate`](Self::validate).
    ///
    /// ```
    /// use op_schema::{Argument, BaseType, FunctionSchema, OperatorName, Return};
    /// let s = FunctionSchema::new(
    ///     OperatorName::new(Some("my_ops"), "mul3", None),
    ///     vec![Argument::new("x", BaseType::Tensor)],
    ///     vec![Return::new(BaseType::Tensor)],
    /// );
    /// assert_eq!(s.to_string(), "my_ops::mul3(Tensor x) -> Tensor");
    /// s.validate().unwrap();
    /// ```
    pub fn new(name: OperatorName, arguments: Vec<Argument>, returns: Vec<Return>) -> Self {
        FunctionSchema {
            name,
            arguments,
            returns,
            is_vararg: false,
            is_varret: false,
            source: None,
        }
    }

    /// Sets c10's `...` markers: `vararg` for the arguments, `varret` for the returns.
    pub fn with_varargs(mut self, vararg: bool, varret: bool) -> Self {
        self.is_vararg = vararg;
        self.is_varret = varret;
        self.source = None;
        self
    }

    /// Parses and validates a schema.
    ///
    /// ```
    /// use op_schema::{ErrorKind, FunctionSchema};
    /// let err = FunctionSchema::parse("f(double x) -> Tensor").unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::ForeignTypeName);
    /// assert_eq!(err.column(), 3);
    /// ```
    pub fn parse(text: &str) -> Result<Self, SchemaError> {
        let schema = Self::parse_unvalidated(text)?;
        schema.validate()?;
        Ok(schema)
    }

    /// Parses a schema, checking its syntax and type names but none of the
    /// semantic rules of [`validate`](Self::validate).
    pub fn parse_unvalidated(text: &str) -> Result<Self, SchemaError> {
        crate::parser::parse(text)
    }

    /// The full operator name.
    pub fn name(&self) -> &OperatorName {
        &self.name
    }

    /// The namespace, such as `aten`; `None` when the schema has none.
    pub fn namespace(&self) -> Option<&str> {
        self.name.namespace.as_deref()
    }

    /// The base name as written, without namespace or overload: `add_` for `aten::add_.Tensor`.
    pub fn base_name(&self) -> &str {
        &self.name.name
    }

    /// The overload name; `None` when absent.
    pub fn overload(&self) -> Option<&str> {
        self.name.overload.as_deref()
    }

    /// The arguments, in order (keyword-only ones have `kwarg_only` set).
    pub fn arguments(&self) -> &[Argument] {
        &self.arguments
    }

    /// The returns, in order.
    pub fn returns(&self) -> &[Return] {
        &self.returns
    }

    /// True when the argument list ends with c10's `...`.
    pub fn is_vararg(&self) -> bool {
        self.is_vararg
    }

    /// True when the returns are (or end with) c10's `...`.
    pub fn is_varret(&self) -> bool {
        self.is_varret
    }

    /// The out arguments: keyword-only arguments that are written.
    pub fn out_arguments(&self) -> impl Iterator<Item = &Argument> {
        self.arguments.iter().filter(|a| a.is_out())
    }

    /// True when the operator writes to any argument.
    pub fn is_mutable(&self) -> bool {
        self.arguments.iter().any(Argument::is_write)
    }

    /// The argument with this name.
    pub fn argument(&self, name: &str) -> Option<&Argument> {
        self.arguments.iter().find(|a| a.name == name)
    }

    /// True when an argument is a Tensor (or Tensor list, or optional Tensor).
    pub fn has_tensor_arguments(&self) -> bool {
        self.arguments.iter().any(|a| a.ty.is_tensor_like())
    }

    /// True when the schema uses no c10-only construct (type variables,
    /// tuples, `Dict`, `...`, ...), so torchgen could read it too.
    pub fn is_torchgen(&self) -> bool {
        !self.is_vararg
            && !self.is_varret
            && self.arguments.iter().all(|a| a.ty.is_torchgen())
            && self.returns.iter().all(|r| r.ty.is_torchgen())
    }

    /// A copy with another name.
    pub fn with_name(&self, name: OperatorName) -> FunctionSchema {
        FunctionSchema {
            name,
            source: None,
            ..self.clone()
        }
    }

    /// The text and spans to point errors at: the parsed text when there is
    /// one, else the canonical printing, parsed again for its spans.
    pub(crate) fn located(&self) -> Arc<Source> {
        if let Some(src) = &self.source {
            return src.clone();
        }
        let text = self.to_string();
        match crate::parser::parse(&text) {
            Ok(FunctionSchema {
                source: Some(src), ..
            }) => src,
            // A schema built in code may not print as valid text (an empty
            // name, say); point at the whole text then.
            _ => Arc::new(Source {
                spans: fallback_spans(self, text.len()),
                text: text.into(),
            }),
        }
    }
}

fn fallback_spans(schema: &FunctionSchema, len: usize) -> Spans {
    let whole = ItemSpans {
        whole: 0..len,
        ty: 0..len,
        ..Default::default()
    };
    Spans {
        name: 0..len,
        base: 0..len,
        overload: None,
        args: vec![whole.clone(); schema.arguments.len()],
        rets: vec![whole; schema.returns.len()],
        returns: 0..len,
    }
}

impl FromStr for FunctionSchema {
    type Err = SchemaError;

    /// Same as [`FunctionSchema::parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FunctionSchema::parse(s)
    }
}

impl From<BaseType> for Return {
    fn from(b: BaseType) -> Self {
        Return::new(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_conventions() {
        let n = |s: &str| OperatorName::new(None, s, None);
        assert!(n("add_").is_inplace());
        assert!(!n("add").is_inplace());
        assert!(n("__iand__").is_inplace() && n("__iand__").is_dunder());
        assert!(!n("__and__").is_inplace() && n("__and__").is_dunder());
        assert!(!n("__is__").is_inplace());
        assert!(!n("__foo_bar__").is_inplace());
        assert_eq!(n("__iand__").functional_base(), "__and__");
        assert_eq!(n("add_").functional_base(), "add");
        assert_eq!(n("add").functional_base(), "add");
        assert_eq!(
            OperatorName::new(Some("aten"), "add", Some("out")).to_string(),
            "aten::add.out"
        );
    }
}
