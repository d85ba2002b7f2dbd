//! Whether a default fits its argument's type.

use super::Cx;
use crate::default::DefaultValue;
use crate::error::{ErrorKind, SchemaError};
use crate::types::{BaseType, Type};

/// c10 reads defaults by type when the operator is registered; a default that
/// does not fit either fails there, at load time, or (as `str s=3` does)
/// registers and fails at the first call. torchgen copies the text into C++
/// and Python, where it must compile. We check the fit here instead.
pub(super) fn defaults_fit_types(cx: &Cx) -> Result<(), SchemaError> {
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

pub(super) fn check_default(ty: &Type, d: &DefaultValue) -> Result<(), Misfit> {
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
        (B::Int | B::SymInt, D::Float(_)) => Some("use a whole number, or make the argument `float`".into()),
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

/// For unit tests: the first argument's default checked alone.
#[cfg(test)]
fn fits(ty: &str, default: &str) -> bool {
    let s =
        crate::FunctionSchema::parse_unvalidated(&format!("f({ty} x={default}) -> ()")).unwrap();
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
}
