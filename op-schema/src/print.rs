//! Canonical printing, torchgen's `FunctionSchema.__str__`, with c10's printer
//! for what torchgen cannot express (type variables, `...`, tuple returns).
//!
//! Arguments are joined by `, ` with `*` before the first keyword-only one;
//! one return prints bare unless its type starts with `(` (c10's rule, so that
//! `-> ((str, t)[])` reads back as one return); defaults print as written.

use std::fmt::{self, Write};

use crate::alias::{AliasInfo, AliasSite};
use crate::ast::{Argument, FunctionSchema, OperatorName, Return};
use crate::types::Type;

impl fmt::Display for OperatorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(ns) = &self.namespace {
            write!(f, "{ns}::")?;
        }
        f.write_str(&self.name)?;
        if let Some(overload) = &self.overload {
            write!(f, ".{overload}")?;
        }
        Ok(())
    }
}

/// Writes `ty` with `alias` at `site`: `Tensor(a!)[]`, `t[](a!)`, `Tensor(a)?`.
fn write_annotated(
    f: &mut impl Write,
    ty: &Type,
    alias: Option<&AliasInfo>,
    site: AliasSite,
) -> fmt::Result {
    // Postfix operators, outermost first, so they print innermost first.
    let mut suffixes: Vec<&Type> = Vec::new();
    let mut t = ty;
    while let Type::Optional(inner) | Type::List { elem: inner, .. } = t {
        suffixes.push(t);
        t = inner;
    }
    t.fmt_primary(f)?;
    let annotate = |f: &mut dyn Write, here: AliasSite| match alias {
        Some(a) if here == site => write!(f, "{a}"),
        _ => Ok(()),
    };
    annotate(f, AliasSite::Base)?;
    let mut lists = 0u8;
    for suffix in suffixes.iter().rev() {
        match suffix {
            Type::Optional(_) => f.write_char('?')?,
            Type::List { size, .. } => {
                match size {
                    Some(n) => write!(f, "[{n}]")?,
                    None => f.write_str("[]")?,
                }
                lists = lists.saturating_add(1);
                annotate(f, AliasSite::List(lists))?;
            }
            _ => unreachable!("only postfix types are collected"),
        }
    }
    Ok(())
}

impl fmt::Display for Argument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_annotated(f, &self.ty, self.alias.as_ref(), self.alias_site)?;
        write!(f, " {}", self.name)?;
        match (&self.default_text, &self.default) {
            (Some(text), _) => write!(f, "={text}"),
            (None, Some(value)) => write!(f, "={value}"),
            (None, None) => Ok(()),
        }
    }
}

impl fmt::Display for Return {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_annotated(f, &self.ty, self.alias.as_ref(), self.alias_site)?;
        if let Some(name) = &self.name {
            write!(f, " {name}")?;
        }
        Ok(())
    }
}

impl fmt::Display for FunctionSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.name)?;
        let mut seen_kwarg_only = false;
        for (i, arg) in self.arguments.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            if arg.kwarg_only && !seen_kwarg_only {
                f.write_str("*, ")?;
                seen_kwarg_only = true;
            }
            write!(f, "{arg}")?;
        }
        if self.is_vararg {
            if !self.arguments.is_empty() {
                f.write_str(", ")?;
            }
            f.write_str("...")?;
        }
        f.write_str(") -> ")?;

        let rets = &self.returns;
        let bare = match (rets.len(), self.is_varret) {
            (0, true) => true,
            (1, false) => !starts_with_paren(&rets[0].ty),
            _ => false,
        };
        if !bare {
            f.write_char('(')?;
        }
        for (i, ret) in rets.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{ret}")?;
        }
        if self.is_varret {
            if !rets.is_empty() {
                f.write_str(", ")?;
            }
            f.write_str("...")?;
        }
        if !bare {
            f.write_char(')')?;
        }
        Ok(())
    }
}

/// True for a tuple type, possibly under `?` or lists: printed bare after
/// `->`, its `(` would read as the start of a return list.
fn starts_with_paren(ty: &Type) -> bool {
    matches!(ty.primary(), Type::Tuple(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::BaseType;

    #[test]
    fn annotation_sites() {
        let list = Type::List {
            elem: Box::new(Type::Base(BaseType::Tensor)),
            size: None,
        };
        let a = AliasInfo::write("a");
        let mut s = String::new();
        write_annotated(&mut s, &list, Some(&a), AliasSite::Base).unwrap();
        assert_eq!(s, "Tensor(a!)[]");
        s.clear();
        write_annotated(&mut s, &list, Some(&a), AliasSite::List(1)).unwrap();
        assert_eq!(s, "Tensor[](a!)");
        s.clear();
        let opt = Type::Optional(Box::new(Type::Var("t".into())));
        write_annotated(&mut s, &opt, Some(&AliasInfo::read("*")), AliasSite::Base).unwrap();
        assert_eq!(s, "t(*)?");
    }

    #[test]
    fn empty_and_vararg_returns() {
        let s = FunctionSchema::new(
            OperatorName::new(Some("prim"), "Print", None),
            vec![],
            vec![],
        )
        .with_varargs(true, false);
        assert_eq!(s.to_string(), "prim::Print(...) -> ()");
        let s = s.with_varargs(false, true);
        assert_eq!(s.to_string(), "prim::Print() -> ...");
    }
}
