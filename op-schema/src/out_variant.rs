//! Deriving the out variant of a functional schema.
//!
//! The conventions are PyTorch's (native_functions.yaml and torchgen's
//! `generate_out_args_from_schema`), with return names kept as the out
//! arguments' names where the returns have them, as hand-written out variants
//! such as `linalg_lstsq.out` do:
//!
//! - overload `out`, or `<overload>_out`;
//! - one return becomes a keyword-only out argument named `out`; several
//!   become arguments named after the returns, or `out0`, `out1`, ... for
//!   unnamed ones;
//! - out arguments get alias sets `a`, `b`, `c`, ..., skipping letters the
//!   functional schema already uses, and are written (`Tensor(a!) out`);
//! - a TensorOptions group (`dtype`, `layout`, `device`, `pin_memory`) is
//!   dropped: the output tensor already has them;
//! - plain `Tensor` returns become the written out arguments
//!   (`-> Tensor(a!)`); if any return is a `Tensor[]`, the out variant returns
//!   `()`, as torchgen requires.

use crate::alias::AliasInfo;
use crate::ast::{Argument, FunctionSchema, OperatorName, Return};
use crate::error::{ErrorKind, SchemaError};
use crate::kind::{Groups, SchemaKind};
use crate::types::{BaseType, Type};

impl FunctionSchema {
    /// Derives the out variant of a functional schema.
    ///
    /// ```
    /// use op_schema::FunctionSchema;
    /// let f = FunctionSchema::parse("max.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)")?;
    /// assert_eq!(
    ///     f.out_variant()?.to_string(),
    ///     "max.dim_out(Tensor self, int dim, bool keepdim=False, *, Tensor(a!) values, Tensor(b!) indices) -> (Tensor(a!) values, Tensor(b!) indices)"
    /// );
    /// # Ok::<(), op_schema::SchemaError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NoOutVariant`] when the schema is not functional (it is
    /// already an out, in-place or mutable variant, or writes an argument),
    /// returns nothing, returns something other than `Tensor` or `Tensor[]`,
    /// or returns an alias of an input (a view).
    pub fn out_variant(&self) -> Result<FunctionSchema, SchemaError> {
        let src = self.located();
        let spans = &src.spans;
        let fail = |span: std::ops::Range<usize>, message: String| {
            SchemaError::new(ErrorKind::NoOutVariant, &src.text, span, message)
        };
        let name = &self.name;

        let kind = self.kind();
        if kind != SchemaKind::Functional {
            let what = match kind {
                SchemaKind::Inplace => "an in-place operator",
                SchemaKind::Out | SchemaKind::Scratch => "already an out variant",
                _ => "a mutable operator",
            };
            return Err(fail(
                spans.name.clone(),
                format!("`{name}` has no out variant: it is {what}"),
            )
            .with_hint("derive the out variant from the functional schema"));
        }
        if let Some(i) = self.arguments.iter().position(Argument::is_write) {
            return Err(fail(
                spans.args[i].whole.clone(),
                format!(
                    "`{name}` has no out variant: it writes to `{}`",
                    self.arguments[i].name
                ),
            ));
        }
        if self.returns.is_empty() || self.is_varret {
            return Err(fail(
                spans.returns.clone(),
                format!("`{name}` has no out variant: it returns no Tensor to write into"),
            )
            .with_hint(
                "an out variant writes its results into out arguments; this operator has none",
            ));
        }
        for (k, r) in self.returns.iter().enumerate() {
            if r.alias.is_some() {
                return Err(fail(spans.rets[k].whole.clone(), format!("`{name}` has no out variant: it returns an alias of an input"))
                    .with_note("views and other aliasing returns share memory with their inputs, so there is nothing to write"));
            }
            if !is_out_type(&r.ty) {
                return Err(fail(
                    spans.rets[k].ty.clone(),
                    format!("`{name}` has no out variant: it returns a `{}`", r.ty),
                )
                .with_note(
                    "only `Tensor` and `Tensor[]` results can be written into out arguments",
                ));
            }
        }

        let used: Vec<&str> = self
            .arguments
            .iter()
            .filter_map(|a| a.alias.as_ref())
            .flat_map(|a| a.before.iter().chain(&a.after))
            .map(String::as_str)
            .collect();
        let mut letters = ('a'..='z')
            .map(String::from)
            .filter(|l| !used.contains(&l.as_str()));

        let groups = Groups::of(&self.arguments);
        let options = groups.tensor_options_range().unwrap_or(0..0);
        let mut arguments: Vec<Argument> = self
            .arguments
            .iter()
            .enumerate()
            .filter(|(i, _)| !options.contains(i))
            .map(|(_, a)| a.clone())
            .collect();

        let all_plain = self
            .returns
            .iter()
            .all(|r| r.ty == Type::Base(BaseType::Tensor));
        let mut returns = Vec::new();
        for (k, r) in self.returns.iter().enumerate() {
            let out_name = match (&r.name, self.returns.len()) {
                (_, 1) => "out".to_owned(),
                (Some(n), _) => n.clone(),
                (None, _) => format!("out{k}"),
            };
            if let Some(i) = arguments.iter().position(|a| a.name == out_name) {
                let at = spans
                    .args
                    .get(i)
                    .map_or(spans.name.clone(), |s| s.whole.clone());
                return Err(fail(
                    at,
                    format!(
                        "the out argument `{out_name}` of `{name}` would clash with this argument"
                    ),
                )
                .with_hint("rename the argument or the return"));
            }
            let Some(letter) = letters.next() else {
                return Err(fail(
                    spans.returns.clone(),
                    format!("`{name}` has too many returns to name their alias sets"),
                ));
            };
            let alias = AliasInfo::write(&letter);
            arguments.push(
                Argument::new(&out_name, r.ty.clone())
                    .kwarg_only()
                    .with_alias(alias.clone()),
            );
            if all_plain {
                returns.push(Return {
                    name: r.name.clone(),
                    ..Return::new(BaseType::Tensor).with_alias(alias)
                });
            }
        }

        let overload = match &self.name.overload {
            Some(o) => format!("{o}_out"),
            None => "out".to_owned(),
        };
        let name = OperatorName {
            overload: Some(overload),
            ..self.name.clone()
        };
        let derived =
            FunctionSchema::new(name, arguments, returns).with_varargs(self.is_vararg, false);
        derived.validate()?;
        Ok(derived)
    }
}

fn is_out_type(ty: &Type) -> bool {
    match ty {
        Type::Base(BaseType::Tensor) => true,
        Type::List { elem, size: None } => **elem == Type::Base(BaseType::Tensor),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(s: &str) -> Result<String, SchemaError> {
        FunctionSchema::parse(s)?
            .out_variant()
            .map(|o| o.to_string())
    }

    #[test]
    fn derives_pytorch_conventions() {
        assert_eq!(
            out("my_ops::mul3(Tensor x) -> Tensor").unwrap(),
            "my_ops::mul3.out(Tensor x, *, Tensor(a!) out) -> Tensor(a!)"
        );
        assert_eq!(
            out("f(Tensor x) -> (Tensor, Tensor)").unwrap(),
            "f.out(Tensor x, *, Tensor(a!) out0, Tensor(b!) out1) -> (Tensor(a!), Tensor(b!))"
        );
        assert_eq!(
            out("split_copy.Tensor(Tensor self, SymInt split_size, int dim=0) -> Tensor[]")
                .unwrap(),
            "split_copy.Tensor_out(Tensor self, SymInt split_size, int dim=0, *, Tensor(a!)[] out) -> ()"
        );
        assert_eq!(
            out("arange(Scalar end, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor").unwrap(),
            "arange.out(Scalar end, *, Tensor(a!) out) -> Tensor(a!)"
        );
    }

    #[test]
    fn refuses_what_has_no_out_variant() {
        for s in [
            "add_.Tensor(Tensor(a!) self, Tensor other) -> Tensor(a!)",
            "add.out(Tensor self, Tensor other, *, Tensor(a!) out) -> Tensor(a!)",
            "transpose.int(Tensor(a) self, int dim0, int dim1) -> Tensor(a)",
            "is_leaf(Tensor self) -> bool",
            "_assert_async(Tensor self) -> ()",
            "f(Tensor x) -> Tensor?",
            "f(Tensor x) -> (Tensor, int)",
        ] {
            let err = out(s).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NoOutVariant, "{s}: {err}");
        }
    }

    #[test]
    fn skips_alias_letters_in_use() {
        let s = FunctionSchema::parse("f(Tensor(a) x, Tensor y) -> Tensor").unwrap();
        assert_eq!(
            s.out_variant().unwrap().to_string(),
            "f.out(Tensor(a) x, Tensor y, *, Tensor(b!) out) -> Tensor(b!)"
        );
    }
}
